"""API schemas of the shared kernel."""

from __future__ import annotations

import datetime as dt
from typing import Any

from ninja import Schema


class AuditEntryOut(Schema):
    id: int
    at: dt.datetime
    actor_id: int | None
    actor_label: str
    channel: str
    ip: str | None
    request_id: str
    action: str
    target_type: str
    object_id: str
    object_repr: str
    changes: dict[str, Any]
    note: str


class AuditFilter(Schema):
    action: str = ""
    channel: str = ""
    target_type: str = ""
    object_id: str = ""
    actor_id: int | None = None
    q: str = ""
    since: dt.datetime | None = None
    until: dt.datetime | None = None
