"""Streaming readers: CSV encodings (UTF-8, BOM, GBK), .xlsx as Excel writes it and as openpyxl writes it."""

from __future__ import annotations

import codecs
import datetime as dt
import zipfile

import pytest
from openpyxl import Workbook

from aftersales.exchange import readers
from aftersales.exchange.readers import UnreadableFile

ROWS = [["客户名称", "手机", "备注"], ["张三", "13812345678", "第一行,带逗号"], ["李四", "", "多行\n备注"]]


def _csv(tmp_path, content: bytes):
    path = tmp_path / "data.csv"
    path.write_bytes(content)
    return path


def _text(rows) -> str:
    import csv
    import io

    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("encode", "encoding"),
    [
        (lambda t: t.encode("utf-8"), "utf-8"),
        (lambda t: codecs.BOM_UTF8 + t.encode("utf-8"), "utf-8-sig"),
        (lambda t: t.encode("gbk"), "gb18030"),
        (lambda t: t.encode("gb18030"), "gb18030"),
    ],
)
def test_csv_encodings_are_detected(tmp_path, encode, encoding):
    path = _csv(tmp_path, encode(_text(ROWS)))
    assert readers.detect_encoding(path) == encoding
    rows = list(readers.csv_rows(path))
    # One record is one Excel row, even with a line break inside a quoted cell.
    assert rows == [(1, ROWS[0]), (2, ROWS[1]), (3, ROWS[2])]


def test_gbk_is_found_after_a_long_ascii_start(tmp_path):
    text = "a,b\n" + "1,2\n" * 400_000 + "张三,李四\n"
    path = _csv(tmp_path, text.encode("gbk"))
    assert readers.detect_encoding(path) == "gb18030"
    assert list(readers.csv_rows(path))[-1] == (400_002, ["张三", "李四"])


def test_semicolon_and_tab_separated_files(tmp_path):
    path = _csv(tmp_path, "序列号;型号\nSN1;JS-100\n".encode())
    assert list(readers.csv_rows(path)) == [(1, ["序列号", "型号"]), (2, ["SN1", "JS-100"])]
    path = _csv(tmp_path, "序列号\t型号\nSN1\tJS-100\n".encode())
    assert list(readers.csv_rows(path))[1] == (2, ["SN1", "JS-100"])


def test_openpyxl_workbooks_with_inline_strings_dates_numbers_and_gaps(tmp_path):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["序列号", "销售日期", "数量", "已安装"])
    sheet.append(["SN1", dt.date(2026, 1, 5), 3, True])
    sheet.append([])  # an empty row 3: row numbers stay Excel's
    sheet["A4"] = "SN2"
    sheet["D4"] = "=1+1"  # a formula without a saved value
    sheet["C5"] = 1.5
    path = tmp_path / "data.xlsx"
    workbook.save(path)
    rows = list(readers.xlsx_rows(path))
    assert rows[0] == (1, ["序列号", "销售日期", "数量", "已安装"])
    assert rows[1] == (2, ["SN1", dt.datetime(2026, 1, 5), 3, True])
    assert rows[2] == (4, ["SN2", None, None, None])
    assert rows[3] == (5, [None, None, 1.5])


def _workbook(tmp_path, *, sheet: str, strings: str = "", styles: str = "", date1904: bool = False):
    main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    path = tmp_path / "excel.xlsx"
    flag = ' date1904="1"' if date1904 else ""
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(
            "xl/workbook.xml",
            f'<workbook xmlns="{main}" xmlns:r="{rel}"><workbookPr{flag}/>'
            '<sheets><sheet name="客户" sheetId="1" r:id="rId1"/></sheets></workbook>',
        )
        archive.writestr(
            "xl/_rels/workbook.xml.rels",
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            f'<Relationship Id="rId1" Type="{rel}/worksheet" Target="worksheets/sheet1.xml"/>'
            f'<Relationship Id="rId2" Type="{rel}/sharedStrings" Target="sharedStrings.xml"/>'
            f'<Relationship Id="rId3" Type="{rel}/styles" Target="/xl/styles.xml"/></Relationships>',
        )
        archive.writestr(
            "xl/worksheets/sheet1.xml", f'<worksheet xmlns="{main}"><sheetData>{sheet}</sheetData></worksheet>'
        )
        archive.writestr("xl/sharedStrings.xml", f'<sst xmlns="{main}">{strings}</sst>')
        archive.writestr("xl/styles.xml", f'<styleSheet xmlns="{main}">{styles}</styleSheet>')
    return path


def test_excel_workbooks_with_shared_strings_rich_text_and_chinese_date_formats(tmp_path):
    # As Excel (zh-CN) saves it: shared strings (one of them rich text with a phonetic guide), a date
    # in the built-in CJK format 31 (yyyy"年"m"月"d"日"), one in a custom format, a boolean, an error.
    path = _workbook(
        tmp_path,
        strings="<si><t>客户名称</t></si><si><r><t>张</t></r><r><t>三</t></r><rPh><t>zhang</t></rPh></si>",
        styles=(
            '<numFmts count="1"><numFmt numFmtId="176" formatCode="yyyy/m/d;@"/></numFmts>'
            '<cellXfs count="4"><xf numFmtId="0"/><xf numFmtId="31"/><xf numFmtId="176"/><xf numFmtId="49"/></cellXfs>'
        ),
        sheet=(
            '<row r="1"><c r="A1" t="s"><v>0</v></c></row>'
            '<row r="3"><c r="A3" t="s"><v>1</v></c><c r="C3" s="1"><v>46027</v></c><c r="D3" s="2"><v>46028</v></c>'
            '<c r="E3" t="b"><v>1</v></c><c r="F3" t="e"><v>#N/A</v></c><c r="G3" s="3"><v>13812345678</v></c>'
            '<c r="H3" t="str"><f>A3</f><v>张三</v></c></row>'
        ),
    )
    assert list(readers.xlsx_rows(path)) == [
        (1, ["客户名称"]),
        (3, ["张三", None, dt.datetime(2026, 1, 5), dt.datetime(2026, 1, 6), True, None, 13812345678, "张三"]),
    ]


def test_1904_workbooks(tmp_path):
    path = _workbook(
        tmp_path,
        styles='<cellXfs count="2"><xf numFmtId="0"/><xf numFmtId="14"/></cellXfs>',
        sheet='<row r="1"><c r="A1" s="1"><v>44565</v></c></row>',
        date1904=True,
    )
    assert list(readers.xlsx_rows(path)) == [(1, [dt.datetime(2026, 1, 5)])]


def test_damaged_files_are_refused_with_a_message(tmp_path):
    path = tmp_path / "fake.xlsx"
    path.write_bytes(b"not a zip file")
    with pytest.raises(UnreadableFile):
        list(readers.xlsx_rows(path))
    path = _workbook(tmp_path, sheet="<row><c><v>1</v></c>")  # truncated XML
    with pytest.raises(UnreadableFile):
        list(readers.xlsx_rows(path))


def test_format_by_extension():
    assert readers.format_of("客户.XLSX") == "xlsx"
    assert readers.format_of("units.csv") == "csv"
    assert readers.format_of("old.xls") is None
    assert readers.format_of("evil.xlsx.exe") is None
