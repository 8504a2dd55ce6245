"""Per-kind importers: the columns of each file, reading rows into the services' dataclasses, the report.

An importer reads a batch of rows at a time: it looks up everything the batch names (models by code,
org units by code, customers by number or phone …) in a few bulk queries, builds the dataclasses of
`customers.services` / `catalog.services`, runs the batch checks of `exchange.checks`, and answers,
per row, the data or the errors (row number, column as written in the file, reason). It also keeps
the keys seen so far to report a serial or phone that appears twice in the same file.
"""

from __future__ import annotations

import datetime as dt
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, ClassVar, Generic, TypeVar

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import pgettext

from aftersales.accounts.selectors import org_unit_list, user_list
from aftersales.catalog.selectors import (
    product_category_list,
    product_line_list,
    product_model_list,
    warranty_policy_list,
)
from aftersales.catalog.services import LabourItemData, ModelData, UnitData, normalise_serial
from aftersales.core.errors import FieldError
from aftersales.core.models import Region
from aftersales.customers import rules as customer_rules
from aftersales.customers.models import CustomerKind, CustomerPhone, Gender, SourceChannel, Tier
from aftersales.customers.selectors import customer_list
from aftersales.customers.services import AddressData, CustomerData, PhoneData
from aftersales.exchange import checks, rules
from aftersales.exchange.checks import FeeItemData
from aftersales.exchange.models import ImportKind
from aftersales.exchange.rules import CellError

T = TypeVar("T")

BATCH_SIZE = 1000
PREVIEW_ROWS = 20


@dataclass(frozen=True)
class Column:
    """A column of an import file. Headers are Chinese (the file format people fill in, not UI text);
    English aliases are accepted too."""

    key: str
    header: str
    aliases: tuple[str, ...] = ()
    required: bool = False
    hint: str = ""
    example: Any = ""


@dataclass(frozen=True)
class PreviewColumn:
    header: str
    mask: str = ""  # "phone" | "text": personal data, masked for users who may not see it


@dataclass(frozen=True)
class SourceRow:
    number: int  # as Excel shows it; the header is row 1
    values: dict[str, Any]

    def get(self, key: str) -> Any:
        return self.values.get(key)

    def text(self, key: str) -> str:
        return rules.cell_text(self.values.get(key))


@dataclass(frozen=True)
class RowError:
    row: int
    column: str
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {"row": self.row, "column": self.column, "message": self.message}


@dataclass
class Checked(Generic[T]):
    row: int
    data: T | None  # None when the row has errors
    errors: list[RowError]
    preview: list[str]


@dataclass
class Parsed(Generic[T]):
    """A row read into its dataclass; `errors` are (column key, message); `columns` names the column
    a dataclass field came from when it differs by row (a phone from 手机 or from 其他电话)."""

    data: T
    errors: list[tuple[str, str]] = field(default_factory=list)
    columns: dict[str, str] = field(default_factory=dict)


class Lookup:
    """A cache of text → id answers filled in bulk: `fetch` gets the unknown keys of a whole batch.

    Codes that repeat (models, stores) are looked up once per file; the cache is emptied when it
    passes `limit` keys, so that a file of 100,000 different phone numbers does not keep them all.
    """

    def __init__(self, fetch: Callable[[set[str]], Iterable[tuple[str, Any]]], *, limit: int = 20_000) -> None:
        self._fetch = fetch
        self._known: dict[str, Any] = {}
        self._limit = limit

    def load(self, keys: Iterable[str]) -> None:
        missing = {k for k in keys if k and k not in self._known}
        if not missing:
            return
        if len(self._known) + len(missing) > self._limit:
            self._known.clear()
        for key, value in self._fetch(missing):
            self._known[key] = value
        for key in missing:
            self._known.setdefault(key, None)

    def get(self, key: str) -> Any:
        return self._known.get(key)


class RegionIndex:
    """PRC divisions by name: "广东省 深圳市 南山区", "广东 深圳 南山", or the full name in one cell.

    The whole table (3,400 rows) is read once per import. A loose name (without 省/市/区) that fits
    two places of the same level is refused as ambiguous rather than guessed.
    """

    _AMBIGUOUS = ""

    def __init__(self) -> None:
        rows = list(Region.objects.values_list("code", "name", "level", "parent_id", "full_name"))
        by_code = {code: (name, level, parent) for code, name, level, parent, _full in rows}
        self.exact: dict[str, str] = {}
        self.loose: dict[str, str] = {}
        loose_level: dict[str, tuple[int, str]] = {}
        # Deepest first, then by code: 北京市 alone means the city 110100 (an address needs a city),
        # and 重庆市's two city entries resolve to the first.
        for code, _name, level, _parent, full_name in sorted(rows, key=lambda r: (-r[2], r[0])):
            chain: list[str] = []
            cursor: str | None = code
            while cursor is not None and cursor in by_code:
                name, _lvl, parent = by_code[cursor]
                chain.insert(0, name)
                cursor = parent
            for key in (rules.region_key(chain), rules.region_key([full_name])):
                self.exact.setdefault(key, code)
            loose = rules.region_key(chain, loose=True)
            exact_key = rules.region_key(chain)
            if loose not in self.loose:
                self.loose[loose] = code
                loose_level[loose] = (level, exact_key)
            elif loose_level[loose][0] == level and loose_level[loose][1] != exact_key:
                self.loose[loose] = self._AMBIGUOUS

    def resolve(self, *parts: str) -> tuple[str | None, str | None]:
        """(division code, None), or (None, the reason); (None, None) when nothing was given."""
        if not any(p.strip() for p in parts):
            return None, None
        code = self.exact.get(rules.region_key(parts))
        if code:
            return code, None
        code = self.loose.get(rules.region_key(parts, loose=True))
        if code == self._AMBIGUOUS:
            return None, pgettext("import report", "The region name is ambiguous: write the full names.")
        if code:
            return code, None
        return None, pgettext(
            "import report", "Unknown administrative region: check the province, city and district names."
        )


def duplicate_in_file(label: str, row: int) -> str:
    return pgettext("import report", "Duplicate %(what)s (row %(row)s).") % {"what": label, "row": row}


# --- the base importer ------------------------------------------------------------------------


class Importer(ABC, Generic[T]):
    """Reads one kind of file. Subclasses give the columns, `prepare` (bulk lookups for a batch),
    `parse` (one row into a dataclass), `domain_errors` (the batch checks) and `preview`."""

    kind: ClassVar[str]
    columns: ClassVar[tuple[Column, ...]]
    preview_columns: ClassVar[tuple[PreviewColumn, ...]]
    # Field of the dataclass → column key, for the errors of the batch checks.
    field_columns: ClassVar[dict[str, str]] = {}
    max_rows: ClassVar[int] = 500_000

    def __init__(self, *, actor: Any, org_unit_id: int, today: dt.date | None = None) -> None:
        self.actor = actor
        self.org_unit_id = org_unit_id
        self.today = today or timezone.localdate()
        self.labels: dict[str, str] = {}  # column key → header as written in the file
        self.positions: dict[str, int] = {}  # column key → its index in the file

    @classmethod
    def header_names(cls) -> dict[str, tuple[str, ...]]:
        return {c.key: (c.header, *c.aliases) for c in cls.columns}

    @classmethod
    def required_columns(cls) -> list[Column]:
        return [c for c in cls.columns if c.required]

    @classmethod
    def report_label(cls, labels: dict[str, str], key: str) -> str:
        """The column as the file names it (or the template's name), for the report."""
        if key in labels:
            return labels[key]
        return next((c.header for c in cls.columns if c.key == key), "")

    def label(self, key: str) -> str:
        return self.report_label(self.labels, key)

    def check(self, rows: Sequence[SourceRow]) -> list[Checked[T]]:
        self.prepare(rows)
        parsed = [self.parse(row) for row in rows]
        domain = self.domain_errors([p.data for p in parsed])
        results: list[Checked[T]] = []
        for index, (row, item) in enumerate(zip(rows, parsed, strict=True)):
            found = list(item.errors)
            flagged = {key for key, _m in found}
            for error in domain.get(index, []):
                key = item.columns.get(error.field) or self.column_for(error.field)
                if key in flagged:
                    continue  # the cell was already reported; the check only restates it
                flagged.add(key)
                found.append((key, str(error.message)))
            if found:
                # Left to right, as the columns stand in the file.
                found.sort(key=lambda e: self.positions.get(e[0], len(self.positions)))
                errors = [RowError(row.number, self.label(key), message) for key, message in found]
                results.append(Checked(row.number, None, errors, []))
            else:
                results.append(Checked(row.number, item.data, [], self.preview(item.data)))
        return results

    @classmethod
    def column_for(cls, field_name: str) -> str:
        """The column key a dataclass field comes from ("phones.0.number" → "phone")."""
        if field_name in cls.field_columns:
            return cls.field_columns[field_name]
        head = field_name.split(".")[0]
        if head in cls.field_columns:
            return cls.field_columns[head]
        return head if any(c.key == head for c in cls.columns) else ""

    # Reading cells: each helper records the error under its column and returns a neutral value.

    def cell(self, row: SourceRow, key: str, read: Callable[[Any], Any], errors: list[tuple[str, str]]) -> Any:
        try:
            return read(row.get(key))
        except CellError as exc:
            errors.append((key, exc.message))
            return None

    def need(self, row: SourceRow, key: str, errors: list[tuple[str, str]]) -> str:
        text = row.text(key)
        if not text:
            errors.append((key, checks.required()))
        return text

    # Subclasses.

    def prepare(self, rows: Sequence[SourceRow]) -> None:
        """Bulk lookups of everything the batch names."""

    @abstractmethod
    def parse(self, row: SourceRow) -> Parsed[T]:
        """Implemented by each kind of file."""

    @abstractmethod
    def domain_errors(self, batch: Sequence[T]) -> dict[int, list[FieldError]]:
        """Implemented by each kind of file."""

    @abstractmethod
    def preview(self, data: T) -> list[str]:
        """Implemented by each kind of file."""


def _choices(pairs: Mapping[str, Sequence[str]]) -> dict[str, str]:
    """Accepted spellings → stored value: the value itself and the Chinese and English names."""
    options: dict[str, str] = {}
    for value, names in pairs.items():
        for name in (value, *names):
            if name:
                options[rules.choice_key(name)] = value
    return options


def _org_units(actor: Any) -> Lookup:
    return Lookup(lambda codes: org_unit_list(actor=actor).filter(code__in=codes).values_list("code", "pk"))


def _yes_no(value: bool) -> str:
    return "是" if value else "否"


def _money(value: Any) -> str:
    return "" if value is None else f"{value:.2f}"


def _date(value: dt.date | None) -> str:
    return value.isoformat() if value else ""


# --- customers --------------------------------------------------------------------------------

_KIND: dict[str, tuple[str, ...]] = {
    CustomerKind.INDIVIDUAL: ("个人", "个体", "自然人", "Individual"),
    CustomerKind.COMPANY: ("企业", "公司", "单位", "Company"),
}
_GENDER: dict[str, tuple[str, ...]] = {
    Gender.MALE: ("男", "男性", "先生", "male"),
    Gender.FEMALE: ("女", "女性", "女士", "female"),
    "": ("未知",),
}
_TIER: dict[str, tuple[str, ...]] = {
    Tier.E: ("E 黄铜", "黄铜", "Brass"),
    Tier.D: ("D 白银", "白银", "Silver"),
    Tier.C: ("C 黄金", "黄金", "Gold"),
    Tier.B: ("B 钻石", "钻石", "Diamond"),
    Tier.A: ("A 钻戒", "钻戒", "Diamond ring"),
}
_SOURCE: dict[str, tuple[str, ...]] = {
    SourceChannel.HOTLINE: ("热线", "电话", "400热线", "Hotline"),
    SourceChannel.STORE: ("门店", "店面", "Store"),
    SourceChannel.WEB: ("官网", "网站", "网络", "Website"),
    SourceChannel.WECHAT: ("微信", "公众号", "小程序", "WeChat"),
    SourceChannel.REFERRAL: ("转介绍", "推荐", "介绍", "Referral"),
    SourceChannel.EVENT: ("会员活动", "活动", "Member event"),
    SourceChannel.DEALER: ("经销商", "代理商", "Dealer"),
    SourceChannel.IMPORT: ("导入", "Import"),
    SourceChannel.OTHER: ("其他", "Other"),
}


class CustomerImporter(Importer[CustomerData]):
    kind = ImportKind.CUSTOMERS
    columns = (
        Column("name", "客户名称", ("姓名", "名称", "客户姓名", "customer_name"), True, "个人姓名或企业名称", "张三"),
        Column("kind", "客户类型", ("类型", "customer_kind"), hint="个人 / 企业，空为个人", example="个人"),
        Column("gender", "性别", ("sex",), hint="男 / 女", example="男"),
        Column(
            "phone", "手机", ("手机号", "手机号码", "移动电话", "mobile"), hint="11 位手机号", example="13812345678"
        ),
        Column(
            "other_phones",
            "其他电话",
            ("电话", "固定电话", "座机", "联系电话", "tel", "phones"),
            hint="可填多个，用逗号或顿号分隔；座机带区号",
            example="0755-86001234",
        ),
        Column("province", "省", ("省份", "省/直辖市"), hint="如 广东省（可省略“省”字）", example="广东省"),
        Column("city", "市", ("城市", "地市"), hint="如 深圳市", example="深圳市"),
        Column("district", "区县", ("区", "县", "区/县"), hint="如 南山区", example="南山区"),
        Column(
            "address", "详细地址", ("地址", "街道地址", "detail"), hint="填写省市区时必填", example="科技园科苑路 15 号"
        ),
        Column("postcode", "邮编", ("邮政编码", "zip"), example="518057"),
        Column("tier", "会员等级", ("等级", "会员级别"), hint="A / B / C / D / E，空为无", example="C"),
        Column("birthday", "生日", ("出生日期", "birth_date"), hint="YYYY-MM-DD", example=dt.date(1985, 6, 1)),
        Column("birthday_is_lunar", "农历生日", ("过农历生日", "lunar_birthday"), hint="是 / 否", example="否"),
        Column("wedding_anniversary", "结婚纪念日", ("wedding_date",), hint="YYYY-MM-DD"),
        Column("hobbies", "爱好", ("兴趣爱好",), example="钓鱼"),
        Column("preferences", "偏好", ("服务偏好",), example="周末上门"),
        Column("tags", "标签", ("客户标签",), hint="可填多个，用逗号分隔", example="老客户，净水"),
        Column("marketing_consent", "同意营销", ("营销同意", "接受营销"), hint="是 / 否", example="是"),
        Column(
            "source_channel",
            "来源渠道",
            ("来源", "source"),
            hint="热线 / 门店 / 官网 / 微信 / 转介绍 …",
            example="门店",
        ),
        Column("owner", "负责人", ("负责人账号", "负责人工号", "owner_username"), hint="员工账号或工号"),
        Column(
            "org_unit", "组织编码", ("所属组织编码", "网点编码", "门店编码", "org_unit_code"), hint="空为导入时所选组织"
        ),
        Column("company_credit_code", "统一社会信用代码", ("信用代码", "credit_code"), hint="企业客户，18 位"),
        Column("note", "备注", ("remark",)),
    )
    preview_columns = (
        PreviewColumn("客户名称"),
        PreviewColumn("客户类型"),
        PreviewColumn("电话", "phone"),
        PreviewColumn("地区"),
        PreviewColumn("详细地址", "text"),
        PreviewColumn("会员等级"),
        PreviewColumn("标签"),
        PreviewColumn("来源渠道"),
        PreviewColumn("所属组织"),
    )
    field_columns = {
        "phones.0.number": "phone",
        "phones": "other_phones",
        "addresses.0.region_code": "district",
        "addresses.0.detail": "address",
        "addresses.0.postcode": "postcode",
        "name": "name",
        "kind": "kind",
        "gender": "gender",
        "tier": "tier",
        "source_channel": "source_channel",
        "birthday": "birthday",
        "wedding_anniversary": "wedding_anniversary",
        "company_credit_code": "company_credit_code",
        "org_unit_id": "org_unit",
        "owner_id": "owner",
        "hobbies": "hobbies",
        "preferences": "preferences",
        "note": "note",
    }

    KIND_OPTIONS = _choices(_KIND)
    GENDER_OPTIONS = _choices(_GENDER)
    TIER_OPTIONS = _choices(_TIER)
    SOURCE_OPTIONS = _choices(_SOURCE)

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.regions = RegionIndex()
        self.region_names = dict(Region.objects.values_list("code", "full_name"))
        self.units = _org_units(self.actor)
        self.unit_names = dict(org_unit_list(actor=self.actor).values_list("pk", "name"))
        self.owners = Lookup(self._fetch_owners)
        self.seen_phones: dict[str, int] = {}
        self.seen_addresses: dict[str, int] = {}

    def _fetch_owners(self, refs: set[str]) -> Iterable[tuple[str, Any]]:
        staff = user_list(actor=self.actor, active=True).prefetch_related(None)
        for pk, username, employee_no in staff.filter(Q(username__in=refs) | Q(employee_no__in=refs)).values_list(
            "pk", "username", "employee_no"
        ):
            yield username, pk
            if employee_no:
                yield employee_no, pk

    def prepare(self, rows: Sequence[SourceRow]) -> None:
        self.units.load(r.text("org_unit") for r in rows)
        self.owners.load(r.text("owner") for r in rows)

    def parse(self, row: SourceRow) -> Parsed[CustomerData]:
        errors: list[tuple[str, str]] = []
        columns: dict[str, str] = {}
        name = self.need(row, "name", errors)
        kind = self.cell(
            row, "kind", lambda v: rules.parse_choice(v, self.KIND_OPTIONS, shown=["个人", "企业"]), errors
        )
        gender = self.cell(
            row, "gender", lambda v: rules.parse_choice(v, self.GENDER_OPTIONS, shown=["男", "女"]), errors
        )
        tier = self.cell(row, "tier", lambda v: rules.parse_choice(v, self.TIER_OPTIONS, shown=list("ABCDE")), errors)
        source = self.cell(
            row,
            "source_channel",
            lambda v: rules.parse_choice(v, self.SOURCE_OPTIONS, shown=[names[0] for names in _SOURCE.values()]),
            errors,
        )
        birthday = self.cell(row, "birthday", rules.parse_date, errors)
        anniversary = self.cell(row, "wedding_anniversary", rules.parse_date, errors)
        lunar = self.cell(row, "birthday_is_lunar", rules.parse_bool, errors)
        consent = self.cell(row, "marketing_consent", rules.parse_bool, errors)

        phones: list[PhoneData] = []
        sources = [(row.text("phone"), "phone")] + [
            (p, "other_phones") for p in rules.split_list(row.get("other_phones"))
        ]
        for raw, key in sources:
            if not raw:
                continue
            index = len(phones)
            columns[f"phones.{index}.number"] = key
            phones.append(PhoneData(number=raw, is_primary=index == 0))
            number = customer_rules.normalise_phone(raw)
            if customer_rules.phone_kind(number) is None:
                continue  # the batch check reports the format
            first = self.seen_phones.setdefault(number, row.number)
            if first != row.number:
                errors.append((key, duplicate_in_file(pgettext("import report", "phone number"), first)))

        addresses: tuple[AddressData, ...] = ()
        province, city, district = row.text("province"), row.text("city"), row.text("district")
        detail = row.text("address")
        region_code: str | None = None
        if province or city or district or detail:
            region_key = "district" if district else "city" if city else "province"
            columns["addresses.0.region_code"] = region_key
            columns["addresses.0.detail"] = "address"
            columns["addresses.0.postcode"] = "postcode"
            region_code, problem = self.regions.resolve(province, city, district)
            if problem:
                errors.append((region_key, problem))
            elif region_code is None:
                errors.append(("province", checks.required()))
            addresses = (AddressData(region_code=region_code or "", detail=detail, postcode=row.text("postcode")),)
            if region_code and detail and name:
                key = customer_rules.name_address_key(name, region_code, detail)
                first = self.seen_addresses.setdefault(key, row.number)
                if first != row.number:
                    errors.append(
                        (
                            "address",
                            duplicate_in_file(pgettext("import report", "customer (same name and address)"), first),
                        )
                    )

        unit_code = row.text("org_unit")
        org_unit_id = self.org_unit_id
        if unit_code:
            org_unit_id = self.units.get(unit_code) or 0
            if not org_unit_id:
                errors.append(("org_unit", pgettext("import report", "Unknown org unit.")))
        owner_ref = row.text("owner")
        owner_id = None
        if owner_ref:
            owner_id = self.owners.get(owner_ref)
            if owner_id is None:
                errors.append(
                    ("owner", pgettext("import report", "The responsible staff member does not exist or is inactive."))
                )

        data = CustomerData(
            name=name,
            org_unit_id=org_unit_id,
            kind=kind or CustomerKind.INDIVIDUAL,
            gender=gender or "",
            company_credit_code=row.text("company_credit_code"),
            owner_id=owner_id,
            tier=tier or "",
            birthday=birthday,
            birthday_is_lunar=bool(lunar) and birthday is not None,
            wedding_anniversary=anniversary,
            hobbies=row.text("hobbies"),
            preferences=row.text("preferences"),
            tags=tuple(t[:30] for t in rules.split_list(row.get("tags"))),
            marketing_consent=bool(consent),
            source_channel=source or SourceChannel.IMPORT,
            note=row.text("note"),
            phones=tuple(phones),
            addresses=addresses,
        )
        return Parsed(data, errors, columns)

    def domain_errors(self, batch: Sequence[CustomerData]) -> dict[int, list[FieldError]]:
        return checks.customer_errors(batch, actor=self.actor, today=self.today, within_batch=False)

    def preview(self, data: CustomerData) -> list[str]:
        address = data.addresses[0] if data.addresses else None
        return [
            data.name.strip(),
            _KIND[data.kind][0] if data.kind in _KIND else data.kind,
            "、".join(customer_rules.normalise_phone(p.number) for p in data.phones),
            self.region_names.get(address.region_code, "") if address else "",
            address.detail.strip() if address else "",
            data.tier,
            "、".join(data.tags),
            _SOURCE[data.source_channel][0] if data.source_channel in _SOURCE else data.source_channel,
            self.unit_names.get(data.org_unit_id, ""),
        ]


# --- sold units -------------------------------------------------------------------------------


class UnitImporter(Importer[UnitData]):
    kind = ImportKind.UNITS
    columns = (
        Column(
            "serial", "序列号", ("串号", "机身号", "sn", "serial_number"), True, "整机序列号，全公司唯一", "SN20260001"
        ),
        Column("model", "型号", ("产品型号", "model_code", "product_model"), True, "已登记的产品型号", "JS-100"),
        Column(
            "customer_code", "客户编号", ("客户号", "customer", "customer_number"), hint="与客户手机二选一", example=""
        ),
        Column(
            "customer_phone",
            "客户手机",
            ("手机", "手机号", "customer_mobile"),
            hint="按手机号查找客户",
            example="13812345678",
        ),
        Column(
            "org_unit", "销售门店编码", ("门店编码", "组织编码", "网点编码", "org_unit_code"), hint="空为导入时所选组织"
        ),
        Column(
            "sale_date", "销售日期", ("购买日期", "购机日期", "sold_on"), hint="YYYY-MM-DD", example=dt.date(2026, 1, 5)
        ),
        Column("installation_date", "安装日期", ("installed_on",), hint="YYYY-MM-DD", example=dt.date(2026, 1, 8)),
        Column("invoice_no", "发票号", ("发票号码", "invoice"), example="INV-0001"),
        Column("voucher_no", "保修凭证号", ("保修卡号", "三包凭证号", "voucher"), example="V-0001"),
        Column("extended_warranty_until", "延保截止日期", ("延保到期日", "extended_until"), hint="YYYY-MM-DD"),
        Column("note", "备注", ("remark",)),
    )
    preview_columns = (
        PreviewColumn("序列号"),
        PreviewColumn("型号"),
        PreviewColumn("客户"),
        PreviewColumn("销售门店"),
        PreviewColumn("销售日期"),
        PreviewColumn("安装日期"),
        PreviewColumn("发票号"),
        PreviewColumn("保修凭证号"),
    )
    field_columns = {
        "serial": "serial",
        "product_model_id": "model",
        "org_unit_id": "org_unit",
        "customer_id": "customer_code",
        "sale_date": "sale_date",
        "installation_date": "installation_date",
        "extended_warranty_until": "extended_warranty_until",
        "invoice_no": "invoice_no",
        "voucher_no": "voucher_no",
        "note": "note",
    }

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        # Models are company-wide master data (thousands at most): read once, matched without case.
        models = list(product_model_list().values_list("pk", "code"))
        self.models = {code.upper(): pk for pk, code in models}
        self.model_codes = dict(models)
        self.units = _org_units(self.actor)
        self.unit_names = dict(org_unit_list(actor=self.actor).values_list("pk", "name"))
        customers = customer_list(actor=self.actor).prefetch_related(None).filter(is_active=True)
        self.by_code = Lookup(lambda codes: customers.filter(code__in=codes).values_list("code", "pk"))
        self.by_phone = Lookup(self._fetch_phones)
        self.seen: dict[str, int] = {}
        self._customers = customers

    def _fetch_phones(self, numbers: set[str]) -> Iterable[tuple[str, Any]]:
        # Two indexed lookups (phone → customer, then which of those the actor may see): as one JOIN,
        # SQLite chose to scan the customers and took a second per batch at 100,000 customers.
        pairs = list(CustomerPhone.objects.filter(number__in=numbers).values_list("number", "customer_id"))
        visible = set(self._customers.filter(pk__in={pk for _n, pk in pairs}).values_list("pk", flat=True))
        found: dict[str, set[int]] = {}
        for number, pk in pairs:
            if pk in visible:
                found.setdefault(number, set()).add(pk)
        return found.items()

    def prepare(self, rows: Sequence[SourceRow]) -> None:
        self.units.load(r.text("org_unit") for r in rows)
        self.by_code.load(r.text("customer_code") for r in rows)
        self.by_phone.load(customer_rules.normalise_phone(r.text("customer_phone")) for r in rows)

    def parse(self, row: SourceRow) -> Parsed[UnitData]:
        errors: list[tuple[str, str]] = []
        columns: dict[str, str] = {}
        serial = normalise_serial(self.need(row, "serial", errors))
        if serial:
            first = self.seen.setdefault(serial, row.number)
            if first != row.number:
                errors.append(("serial", duplicate_in_file(pgettext("import report", "serial number"), first)))
        model_code = self.need(row, "model", errors)
        model_id = 0
        if model_code:
            model_id = self.models.get(model_code.upper(), 0)
            if not model_id:
                errors.append(("model", pgettext("import report", "Unknown product model.")))
        customer_id: int | None = None
        code, phone = row.text("customer_code"), row.text("customer_phone")
        if code:
            customer_id = self.by_code.get(code) or 0
            if not customer_id:
                errors.append(("customer_code", pgettext("import report", "Unknown customer.")))
        elif phone:
            columns["customer_id"] = "customer_phone"
            hits = self.by_phone.get(customer_rules.normalise_phone(phone)) or set()
            if not hits:
                customer_id = 0
                errors.append(("customer_phone", pgettext("import report", "Unknown customer.")))
            elif len(hits) > 1:
                customer_id = 0
                errors.append(
                    (
                        "customer_phone",
                        pgettext(
                            "import report", "Several customers have this phone number: give the customer number."
                        ),
                    )
                )
            else:
                customer_id = next(iter(hits))
        unit_code = row.text("org_unit")
        org_unit_id = self.org_unit_id
        if unit_code:
            org_unit_id = self.units.get(unit_code) or 0
            if not org_unit_id:
                errors.append(("org_unit", pgettext("import report", "Unknown org unit.")))
        data = UnitData(
            serial=serial,
            product_model_id=model_id,
            org_unit_id=org_unit_id,
            customer_id=customer_id,
            sale_date=self.cell(row, "sale_date", rules.parse_date, errors),
            installation_date=self.cell(row, "installation_date", rules.parse_date, errors),
            invoice_no=row.text("invoice_no"),
            voucher_no=row.text("voucher_no"),
            extended_warranty_until=self.cell(row, "extended_warranty_until", rules.parse_date, errors),
            note=row.text("note"),
        )
        return Parsed(data, errors, columns)

    def domain_errors(self, batch: Sequence[UnitData]) -> dict[int, list[FieldError]]:
        return checks.unit_errors(batch, actor=self.actor, today=self.today, within_batch=False)

    def check(self, rows: Sequence[SourceRow]) -> list[Checked[UnitData]]:
        results = super().check(rows)
        # The preview names the owner by customer number, also when the file gave a phone number.
        wanted = {r.data.customer_id for r in results if r.data is not None and r.data.customer_id}
        codes = dict(self._customers.filter(pk__in=wanted).values_list("pk", "code")) if wanted else {}
        for result in results:
            if result.data is not None and result.data.customer_id:
                result.preview[2] = codes.get(result.data.customer_id, "")
        return results

    def preview(self, data: UnitData) -> list[str]:
        return [
            data.serial,
            self.model_codes.get(data.product_model_id, ""),
            "",
            self.unit_names.get(data.org_unit_id, ""),
            _date(data.sale_date),
            _date(data.installation_date),
            data.invoice_no,
            data.voucher_no,
        ]


# --- product models ---------------------------------------------------------------------------


def _by_code_or_name(rows: Iterable[tuple[int, str, str]]) -> dict[str, int]:
    result: dict[str, int] = {}
    for pk, code, name in rows:
        result.setdefault(rules.choice_key(code), pk)
        result.setdefault(rules.choice_key(name), pk)
    return result


class ProductModelImporter(Importer[ModelData]):
    kind = ImportKind.PRODUCT_MODELS
    max_rows = 20_000
    columns = (
        Column("code", "型号", ("产品型号", "型号编码", "model", "model_code"), True, "全公司唯一", "JS-200"),
        Column("name", "名称", ("产品名称", "型号名称", "model_name"), True, example="反渗透净水器"),
        Column("product_line", "产品线", ("product_line_code",), True, "产品线编码或名称", "WATER"),
        Column(
            "warranty_policy", "保修政策", ("保修政策编码", "三包政策", "policy"), True, "保修政策编码或名称", "P12"
        ),
        Column("category", "品类", ("产品品类", "类别", "category_code"), hint="品类编码或名称"),
        Column("brand", "品牌", (), example="清泉"),
        Column("dealer_price", "经销价", ("经销商价格", "dealer"), hint="元，两位小数", example="1200.00"),
        Column("market_price", "市场指导价", ("指导价", "零售价", "market"), hint="元，两位小数", example="1999.00"),
        Column("needs_installation", "需要安装", ("是否安装", "installation"), hint="是 / 否，空为否", example="是"),
        Column("is_active", "启用", ("是否启用", "active"), hint="是 / 否，空为是", example="是"),
    )
    preview_columns = tuple(
        PreviewColumn(h)
        for h in ("型号", "名称", "产品线", "保修政策", "品类", "品牌", "经销价", "市场指导价", "需要安装", "启用")
    )
    field_columns = {
        "code": "code",
        "name": "name",
        "product_line_id": "product_line",
        "warranty_policy_id": "warranty_policy",
        "category_id": "category",
        "brand": "brand",
        "dealer_price": "dealer_price",
        "market_price": "market_price",
    }

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        lines = list(product_line_list().values_list("pk", "code", "name"))
        policies = list(warranty_policy_list().values_list("pk", "code", "name"))
        categories = list(product_category_list().values_list("pk", "code", "name"))
        self.lines, self.policies, self.categories = map(_by_code_or_name, (lines, policies, categories))
        self.names = {
            "line": {pk: name for pk, _c, name in lines},
            "policy": {pk: name for pk, _c, name in policies},
            "category": {pk: name for pk, _c, name in categories},
        }
        self.seen: dict[str, int] = {}

    def _ref(self, row: SourceRow, key: str, table: dict[str, int], message: str, errors: list[tuple[str, str]]) -> int:
        text = row.text(key)
        if not text:
            return 0
        found = table.get(rules.choice_key(text))
        if found is None:
            errors.append((key, message))
            return 0
        return found

    def parse(self, row: SourceRow) -> Parsed[ModelData]:
        errors: list[tuple[str, str]] = []
        code = self.need(row, "code", errors)
        if code:
            first = self.seen.setdefault(code, row.number)
            if first != row.number:
                errors.append(("code", duplicate_in_file(pgettext("import report", "model number"), first)))
        name = self.need(row, "name", errors)
        self.need(row, "product_line", errors)
        self.need(row, "warranty_policy", errors)
        data = ModelData(
            code=code,
            name=name,
            product_line_id=self._ref(
                row, "product_line", self.lines, pgettext("import report", "Unknown product line."), errors
            ),
            warranty_policy_id=self._ref(
                row, "warranty_policy", self.policies, pgettext("import report", "Unknown warranty policy."), errors
            ),
            category_id=self._ref(
                row, "category", self.categories, pgettext("import report", "Unknown category."), errors
            )
            or None,
            brand=row.text("brand"),
            dealer_price=self.cell(row, "dealer_price", rules.parse_decimal, errors),
            market_price=self.cell(row, "market_price", rules.parse_decimal, errors),
            needs_installation=bool(self.cell(row, "needs_installation", rules.parse_bool, errors)),
            is_active=self.cell(row, "is_active", rules.parse_bool, errors) is not False,
        )
        return Parsed(data, errors)

    def domain_errors(self, batch: Sequence[ModelData]) -> dict[int, list[FieldError]]:
        return checks.product_model_errors(batch, within_batch=False)

    def preview(self, data: ModelData) -> list[str]:
        return [
            data.code.strip(),
            data.name.strip(),
            self.names["line"].get(data.product_line_id, ""),
            self.names["policy"].get(data.warranty_policy_id, ""),
            self.names["category"].get(data.category_id or 0, ""),
            data.brand,
            _money(data.dealer_price),
            _money(data.market_price),
            _yes_no(data.needs_installation),
            _yes_no(data.is_active),
        ]


# --- fee schedule labour items ----------------------------------------------------------------


class LabourItemImporter(Importer[FeeItemData]):
    """Rows with the same region and effective date become one new version of the fee schedule."""

    kind = ImportKind.LABOUR_ITEMS
    max_rows = 20_000
    columns = (
        Column(
            "schedule_name",
            "收费标准名称",
            ("收费标准", "标准名称", "schedule"),
            True,
            "同一地区、同一生效日期的行组成一个版本",
            "2026 年全国收费标准",
        ),
        Column("effective_from", "生效日期", ("生效时间", "effective_date"), True, "YYYY-MM-DD", dt.date(2026, 1, 1)),
        Column("province", "省", ("省份",), hint="地区收费标准填写；全国标准留空"),
        Column("city", "市", ("城市",)),
        Column("district", "区县", ("区", "县", "区/县")),
        Column("code", "项目编码", ("编码", "item_code"), True, example="L001"),
        Column("name", "项目名称", ("名称", "item_name"), True, example="更换滤芯"),
        Column("product_line", "产品线", ("product_line_code",), hint="产品线编码或名称，空为通用", example="WATER"),
        Column("standard_minutes", "标准工时（分钟）", ("标准工时", "工时", "minutes"), True, "整数分钟", 30),
        Column("price", "单价", ("价格", "收费", "金额", "price_cny"), True, "元，两位小数", "50.00"),
    )
    preview_columns = tuple(
        PreviewColumn(h)
        for h in ("收费标准名称", "生效日期", "地区", "项目编码", "项目名称", "产品线", "标准工时（分钟）", "单价")
    )
    field_columns = {
        "schedule_name": "schedule_name",
        "effective_from": "effective_from",
        "region_code": "district",
        "code": "code",
        "name": "name",
        "product_line_id": "product_line",
        "standard_minutes": "standard_minutes",
        "price": "price",
    }

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.regions = RegionIndex()
        self.region_names = dict(Region.objects.values_list("code", "full_name"))
        lines = list(product_line_list().values_list("pk", "code", "name"))
        self.lines = _by_code_or_name(lines)
        self.line_names = {pk: name for pk, _c, name in lines}
        self.seen: dict[tuple[str | None, dt.date, str], int] = {}

    def parse(self, row: SourceRow) -> Parsed[FeeItemData]:
        errors: list[tuple[str, str]] = []
        columns: dict[str, str] = {}
        schedule_name = self.need(row, "schedule_name", errors)
        effective_from = self.cell(row, "effective_from", rules.parse_date, errors)
        if effective_from is None and not any(k == "effective_from" for k, _m in errors):
            errors.append(("effective_from", checks.required()))
        province, city, district = row.text("province"), row.text("city"), row.text("district")
        region_key = "district" if district else "city" if city else "province"
        columns["region_code"] = region_key
        region_code, problem = self.regions.resolve(province, city, district)
        if problem:
            errors.append((region_key, problem))
        code = self.need(row, "code", errors)
        name = self.need(row, "name", errors)
        line_id: int | None = None
        line_text = row.text("product_line")
        if line_text:
            line_id = self.lines.get(rules.choice_key(line_text))
            if line_id is None:
                errors.append(("product_line", pgettext("import report", "Unknown product line.")))
        minutes = self.cell(row, "standard_minutes", rules.parse_int, errors)
        if minutes is None and not any(k == "standard_minutes" for k, _m in errors):
            errors.append(("standard_minutes", checks.required()))
        price = self.cell(row, "price", rules.parse_decimal, errors)
        if price is None and not any(k == "price" for k, _m in errors):
            errors.append(("price", checks.required()))
        day = effective_from or dt.date.min
        if code and effective_from:
            first = self.seen.setdefault((region_code, day, code), row.number)
            if first != row.number:
                errors.append(
                    ("code", duplicate_in_file(pgettext("import report", "item code in this schedule"), first))
                )
        data = FeeItemData(
            schedule_name=schedule_name,
            effective_from=day,
            region_code=region_code,
            item=LabourItemData(
                code=code,
                name=name,
                standard_minutes=minutes or 1,
                price=price if price is not None else Decimal(0),
                product_line_id=line_id,
            ),
        )
        return Parsed(data, errors, columns)

    def domain_errors(self, batch: Sequence[FeeItemData]) -> dict[int, list[FieldError]]:
        return checks.fee_item_errors(batch, within_batch=False)

    def preview(self, data: FeeItemData) -> list[str]:
        return [
            data.schedule_name.strip(),
            _date(data.effective_from),
            self.region_names.get(data.region_code or "", "全国"),
            data.item.code.strip(),
            data.item.name.strip(),
            self.line_names.get(data.item.product_line_id or 0, ""),
            str(data.item.standard_minutes),
            _money(data.item.price),
        ]


IMPORTERS: dict[str, type[Importer[Any]]] = {
    ImportKind.CUSTOMERS: CustomerImporter,
    ImportKind.UNITS: UnitImporter,
    ImportKind.PRODUCT_MODELS: ProductModelImporter,
    ImportKind.LABOUR_ITEMS: LabourItemImporter,
}


def importer_class(kind: str) -> type[Importer[Any]]:
    return IMPORTERS[kind]
