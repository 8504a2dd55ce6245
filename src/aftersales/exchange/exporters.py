"""Excel files: any queryset streamed into .xlsx with Chinese headers, the concrete list exports, the
import templates and the error reports.

`write_xlsx` uses openpyxl's write-only mode (rows go to a temporary file as they come) and the
querysets are read with `.iterator(chunk_size=…)`, so memory stays flat whatever the row count; the
finished workbook is a temporary file the response streams and the OS deletes on close.
Export headers reuse the import columns' names where they exist, so an export edited in Excel can be
imported again.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import tempfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import IO, Any

from django.db.models import QuerySet
from django.http import QueryDict
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from aftersales.accounts.policies import require_perm
from aftersales.catalog.models import LabourItem, SoldUnit, UnitStatus
from aftersales.catalog.selectors import fee_schedule_list, product_model_list, unit_list
from aftersales.core.errors import field_error
from aftersales.core.models import Region
from aftersales.customers import rules as customer_rules
from aftersales.customers.models import Customer, CustomerKind, Gender, SourceChannel
from aftersales.customers.policies import can_export_personal_data
from aftersales.customers.selectors import customer_list
from aftersales.customers.services import customer_export_record
from aftersales.exchange import rules
from aftersales.exchange.importers import importer_class
from aftersales.exchange.models import ImportJob, ImportKind
from aftersales.exchange.policies import EXPORT_PERMS
from aftersales.exchange.services import data_export_record
from aftersales.sales.models import DeliveryStatus, PaymentStatus, SalesOrder
from aftersales.sales.selectors import order_list

CHUNK = 2000
HEADER_FONT = Font(bold=True)
HEADER_FILL = PatternFill("solid", fgColor="E8EEF7")
REQUIRED_FONT = Font(bold=True, color="C0392B")
_ILLEGAL = re.compile(r"[\000-\010]|[\013-\014]|[\016-\037]")


@dataclass(frozen=True)
class ExportColumn:
    header: str
    value: Callable[[Any], Any]
    width: int = 14


@dataclass
class ExportFile:
    file: IO[bytes]
    filename: str
    count: int


def cell_value(value: Any) -> Any:
    """What a cell can hold: Excel has no time zones (local time, Asia/Shanghai), no control characters."""
    if isinstance(value, bool):
        return "是" if value else "否"
    if value is None or isinstance(value, int | float | Decimal):
        return value
    if isinstance(value, dt.datetime):
        if timezone.is_aware(value):
            value = timezone.localtime(value)
        return value.replace(tzinfo=None, microsecond=0)
    if isinstance(value, dt.date):
        return value
    return _ILLEGAL.sub("", str(value))


def _cell(sheet: Any, value: Any) -> Any:
    value = cell_value(value)
    if isinstance(value, str) and value.startswith("="):
        # openpyxl would store it as a formula: a name like "=HYPERLINK(…)" must stay text.
        cell = WriteOnlyCell(sheet, value=value)
        cell.data_type = "s"
        return cell
    return value


def write_xlsx(
    rows: Iterable[Sequence[Any]], *, headers: Sequence[str], title: str, widths: Sequence[int] = ()
) -> tuple[IO[bytes], int]:
    """Stream rows into an .xlsx temporary file (header row bold and frozen); returns it rewound, and
    the number of data rows."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=title[:31])
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = "A2"
    header_cells = []
    for header in headers:
        cell = WriteOnlyCell(sheet, value=header)
        cell.font = HEADER_FONT
        cell.fill = HEADER_FILL
        header_cells.append(cell)
    sheet.append(header_cells)
    count = 0
    for row in rows:
        sheet.append([_cell(sheet, v) for v in row])
        count += 1
    # Closed (and so deleted) by whoever streams it: the HTTP response, once sent.
    out = tempfile.TemporaryFile(prefix="aftersales-export-")  # noqa: SIM115
    workbook.save(out)  # type: ignore[arg-type]
    out.seek(0)
    return out, count


def queryset_xlsx(qs: QuerySet[Any], columns: Sequence[ExportColumn], *, title: str) -> tuple[IO[bytes], int]:
    """Any queryset, row by row in chunks (prefetches are done per chunk), to an .xlsx file."""
    rows = ([c.value(obj) for c in columns] for obj in qs.iterator(chunk_size=CHUNK))
    return write_xlsx(rows, headers=[c.header for c in columns], title=title, widths=[c.width for c in columns])


def _filename(label: str) -> str:
    return f"{label}_{timezone.localdate():%Y%m%d}.xlsx"


# --- filters from a query string, as the list pages send them ---------------------------------


def _int(params: Mapping[str, str], key: str) -> int | None:
    value = (params.get(key) or "").strip()
    return int(value) if value.isdigit() else None


def _text(params: Mapping[str, str], key: str) -> str:
    return (params.get(key) or "").strip()[:100]


def _day(params: Mapping[str, str], key: str) -> dt.date | None:
    try:
        return rules.parse_date(_text(params, key))
    except rules.CellError:
        return None


def _bool(params: Mapping[str, str], key: str) -> bool | None:
    value = _text(params, key).lower()
    return {"1": True, "true": True, "yes": True, "0": False, "false": False, "no": False}.get(value)


def _customer_kind(params: Mapping[str, str]) -> str:
    """The list's individual/company filter. The list page sends it as `kind`, which also names the
    export (?kind=customers&kind=company): the values differ, so each finds its own."""
    values = params.getlist("kind") if isinstance(params, QueryDict) else [params.get("kind", "")]
    values.append(_text(params, "customer_kind"))
    return next((v for v in values if v in CustomerKind.values), "")


def export_kind(params: Mapping[str, str]) -> str:
    """The export's `kind` among the query's values (see `_customer_kind`)."""
    values = params.getlist("kind") if isinstance(params, QueryDict) else [params.get("kind", "")]
    return next((v for v in values if v in EXPORTS), values[0] if values else "")


def _used(filters: Mapping[str, Any]) -> dict[str, Any]:
    return {k: (v.isoformat() if isinstance(v, dt.date) else v) for k, v in filters.items() if v not in (None, "")}


class _Regions:
    """Province / city / district names of a division code, from one read of the table."""

    def __init__(self) -> None:
        self.rows = {
            code: (name, level, parent)
            for code, name, level, parent in Region.objects.values_list("code", "name", "level", "parent_id")
        }

    def split(self, code: str | None) -> tuple[str, str, str]:
        names = ["", "", ""]
        cursor = code
        while cursor and cursor in self.rows:
            name, level, parent = self.rows[cursor]
            names[level - 1] = name
            cursor = parent
        return names[0], names[1], names[2]


def _labels(choices: Any) -> dict[str, str]:
    return {value: str(label) for value, label in choices.choices}


# --- the exports ------------------------------------------------------------------------------


def export_customers(*, actor: Any, params: Mapping[str, str]) -> ExportFile:
    """The customer list with the list page's filters. Without the personal-data export permission,
    names, phones, addresses and birthdays are masked; the export is audited either way."""
    require_perm(actor, EXPORT_PERMS["customers"])
    filters: dict[str, Any] = {
        "q": _text(params, "q"),
        "tier": _text(params, "tier"),
        "kind": _customer_kind(params),
        "owner_id": _int(params, "owner"),
        "unit_id": _int(params, "unit"),
        "tag": _text(params, "tag"),
    }
    full = can_export_personal_data(actor)
    qs = customer_list(actor=actor, **filters)
    regions = _Regions()
    kinds, genders, sources = _labels(CustomerKind), _labels(Gender), _labels(SourceChannel)

    def phones(c: Customer) -> list[str]:
        numbers = [p.number for p in c.phones.all()]
        return numbers if full else [customer_rules.mask_phone(n) for n in numbers]

    def address(c: Customer) -> Any:
        return next(iter(c.addresses.all()), None)

    def part(c: Customer, index: int) -> str:
        a = address(c)
        return regions.split(a.region_id)[index] if a else ""

    def detail(c: Customer) -> str:
        a = address(c)
        if a is None:
            return ""
        return a.detail if full else customer_rules.mask_text(a.detail)

    columns = [
        ExportColumn("客户编号", lambda c: c.code, 12),
        ExportColumn("客户名称", lambda c: c.name if full else customer_rules.mask_name(c.name), 16),
        ExportColumn("客户类型", lambda c: kinds.get(c.kind, c.kind), 8),
        ExportColumn("性别", lambda c: genders.get(c.gender, "") if c.gender else "", 6),
        ExportColumn("手机", lambda c: (phones(c) or [""])[0], 14),
        ExportColumn("其他电话", lambda c: "、".join(phones(c)[1:]), 16),
        ExportColumn("省", lambda c: part(c, 0), 10),
        ExportColumn("市", lambda c: part(c, 1), 10),
        ExportColumn("区县", lambda c: part(c, 2), 10),
        ExportColumn("详细地址", detail, 28),
        ExportColumn("会员等级", lambda c: c.tier, 8),
        ExportColumn("生日", lambda c: c.birthday if full else None, 12),
        ExportColumn("标签", lambda c: "、".join(t.name for t in c.tags.all()), 16),
        ExportColumn("同意营销", lambda c: c.marketing_consent, 8),
        ExportColumn("来源渠道", lambda c: sources.get(c.source_channel, c.source_channel), 10),
        ExportColumn("组织编码", lambda c: c.org_unit.code, 10),
        ExportColumn("所属组织", lambda c: c.org_unit.name, 16),
        ExportColumn("负责人", lambda c: c.owner.username if c.owner else "", 10),
        ExportColumn("建档时间", lambda c: c.created_at, 18),
    ]
    out, count = queryset_xlsx(qs, columns, title="客户")
    customer_export_record(actor=actor, count=count, personal_data=full, filters=_used(filters))
    return ExportFile(out, _filename("客户"), count)


def export_units(*, actor: Any, params: Mapping[str, str]) -> ExportFile:
    require_perm(actor, EXPORT_PERMS["units"])
    filters: dict[str, Any] = {
        "q": _text(params, "q"),
        "customer_id": _int(params, "customer"),
        "model_id": _int(params, "model"),
        "status": _text(params, "status"),
    }
    full = can_export_personal_data(actor)
    statuses = _labels(UnitStatus)
    columns = [
        ExportColumn("序列号", lambda u: u.serial, 18),
        ExportColumn("型号", lambda u: u.product_model.code, 12),
        ExportColumn("型号名称", lambda u: u.product_model.name, 16),
        ExportColumn("客户编号", lambda u: u.customer.code if u.customer else "", 12),
        ExportColumn(
            "客户名称",
            lambda u: (u.customer.name if full else customer_rules.mask_name(u.customer.name)) if u.customer else "",
            14,
        ),
        ExportColumn("销售门店编码", lambda u: u.org_unit.code, 12),
        ExportColumn("销售门店", lambda u: u.org_unit.name, 16),
        ExportColumn("销售日期", lambda u: u.sale_date, 12),
        ExportColumn("安装日期", lambda u: u.installation_date, 12),
        ExportColumn("发票号", lambda u: u.invoice_no, 14),
        ExportColumn("保修凭证号", lambda u: u.voucher_no, 14),
        ExportColumn("延保截止日期", lambda u: u.extended_warranty_until, 12),
        ExportColumn("状态", lambda u: statuses.get(u.status, u.status), 8),
        ExportColumn("备注", lambda u: u.note, 20),
    ]
    out, count = queryset_xlsx(unit_list(actor=actor, **filters), columns, title="产品档案")
    data_export_record(
        actor=actor, kind="units", target_type=SoldUnit._meta.label_lower, count=count, filters=_used(filters)
    )
    return ExportFile(out, _filename("产品档案"), count)


def export_product_models(*, actor: Any, params: Mapping[str, str]) -> ExportFile:
    require_perm(actor, EXPORT_PERMS["product_models"])
    filters: dict[str, Any] = {
        "q": _text(params, "q"),
        "line_id": _int(params, "line"),
        "active": _bool(params, "active"),
    }
    columns = [
        ExportColumn("型号", lambda m: m.code, 14),
        ExportColumn("名称", lambda m: m.name, 20),
        ExportColumn("产品线", lambda m: m.product_line.code, 10),
        ExportColumn("产品线名称", lambda m: m.product_line.name, 12),
        ExportColumn("保修政策", lambda m: m.warranty_policy.code, 10),
        ExportColumn("保修政策名称", lambda m: m.warranty_policy.name, 14),
        ExportColumn("保修月数", lambda m: m.warranty_policy.months, 8),
        ExportColumn("品类", lambda m: m.category.code if m.category else "", 10),
        ExportColumn("品牌", lambda m: m.brand, 10),
        ExportColumn("经销价", lambda m: m.dealer_price, 10),
        ExportColumn("市场指导价", lambda m: m.market_price, 10),
        ExportColumn("需要安装", lambda m: m.needs_installation, 8),
        ExportColumn("启用", lambda m: m.is_active, 6),
    ]
    out, count = queryset_xlsx(product_model_list(**filters), columns, title="产品型号")
    data_export_record(
        actor=actor, kind="product_models", target_type="catalog.productmodel", count=count, filters=_used(filters)
    )
    return ExportFile(out, _filename("产品型号"), count)


def export_orders(*, actor: Any, params: Mapping[str, str]) -> ExportFile:
    require_perm(actor, EXPORT_PERMS["orders"])
    filters: dict[str, Any] = {
        "q": _text(params, "q"),
        "customer_id": _int(params, "customer"),
        "staff_id": _int(params, "staff"),
        "since": _day(params, "since"),
        "until": _day(params, "until"),
        # The order list page calls them `payment` and `delivery`.
        "payment_status": _text(params, "payment") or _text(params, "payment_status"),
        "delivery_status": _text(params, "delivery") or _text(params, "delivery_status"),
    }
    full = can_export_personal_data(actor)
    payments, deliveries = _labels(PaymentStatus), _labels(DeliveryStatus)
    columns = [
        ExportColumn("订单号", lambda o: o.number, 18),
        ExportColumn("下单日期", lambda o: o.order_date, 12),
        ExportColumn("客户编号", lambda o: o.customer.code, 12),
        ExportColumn("客户名称", lambda o: o.customer.name if full else customer_rules.mask_name(o.customer.name), 14),
        ExportColumn("门店编码", lambda o: o.org_unit.code, 10),
        ExportColumn("门店", lambda o: o.org_unit.name, 16),
        ExportColumn("销售人员", lambda o: o.sales_staff.display_name if o.sales_staff else "", 10),
        ExportColumn("金额", lambda o: o.total, 12),
        ExportColumn("付款状态", lambda o: payments.get(o.payment_status, o.payment_status), 10),
        ExportColumn("交付状态", lambda o: deliveries.get(o.delivery_status, o.delivery_status), 10),
        ExportColumn("备注", lambda o: o.note, 20),
    ]
    out, count = queryset_xlsx(order_list(actor=actor, **filters), columns, title="销售订单")
    data_export_record(
        actor=actor, kind="orders", target_type=SalesOrder._meta.label_lower, count=count, filters=_used(filters)
    )
    return ExportFile(out, _filename("销售订单"), count)


def export_labour_items(*, actor: Any, params: Mapping[str, str]) -> ExportFile:
    """Labour items of the fee schedules (one schedule with ?schedule=ID), in the import file's layout."""
    require_perm(actor, EXPORT_PERMS["labour_items"])
    filters: dict[str, Any] = {"schedule": _int(params, "schedule"), "region": _text(params, "region")}
    schedules = fee_schedule_list(region_code=filters["region"])
    if filters["schedule"]:
        schedules = schedules.filter(pk=filters["schedule"])
    qs = (
        LabourItem.objects.filter(schedule__in=schedules.values("pk"))
        .select_related("schedule", "product_line")
        .order_by("-schedule__effective_from", "schedule_id", "code")
    )
    regions = _Regions()
    columns = [
        ExportColumn("收费标准名称", lambda i: i.schedule.name, 22),
        ExportColumn("生效日期", lambda i: i.schedule.effective_from, 12),
        ExportColumn("省", lambda i: regions.split(i.schedule.region_id)[0], 10),
        ExportColumn("市", lambda i: regions.split(i.schedule.region_id)[1], 10),
        ExportColumn("区县", lambda i: regions.split(i.schedule.region_id)[2], 10),
        ExportColumn("项目编码", lambda i: i.code, 10),
        ExportColumn("项目名称", lambda i: i.name, 18),
        ExportColumn("产品线", lambda i: i.product_line.code if i.product_line else "", 10),
        ExportColumn("标准工时（分钟）", lambda i: i.standard_minutes, 14),
        ExportColumn("单价", lambda i: i.price, 10),
    ]
    out, count = queryset_xlsx(qs, columns, title="收费标准")
    data_export_record(
        actor=actor, kind="labour_items", target_type="catalog.labouritem", count=count, filters=_used(filters)
    )
    return ExportFile(out, _filename("收费标准"), count)


EXPORTS: dict[str, Callable[..., ExportFile]] = {
    "customers": export_customers,
    "units": export_units,
    "product_models": export_product_models,
    "orders": export_orders,
    "labour_items": export_labour_items,
}


def export(*, actor: Any, kind: str, params: Mapping[str, str]) -> ExportFile:
    if kind not in EXPORTS:
        raise field_error("kind", _("Choose what to export."))
    return EXPORTS[kind](actor=actor, params=params)


# --- import templates and error reports -------------------------------------------------------


def template_workbook(kind: str) -> bytes:
    """The import template of a kind: the header row and one example row, plus a sheet of notes."""
    cls = importer_class(kind)
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "导入数据"
    notes = workbook.create_sheet("填写说明")
    for index, column in enumerate(cls.columns, start=1):
        header = sheet.cell(row=1, column=index, value=column.header)
        header.font = REQUIRED_FONT if column.required else HEADER_FONT
        header.fill = HEADER_FILL
        example = sheet.cell(row=2, column=index, value=column.example if column.example != "" else None)
        if isinstance(column.example, dt.date):
            example.number_format = "yyyy-mm-dd"
        elif isinstance(column.example, str):
            example.number_format = "@"  # phone numbers and codes stay text
        sheet.column_dimensions[get_column_letter(index)].width = max(12, len(column.header) * 2 + 4)
    sheet.freeze_panes = "A2"
    notes.append(["列名", "必填", "说明", "也可用的列名"])
    for cell in notes[1]:
        cell.font = HEADER_FONT
        cell.fill = HEADER_FILL
    for column in cls.columns:
        notes.append([column.header, "是" if column.required else "", column.hint, "、".join(column.aliases)])
    notes.append([])
    notes.append(["第 1 行是表头，请勿修改列名；第 2 行是示例，导入前请删除或改为真实数据。红色列名为必填列。"])
    notes.append(["日期可写 2026-01-05、2026/1/5 或 2026年1月5日；是/否 列填“是”或“否”。"])
    for letter, width in zip("ABCD", (18, 6, 48, 36), strict=True):
        notes.column_dimensions[letter].width = width
        for cell in notes[letter]:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def template_filename(kind: str) -> str:
    return f"导入模板_{ImportKind(kind).label}.xlsx"


def error_report(job: ImportJob) -> ExportFile:
    """The job's row report (row, column, reason) as a workbook."""
    rows = ([e.get("row"), e.get("column", ""), e.get("message", "")] for e in job.errors or [])
    out, count = write_xlsx(rows, headers=[_("Row"), _("Column"), _("Reason")], title=_("Errors"), widths=(8, 18, 60))
    stem = job.original_name.rsplit(".", 1)[0][:60]
    return ExportFile(out, f"{stem}_错误报告.xlsx", count)
