"""API schemas of import jobs. The preview is masked unless the caller may see personal data."""

from __future__ import annotations

import datetime as dt
from typing import Any

from ninja import Schema


class RowErrorOut(Schema):
    row: int
    column: str
    message: str


class ImportJobListOut(Schema):
    id: int
    kind: str
    original_name: str
    file_format: str
    mode: str
    status: str
    rows_total: int
    rows_valid: int
    rows_invalid: int
    rows_imported: int
    org_unit_id: int
    created_by_id: int
    created_at: dt.datetime
    finished_at: dt.datetime | None


class ImportJobOut(ImportJobListOut):
    message: str
    errors: list[RowErrorOut]
    errors_truncated: bool
    preview_columns: list[str]
    preview_rows: list[list[str]]
    summary: dict[str, Any]
    confirmed_by_id: int | None
    validated_at: dt.datetime | None
    started_at: dt.datetime | None


class ImportJobFilter(Schema):
    kind: str = ""
    status: str = ""
