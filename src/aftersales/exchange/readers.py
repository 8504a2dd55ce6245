"""Streaming row readers for .xlsx and .csv files: one row at a time, never the whole file in memory.

Rows come out as (row number as Excel shows it, list of cell values); the header is row 1. CSV files
from Excel in China are GBK/GB18030 unless saved as "CSV UTF-8"; the encoding is detected. Of an
.xlsx workbook only the shared-string table (as openpyxl does) and the current row are in memory.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

from django.utils.translation import gettext as _
from openpyxl.styles.numbers import is_date_format
from openpyxl.utils.datetime import CALENDAR_MAC_1904, CALENDAR_WINDOWS_1900, from_excel

from aftersales.exchange.models import ImportFormat

Row = tuple[int, list[Any]]
_CHUNK = 1 << 20


class UnreadableFile(Exception):
    """The file is not what its name says, or is damaged; `message` is shown to the user."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def detect_encoding(path: Path) -> str:
    """utf-8-sig for a BOM, utf-8 when every byte decodes as UTF-8, else gb18030 (a superset of GBK).

    Reads the whole file in 1 MB chunks through an incremental decoder: constant memory, and a
    GBK file whose first megabyte happens to be ASCII is still recognised.
    """
    with path.open("rb") as fh:
        head = fh.read(4)
        if head.startswith(codecs.BOM_UTF8):
            return "utf-8-sig"
        if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            return "utf-16"
        fh.seek(0)
        decoder = codecs.getincrementaldecoder("utf-8")()
        try:
            while chunk := fh.read(_CHUNK):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return "gb18030"
    return "utf-8"


def _sniff_delimiter(first_line: str) -> str:
    counts = {d: first_line.count(d) for d in (",", "\t", ";")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def csv_rows(path: Path) -> Iterator[Row]:
    encoding = detect_encoding(path)
    with path.open("r", encoding=encoding, errors="replace", newline="") as fh:
        first = fh.readline()
        fh.seek(0)
        reader = csv.reader(fh, delimiter=_sniff_delimiter(first))
        try:
            # One record is one Excel row even when a quoted cell spans several lines.
            for number, record in enumerate(reader, start=1):
                yield number, list(record)
        except csv.Error as exc:
            raise UnreadableFile(_("The CSV file is damaged: %(error)s") % {"error": exc}) from exc


# --- .xlsx ------------------------------------------------------------------------------------
#
# Why not openpyxl's read-only mode, which this module used first: measured on 100,000 rows × 12
# columns it took 24 s (10 s when strings are shared), because (1) files without a <dimension>
# element — openpyxl's own output, our exports — are parsed twice when the workbook opens, and (2)
# every inline string goes through openpyxl's descriptor classes. It also reads a date cell in one
# of Excel's Chinese built-in formats (ids 27-36, 50-58: yyyy"年"m"月"d"日") as a bare number.
# This reader walks the same XML with ElementTree.iterparse in 4 s and knows those formats; it still
# uses openpyxl's helpers for custom date formats and serial-day conversion.

_XLSX_LIMIT = 512 * 1024 * 1024  # uncompressed size of one part: a zip bomb is refused, not inflated
# Built-in number formats that are dates or times, including the locale-dependent CJK ones.
_DATE_FORMAT_IDS = frozenset([*range(14, 23), *range(27, 37), *range(45, 48), *range(50, 59), *range(71, 82)])
_REL_OFFICE = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_REL_STRICT = "http://purl.oclc.org/ooxml/officeDocument/relationships"


def _local(tag: str) -> str:
    """The tag without its namespace: transitional and strict OOXML files name the same elements."""
    return tag.rpartition("}")[2]


def _text_of(element: Any) -> str:
    """The text of a string item: <t>, or the runs <r><t>; phonetic guides (<rPh>) are not text."""
    parts: list[str] = []
    for child in element:
        name = _local(child.tag)
        if name == "t":
            parts.append(child.text or "")
        elif name == "r":
            parts.extend(t.text or "" for t in child if _local(t.tag) == "t")
    return "".join(parts)


class _Workbook:
    """The parts of a workbook needed to read its first sheet's values."""

    def __init__(self, archive: zipfile.ZipFile) -> None:
        self.archive = archive
        for info in archive.infolist():
            if info.file_size > _XLSX_LIMIT:
                raise UnreadableFile(_("The file is not a valid Excel (.xlsx) workbook."))
        names = set(archive.namelist())
        workbook = self._xml("xl/workbook.xml")
        self.epoch = CALENDAR_WINDOWS_1900
        first_id = ""
        for element in workbook.iter():
            name = _local(element.tag)
            if name == "workbookPr" and element.get("date1904") in ("1", "true"):
                self.epoch = CALENDAR_MAC_1904
            elif name == "sheet" and not first_id:
                first_id = element.get(f"{{{_REL_OFFICE}}}id") or element.get(f"{{{_REL_STRICT}}}id") or ""
        self.sheet = ""
        self.strings_part = ""
        self.styles_part = ""
        if "xl/_rels/workbook.xml.rels" in names:
            for rel in self._xml("xl/_rels/workbook.xml.rels"):
                target = rel.get("Target", "")
                target = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
                kind = rel.get("Type", "").rsplit("/", 1)[-1]
                if rel.get("Id") == first_id:
                    self.sheet = target
                elif kind == "sharedStrings":
                    self.strings_part = target
                elif kind == "styles":
                    self.styles_part = target
        if self.sheet not in names:
            raise UnreadableFile(_("The file is not a valid Excel (.xlsx) workbook."))
        self.strings = self._shared_strings() if self.strings_part in names else []
        self.date_styles = self._date_styles() if self.styles_part in names else frozenset()

    def _xml(self, part: str) -> Any:
        with self.archive.open(part) as fh:
            return ElementTree.parse(fh).getroot()  # noqa: S314 (expat: no external entities, bounded expansion)

    def _shared_strings(self) -> list[str]:
        strings: list[str] = []
        with self.archive.open(self.strings_part) as fh:
            for _event, element in ElementTree.iterparse(fh):  # noqa: S314
                if _local(element.tag) == "si":
                    strings.append(_text_of(element))
                    element.clear()
        return strings

    def _date_styles(self) -> frozenset[int]:
        """Indexes of the cell styles (the `s` of a cell) whose number format is a date or time."""
        styles = self._xml(self.styles_part)
        custom: dict[int, str] = {}
        dates: set[int] = set()
        for element in styles.iter():
            if _local(element.tag) == "numFmt":
                custom[int(element.get("numFmtId", "0"))] = element.get("formatCode", "")
        for element in styles.iter():
            if _local(element.tag) != "cellXfs":
                continue
            for index, xf in enumerate(x for x in element if _local(x.tag) == "xf"):
                fmt = int(xf.get("numFmtId", "0"))
                if fmt in custom:
                    if is_date_format(custom[fmt]):
                        dates.add(index)
                elif fmt in _DATE_FORMAT_IDS:
                    dates.add(index)
            break
        return frozenset(dates)


def _column_index(reference: str) -> int:
    """ "C12" → 2 (0-based)."""
    index = 0
    for char in reference:
        if "A" <= char <= "Z":
            index = index * 26 + ord(char) - 64
        else:
            break
    return index - 1


def _typed_value(kind: str, raw: str, style: str | None, book: _Workbook) -> Any:
    """A <v> value by the cell's type; the common shared-string case is handled by the caller."""
    if kind == "n":
        number: int | float = int(raw) if raw.lstrip("-").isdigit() else float(raw)
        if style is not None and int(style) in book.date_styles:
            try:
                return from_excel(number, book.epoch)
            except (OverflowError, ValueError):
                return number
        return number
    if kind == "str":
        return raw
    if kind == "b":
        return raw == "1"
    if kind == "d":
        try:
            return dt.datetime.fromisoformat(raw)
        except ValueError:
            return raw
    return None  # "e": an error value (#N/A, #DIV/0!) is no data


def xlsx_rows(path: Path) -> Iterator[Row]:
    """The first worksheet, one row at a time, with the row numbers Excel shows (empty rows are
    skipped; missing cells are None). Formula cells give the value Excel saved."""
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise UnreadableFile(_("The file is not a valid Excel (.xlsx) workbook.")) from exc
    with archive:
        try:
            book = _Workbook(archive)
            strings = book.strings
            with archive.open(book.sheet) as fh:
                row_tag = cell_tag = value_tag = inline_tag = ""
                expected = 1
                # Only "end" events (a "start" per element costs a third more); each row is cleared
                # once read, so what stays in memory is an empty element per row.
                for event, item in ElementTree.iterparse(fh, events=("start-ns", "end")):  # noqa: S314
                    if event == "start-ns":
                        prefix, uri = item
                        if not prefix and not row_tag:
                            row_tag, cell_tag, value_tag, inline_tag = (
                                f"{{{uri}}}{n}" for n in ("row", "c", "v", "is")
                            )
                        continue
                    if item.tag != row_tag:
                        continue
                    number = int(item.get("r") or expected)
                    expected = number + 1
                    values: list[Any] = []
                    for cell in item:
                        if cell.tag != cell_tag:
                            continue
                        reference = cell.get("r")
                        if reference:
                            position = _column_index(reference)
                            if position > len(values):
                                values.extend([None] * (position - len(values)))
                        kind = cell.get("t", "n")
                        value: Any = None
                        if kind == "inlineStr":
                            value = "".join(_text_of(child) for child in cell if child.tag == inline_tag)
                        else:
                            raw = next((child.text for child in cell if child.tag == value_tag), None)
                            if raw is not None:
                                if kind == "s":
                                    index = int(raw)
                                    value = strings[index] if 0 <= index < len(strings) else None
                                else:
                                    value = _typed_value(kind, raw, cell.get("s"), book)
                        values.append(value)
                    item.clear()
                    yield number, values
        except (ElementTree.ParseError, KeyError, ValueError, IndexError, zipfile.BadZipFile) as exc:
            raise UnreadableFile(_("The file is not a valid Excel (.xlsx) workbook.")) from exc


def read_rows(path: Path, file_format: str) -> Iterator[Row]:
    if file_format == ImportFormat.CSV:
        return csv_rows(path)
    if file_format == ImportFormat.XLSX:
        return xlsx_rows(path)
    raise UnreadableFile(_("Only .xlsx and .csv files can be imported."))


def format_of(filename: str) -> str | None:
    """The format by the file's extension; None for anything else (.xls is refused with a hint)."""
    name = filename.lower()
    if name.endswith(".xlsx"):
        return ImportFormat.XLSX
    if name.endswith(".csv"):
        return ImportFormat.CSV
    return None


def is_blank(values: list[Any]) -> bool:
    return all(v is None or (isinstance(v, str) and not v.strip()) for v in values)
