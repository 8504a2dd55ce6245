"""Pure rules of imports: cell values, headers, region names, the job's states, preview masking."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import translation
from hypothesis import given
from hypothesis import strategies as st

from aftersales.exchange import rules
from aftersales.exchange.rules import CellError


@pytest.fixture(autouse=True)
def _chinese():
    with translation.override("zh-hans"):
        yield


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2026-01-05", dt.date(2026, 1, 5)),
        ("2026/1/5", dt.date(2026, 1, 5)),
        ("2026年1月5日", dt.date(2026, 1, 5)),
        ("2026 年 1 月 5 日", dt.date(2026, 1, 5)),
        ("2026.01.05", dt.date(2026, 1, 5)),
        ("2026-01-05 00:00:00", dt.date(2026, 1, 5)),
        ("２０２６－０１－０５", dt.date(2026, 1, 5)),  # full-width digits typed with a Chinese IME
        (dt.datetime(2026, 1, 5, 10, 30), dt.date(2026, 1, 5)),  # an Excel date cell
        (dt.date(2026, 1, 5), dt.date(2026, 1, 5)),
        (None, None),
        ("", None),
        ("  ", None),
    ],
)
def test_dates_in_the_forms_people_type(value, expected):
    assert rules.parse_date(value) == expected


@pytest.mark.parametrize("value", ["05/01/2026", "2026-13-01", "2026-02-30", "明天", "20260105", 46027, 46027.0])
def test_other_dates_are_a_row_error_in_chinese(value):
    with pytest.raises(CellError) as exc:
        rules.parse_date(value)
    assert exc.value.message == "日期格式不正确，应为 YYYY-MM-DD"


@given(st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2100, 12, 31)))
def test_every_date_reads_back_in_each_accepted_form(day):
    for text in (day.isoformat(), f"{day.year}/{day.month}/{day.day}", f"{day.year}年{day.month}月{day.day}日"):
        assert rules.parse_date(text) == day


@pytest.mark.parametrize(
    ("value", "expected"),
    [(13812345678, "13812345678"), (13812345678.0, "13812345678"), (1.5, "1.5"), (True, "是"), ("  ＡＢ ", "AB")],
)
def test_cells_as_text_drop_the_spurious_decimal_of_numbers(value, expected):
    assert rules.cell_text(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [("1,200.5", Decimal("1200.50")), ("¥50", Decimal("50.00")), (30, Decimal("30.00")), (0.1, Decimal("0.10"))],
)
def test_money(value, expected):
    assert rules.parse_decimal(value) == expected


def test_bad_numbers():
    with pytest.raises(CellError):
        rules.parse_decimal("五十")
    with pytest.raises(CellError):
        rules.parse_int("1.5")
    assert rules.parse_int("30") == 30
    assert rules.parse_int(30.0) == 30


@pytest.mark.parametrize(("value", "expected"), [("是", True), ("否", False), ("Y", True), (0, False), ("", None)])
def test_yes_no(value, expected):
    assert rules.parse_bool(value) is expected


def test_yes_no_refuses_anything_else():
    with pytest.raises(CellError):
        rules.parse_bool("也许")


def test_lists_split_on_the_separators_people_type():
    assert rules.split_list("VIP，老客户、净水;  ") == ["VIP", "老客户", "净水"]


def test_headers_match_chinese_names_and_english_aliases():
    names = {"serial": ("序列号", "serial_number"), "sale_date": ("销售日期",), "note": ("备注",)}
    match = rules.match_headers(["Serial Number", "销售日期（YYYY-MM-DD）", "颜色", None, "序列号"], names)
    assert match.positions == {"serial": 0, "sale_date": 1}
    assert match.labels == {"serial": "Serial Number", "sale_date": "销售日期（YYYY-MM-DD）"}
    assert match.unknown == ["颜色"]
    assert match.duplicates == ["serial"]


def test_choices_by_label_or_value():
    options = {rules.choice_key(k): v for k, v in {"个人": "individual", "Individual": "individual"}.items()}
    assert rules.parse_choice(" individual ", options, shown=["个人"]) == "individual"
    assert rules.parse_choice("", options, shown=["个人"]) is None
    with pytest.raises(CellError) as exc:
        rules.parse_choice("团体", options, shown=["个人", "企业"])
    assert "个人、企业" in exc.value.message


@pytest.mark.parametrize(
    ("parts", "exact", "loose"),
    [
        (("广东省", "深圳市", "南山区"), "广东省深圳市南山区", "广东深圳南山"),
        (("北京市", "北京市", "东城区"), "北京市东城区", "北京东城"),
        (("北京市", "市辖区", "东城区"), "北京市东城区", "北京东城"),
        (("广东省深圳市南山区", "", ""), "广东省深圳市南山区", "广东省深圳市南山"),
        (("安徽省", "马鞍山市", "和县"), "安徽省马鞍山市和县", "安徽马鞍山和县"),
    ],
)
def test_region_keys(parts, exact, loose):
    assert rules.region_key(parts) == exact
    assert rules.region_key(parts, loose=True) == loose


def test_state_machine():
    assert rules.can_transition("uploaded", "validating")
    assert rules.can_transition("validated", "importing")
    assert rules.can_transition("importing", "done")
    assert not rules.can_transition("done", "importing")
    assert not rules.can_transition("failed", "validated")
    assert not rules.can_transition("uploaded", "done")
    assert rules.sources_of("failed") == ["uploaded", "validating", "validated", "importing"]


def test_confirm_refusals():
    ok = {"status": "validated", "rows_valid": 3, "rows_invalid": 0}
    assert rules.confirm_refusal(mode="all_or_nothing", **ok) is None
    assert rules.confirm_refusal(mode="all_or_nothing", status="validated", rows_valid=3, rows_invalid=1)
    assert rules.confirm_refusal(mode="valid_rows_only", status="validated", rows_valid=3, rows_invalid=1) is None
    assert rules.confirm_refusal(mode="valid_rows_only", status="validated", rows_valid=0, rows_invalid=4)
    assert rules.confirm_refusal(mode="valid_rows_only", status="done", rows_valid=3, rows_invalid=0)


def test_preview_masking():
    assert rules.mask_preview_value("13812345678、075586001234", "phone") == "138****5678、075*****1234"
    assert rules.mask_preview_value("科技园1号", "text") == "****"
    assert rules.mask_preview_value("张三", "") == "张三"
