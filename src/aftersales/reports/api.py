"""API of reports: /reports/dashboard (the manager dashboard's figures)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from aftersales.core.errors import PermissionDenied
from aftersales.reports import selectors
from aftersales.service.policies import is_customer_actor

router = Router(tags=["reports"])


class DashboardIn(Schema):
    months: int = Field(12, ge=1, le=36, description="calendar months, this one included")


class TypeCount(Schema):
    type: str
    label: str
    count: int


class StatusCount(Schema):
    status: str
    label: str
    count: int


class Cell(Schema):
    type: str
    status: str
    count: int


class Timely(Schema):
    resolved: int
    timely: int
    rate: float | None


class Band(Schema):
    band: str
    label: str
    count: int


class Backlog(Schema):
    open: int
    overdue: int
    escalated: int
    bands: list[Band]


class DashboardOut(Schema):
    since: dt.datetime
    until: dt.datetime
    months: int
    received: int
    by_type: list[TypeCount]
    by_status: list[StatusCount]
    by_type_status: list[Cell]
    timely: Timely
    backlog: Backlog


@router.get(
    "/reports/dashboard",
    response=DashboardOut,
    summary="Manager dashboard: requests by type and state, timely-resolution rate, backlog by age",
)
def dashboard(request: HttpRequest, params: Query[DashboardIn]) -> dict[str, Any]:
    if is_customer_actor(request.user) or not request.user.has_perm("service.view_servicerequest"):
        raise PermissionDenied()
    return selectors.dashboard(actor=request.user, months=params.months)
