"""The manager dashboard page: the figures of reports.selectors.dashboard as cards and charts."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from aftersales.core.errors import PermissionDenied
from aftersales.reports import rules, selectors
from aftersales.service.policies import is_customer_actor

PERIODS = (3, 6, 12, 24)


@login_required
@require_GET
def dashboard(request: HttpRequest) -> HttpResponse:
    if is_customer_actor(request.user) or not request.user.has_perm("service.view_servicerequest"):
        raise PermissionDenied()
    value = request.GET.get("months", "12")
    months = int(value) if value.isdigit() and int(value) in PERIODS else 12
    figures = selectors.dashboard(actor=request.user, months=months)
    backlog = figures["backlog"]
    chart = {
        "types": [{"name": r["label"], "value": r["count"]} for r in figures["by_type"]],
        "statuses": {
            "keys": [r["label"] for r in figures["by_status"]],
            "values": [r["count"] for r in figures["by_status"]],
        },
        "bands": {"keys": [b["label"] for b in backlog["bands"]], "values": [b["count"] for b in backlog["bands"]]},
    }
    cells = {(c["type"], c["status"]): c["count"] for c in figures["by_type_status"]}
    matrix = [
        {
            "label": t["label"],
            "cells": [cells.get((t["type"], s["status"]), 0) for s in figures["by_status"]],
            "total": t["count"],
        }
        for t in figures["by_type"]
    ]
    return render(
        request,
        "reports/dashboard.html",
        {
            "f": figures,
            "months": months,
            "periods": PERIODS,
            "timely_percent": round(figures["timely"]["rate"] * 100, 1)
            if figures["timely"]["rate"] is not None
            else None,
            "overdue_share": rules.rate(backlog["overdue"], backlog["open"]),
            "chart": chart,
            "matrix": matrix,
        },
    )
