"""Builders of small import files for the tests."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook


def xlsx_bytes(rows: Sequence[Sequence[Any]]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(list(row))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def csv_bytes(rows: Sequence[Sequence[Any]], *, encoding: str = "utf-8") -> bytes:
    text = io.StringIO()
    csv.writer(text).writerows(rows)
    return text.getvalue().encode(encoding)


def upload(rows: Sequence[Sequence[Any]], *, name: str = "data.xlsx", encoding: str = "utf-8") -> SimpleUploadedFile:
    content = csv_bytes(rows, encoding=encoding) if name.endswith(".csv") else xlsx_bytes(rows)
    return SimpleUploadedFile(name, content)
