"""Pure rules of imports: reading cell values, matching header names, region names, the job's states.

No database here. Cell readers raise `CellError` with the message the row report shows.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.translation import pgettext

from aftersales.customers import rules as customer_rules
from aftersales.exchange.models import ImportMode, ImportStatus


class CellError(ValueError):
    """A cell that cannot be read; `message` is what the row report says."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


# --- cell values ------------------------------------------------------------------------------


def cell_text(value: Any) -> str:
    """A cell as text: numbers without a spurious ".0" (phones and serials typed as numbers in Excel)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float):
        if value.is_integer():
            return str(int(value))
        return repr(value)
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time.min else value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    return unicodedata.normalize("NFKC", str(value)).strip()


_DATE_NUMERIC = re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$")
_DATE_CHINESE = re.compile(r"^(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*[日号]?$")


def date_format_message() -> str:
    return pgettext("import report", "Wrong date format: use YYYY-MM-DD.")


def parse_date(value: Any) -> dt.date | None:
    """2026-01-05, 2026/1/5, 2026年1月5日 and Excel date cells; empty is None; anything else an error."""
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if not isinstance(value, str):
        # A bare number (an Excel serial day count in a cell not formatted as a date) is ambiguous.
        raise CellError(date_format_message())
    text = unicodedata.normalize("NFKC", value).strip()
    if not text:
        return None
    match = _DATE_NUMERIC.match(text) or _DATE_CHINESE.match(text)
    if match is None:
        raise CellError(date_format_message())
    try:
        return dt.date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
    except ValueError as exc:
        raise CellError(date_format_message()) from exc


_MONEY_NOISE = re.compile(r"[,\s¥￥元]")


def parse_decimal(value: Any, *, places: int = 2) -> Decimal | None:
    """A number (money, kilometres) as Decimal with `places` decimals; floats go through their repr."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise CellError(pgettext("import report", "Enter a number."))
    if isinstance(value, int | Decimal):
        number = Decimal(value)
    elif isinstance(value, float):
        number = Decimal(repr(value))
    else:
        text = _MONEY_NOISE.sub("", unicodedata.normalize("NFKC", str(value)))
        if not text:
            return None
        try:
            number = Decimal(text)
        except InvalidOperation as exc:
            raise CellError(pgettext("import report", "Enter a number.")) from exc
    if not number.is_finite():
        raise CellError(pgettext("import report", "Enter a number."))
    return number.quantize(Decimal(1).scaleb(-places))


def parse_int(value: Any) -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise CellError(pgettext("import report", "Enter a whole number."))
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    text = unicodedata.normalize("NFKC", str(value)).strip().replace(",", "")
    if not text:
        return None
    if re.fullmatch(r"[+-]?\d+", text):
        return int(text)
    if re.fullmatch(r"[+-]?\d+\.0+", text):
        return int(text.split(".")[0])
    raise CellError(pgettext("import report", "Enter a whole number."))


_TRUE = {"是", "y", "yes", "true", "1", "√", "✓", "对", "有", "需要", "同意", "启用", "t"}
_FALSE = {"否", "n", "no", "false", "0", "×", "✗", "x", "错", "无", "不需要", "不同意", "停用", "f"}


def parse_bool(value: Any) -> bool | None:
    """是/否 (and yes/no, 1/0, √/×); empty is None so that the caller's default applies."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return value
    text = cell_text(value).lower()
    if not text:
        return None
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise CellError(pgettext("import report", 'Enter "是" or "否".'))


_LIST_SEPARATORS = re.compile(r"[,，、;；/|\n]+")


def split_list(value: Any) -> list[str]:
    """ "VIP，老客户、净水" → ["VIP", "老客户", "净水"]: the separators people type in one cell."""
    return [part.strip() for part in _LIST_SEPARATORS.split(cell_text(value)) if part.strip()]


def choice_key(text: str) -> str:
    return unicodedata.normalize("NFKC", text).strip().lower().replace(" ", "")


def parse_choice(value: Any, options: Mapping[str, str], *, shown: Sequence[str]) -> str | None:
    """The stored value for a label or value a person typed; None when empty. `options` maps
    `choice_key(label)` → value; `shown` are the labels listed in the error message."""
    text = cell_text(value)
    if not text:
        return None
    found = options.get(choice_key(text))
    if found is None:
        raise CellError(
            pgettext("import report", "Not one of the allowed values: %(values)s") % {"values": "、".join(shown)}
        )
    return found


# --- headers ----------------------------------------------------------------------------------

_PARENTHESES = re.compile(r"\([^)]*\)")


def normalise_header(text: Any) -> str:
    """ "销售日期（YYYY-MM-DD）*" → "销售日期", "Sale_Date" → "saledate": what two headers share."""
    folded = unicodedata.normalize("NFKC", cell_text(text)).lower()
    folded = _PARENTHESES.sub("", folded)
    return re.sub(r"[\s*_\-:：/.·]", "", folded)


@dataclass(frozen=True)
class HeaderMatch:
    positions: dict[str, int]  # column key → index in the row
    labels: dict[str, str]  # column key → the header as written in the file
    unknown: list[str]  # headers that match no column (ignored)
    duplicates: list[str]  # column keys named by two headers


def match_headers(headers: Sequence[Any], names: Mapping[str, Sequence[str]]) -> HeaderMatch:
    """Which column of the file holds which field, by Chinese name or English alias."""
    lookup: dict[str, str] = {}
    for key, key_names in names.items():
        for name in (key, *key_names):
            lookup.setdefault(normalise_header(name), key)
    positions: dict[str, int] = {}
    labels: dict[str, str] = {}
    unknown: list[str] = []
    duplicates: list[str] = []
    for index, header in enumerate(headers):
        text = cell_text(header)
        if not text:
            continue
        found = lookup.get(normalise_header(text))
        if found is None:
            unknown.append(text)
        elif found in positions:
            duplicates.append(found)
        else:
            positions[found] = index
            labels[found] = str(header).strip()  # as the person wrote it, full-width brackets and all
    return HeaderMatch(positions=positions, labels=labels, unknown=unknown, duplicates=duplicates)


# --- administrative regions by name -----------------------------------------------------------

# Longest first, so that 壮族自治区 is cut before 自治区 and 区.
_REGION_SUFFIXES = sorted(
    [
        "省",
        "市",
        "自治区",
        "壮族自治区",
        "回族自治区",
        "维吾尔自治区",
        "特别行政区",
        "自治州",
        "地区",
        "盟",
        "区",
        "县",
        "自治县",
        "旗",
        "自治旗",
    ],
    key=len,
    reverse=True,
)
# Placeholders of the division tables that people also type, and that name no place.
_REGION_FILLERS = {"市辖区", "县", "省直辖县级行政区划", "自治区直辖县级行政区划", "直辖县"}


def strip_region_suffix(name: str) -> str:
    """广东省 → 广东, 南山区 → 南山; a name that would fall under two characters is kept (和县)."""
    for suffix in _REGION_SUFFIXES:
        if name.endswith(suffix) and len(name) - len(suffix) >= 2:
            return name[: -len(suffix)]
    return name


def region_key(parts: Iterable[str], *, loose: bool = False) -> str:
    """The lookup key of province/city/district names: a municipality is not repeated (北京市 北京市
    东城区 → 北京市东城区, as `Region.full_name`); `loose` drops the suffixes (广东 深圳 南山)."""
    result: list[str] = []
    for part in parts:
        text = re.sub(r"\s", "", unicodedata.normalize("NFKC", part or ""))
        if not text or text in _REGION_FILLERS:
            continue
        if loose:
            text = strip_region_suffix(text)
        if result and result[-1] == text:
            continue
        result.append(text)
    return "".join(result)


# --- the job's state machine ------------------------------------------------------------------

STATUS_TRANSITIONS: dict[str, frozenset[str]] = {
    ImportStatus.UPLOADED: frozenset({ImportStatus.VALIDATING, ImportStatus.FAILED}),
    # validating → validating: the worker died half-way and the task runs again.
    ImportStatus.VALIDATING: frozenset({ImportStatus.VALIDATING, ImportStatus.VALIDATED, ImportStatus.FAILED}),
    ImportStatus.VALIDATED: frozenset({ImportStatus.IMPORTING, ImportStatus.FAILED}),
    # importing → importing: the same, for the import (its writes are one transaction).
    ImportStatus.IMPORTING: frozenset({ImportStatus.IMPORTING, ImportStatus.DONE, ImportStatus.FAILED}),
    ImportStatus.DONE: frozenset(),
    ImportStatus.FAILED: frozenset(),
}


def can_transition(current: str, new: str) -> bool:
    return new in STATUS_TRANSITIONS.get(current, frozenset())


def sources_of(new: str) -> list[str]:
    """The states a job may move to `new` from (for conditional updates that lose no race)."""
    return [state for state, targets in STATUS_TRANSITIONS.items() if new in targets]


def confirm_refusal(*, status: str, mode: str, rows_valid: int, rows_invalid: int) -> str | None:
    """Why a validated job cannot be imported now, or None when it can."""
    if status != ImportStatus.VALIDATED:
        return pgettext("import report", "Only a validated file can be imported.")
    if rows_valid == 0:
        return pgettext("import report", "The file has no valid row to import.")
    if mode == ImportMode.ALL_OR_NOTHING and rows_invalid:
        return pgettext(
            "import report",
            "All-or-nothing mode: %(count)s rows have errors. Correct them and upload the file again, "
            "or choose to import the valid rows only.",
        ) % {"count": rows_invalid}
    return None


# --- the preview, as shown to people who may not see personal data ---------------------------


def mask_preview_value(value: str, mask: str) -> str:
    """Masks one preview cell: "phone" cells hold numbers separated by 、, "text" cells a street address."""
    if not value or not mask:
        return value
    if mask == "phone":
        return "、".join(customer_rules.mask_phone(v) for v in value.split("、"))
    return customer_rules.mask_text(value)
