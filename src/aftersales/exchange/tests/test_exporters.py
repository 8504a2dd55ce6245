"""The streaming .xlsx writer: text stays text, times are local, rows are counted."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

from openpyxl import load_workbook

from aftersales.exchange import exporters


def test_formulas_from_data_stay_text_and_control_characters_go():
    rows = [['=HYPERLINK("http://evil")', "a\x07b", Decimal("1.50"), dt.date(2026, 1, 5), True, None]]
    out, count = exporters.write_xlsx(rows, headers=["名称", "备注", "金额", "日期", "是否", "空"], title="测试")
    assert count == 1
    sheet = load_workbook(out).worksheets[0]
    cell = sheet["A2"]
    assert cell.value == '=HYPERLINK("http://evil")' and cell.data_type == "s"
    assert sheet["B2"].value == "ab"
    assert sheet["C2"].value == 1.5
    assert sheet["D2"].value == dt.datetime(2026, 1, 5)
    assert sheet["E2"].value == "是"
    assert sheet["A1"].font.bold


def test_times_are_written_in_local_time():
    utc = dt.datetime(2026, 1, 5, 16, 30, tzinfo=ZoneInfo("UTC"))
    assert exporters.cell_value(utc) == dt.datetime(2026, 1, 6, 0, 30)


def test_many_rows_stream_through_a_temporary_file():
    rows = ([i, f"客户{i}"] for i in range(5000))
    out, count = exporters.write_xlsx(rows, headers=["序号", "名称"], title="客户")
    assert count == 5000
    sheet = load_workbook(out, read_only=True).worksheets[0]
    assert sum(1 for _ in sheet.iter_rows(values_only=True)) == 5001
