"""Reads of the manager dashboard: a period's requests by type and state and the timely-resolution rate
(sums of the monthly rollup, reports.models) and the backlog by age (one grouped query over the open
requests), scoped like every other read."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any

from django.db.models import Count, Q, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from aftersales.accounts.models import OrgUnit
from aftersales.core import config_cache
from aftersales.core.scoping import visible_unit_ids
from aftersales.reports import rules
from aftersales.reports.models import ReceivedCount, ResolvedCount
from aftersales.service import rules as service_rules
from aftersales.service import selectors as service_selectors
from aftersales.service.models import RequestType, ServiceRequest, Status
from aftersales.service.policies import is_customer_actor
from aftersales.sla.rules import SHANGHAI

BAND_LABELS = {
    "lt1d": _("under 1 day"),
    "1to3d": _("1-3 days"),
    "3to7d": _("3-7 days"),
    "7to30d": _("7-30 days"),
    "ge30d": _("30 days or more"),
}


def _unit_count() -> int:
    # Per process until the org tree changes (OrgUnit is watched by core.config_cache).
    return config_cache.cached("reports:unit_count", lambda: OrgUnit.objects.count())


def _scope_parts(actor: Any) -> tuple[frozenset[int] | None, QuerySet[ServiceRequest] | None]:
    """`service.selectors.scoped(actor)` as two disjoint parts: every request of the units returned (None:
    of every unit) and the requests of the queryset returned (None: no more). Staff see their units'
    requests and, wherever those went, the ones assigned to them or registered by them; a customer sees
    only their own, which the rollup cannot tell apart. The dashboard's tests compare every kind of
    actor's figures with live counts over `scoped()`, so the two cannot drift apart unnoticed."""
    if is_customer_actor(actor):
        return frozenset(), service_selectors.scoped(actor)
    units = visible_unit_ids(actor)
    # Every request has an owner team: a scope of every unit leaves nothing beyond it.
    if units is None or len(units) >= _unit_count():
        return None, None
    theirs = ServiceRequest.objects.filter(service_selectors.own_requests_q(actor))
    return units, theirs.exclude(org_unit_id__in=units) if units else theirs


def _period_counts(
    actor: Any, scoped: QuerySet[ServiceRequest], start_day: dt.date, since: dt.datetime
) -> tuple[Counter[tuple[str, str]], Counter[bool]]:
    """Requests received since `since` by (type, state), and those resolved since then with a resolution
    limit by whether they met it, as the actor may see them: sums of the monthly rollup over the units
    they see (`since` is the first instant of `start_day`, a month's first day, so whole months), plus a
    live count of what they see beyond those units."""
    received: Counter[tuple[str, str]] = Counter()
    resolved: Counter[bool] = Counter()
    if scoped.query.is_empty():
        return received, resolved
    units, beyond = _scope_parts(actor)
    if units is None or units:
        received_rows = ReceivedCount.objects.filter(month__gte=start_day)
        resolved_rows = ResolvedCount.objects.filter(month__gte=start_day)
        if units is not None:
            received_rows = received_rows.filter(org_unit_id__in=units)
            resolved_rows = resolved_rows.filter(org_unit_id__in=units)
        for kind, status, n in received_rows.values_list("type", "status").annotate(Sum("n")).order_by():
            received[(kind, status)] += n
        for in_time, n in resolved_rows.values_list("in_time").annotate(Sum("n")).order_by():
            resolved[bool(in_time)] += n
    if beyond is not None:
        # Usually none, found through the (assignee, state) and (registrant, state) indexes: one query
        # for both figures, counted here.
        period = Q(received_at__gte=since) | Q(resolved_at__gte=since, resolved_in_time__isnull=False)
        rows = beyond.filter(period).values_list("received_at", "type", "status", "resolved_at", "resolved_in_time")
        for received_at, kind, status, resolved_at, in_time in rows.order_by():
            if received_at >= since:
                received[(kind, status)] += 1
            if resolved_at is not None and resolved_at >= since and in_time is not None:
                resolved[bool(in_time)] += 1
    return received, resolved


def dashboard(*, actor: Any, months: int = 12, now: dt.datetime | None = None) -> dict[str, Any]:
    """The figures of the last `months` calendar months (this one included) that the actor may see."""
    now = now or timezone.now()
    start_day = rules.months_back(timezone.localtime(now, SHANGHAI).date(), months)
    since = dt.datetime.combine(start_day, dt.time(0), tzinfo=SHANGHAI)
    scoped = service_selectors.scoped(actor)

    # 1. Received in the period, by type and state; 2. resolved in it with a resolution limit, in time
    #    or late — from the monthly rollup (reports.models), kept by database triggers.
    received, resolved = _period_counts(actor, scoped, start_day, since)
    cells = [(kind, status, n) for (kind, status), n in received.items() if n]
    by_type: Counter[str] = Counter()
    by_status: Counter[str] = Counter()
    for kind, status, n in cells:
        by_type[kind] += n
        by_status[status] += n
    timely = {"timely": resolved[True], "resolved": resolved[True] + resolved[False]}

    # 3. The backlog now (whatever its age), by age band, and how much of it is overdue: one query.
    bands = rules.band_edges(now)
    band_counts: dict[str, Any] = {}
    for code, oldest, newest in bands:
        condition = Q(received_at__lte=newest)
        if oldest is not None:
            condition &= Q(received_at__gt=oldest)
        band_counts[code] = Count("received_at", filter=condition)
    backlog = scoped.filter(status__in=service_rules.OPEN).aggregate(
        open=Count("*"),
        overdue=Count("id", filter=Q(sla_due_at__lt=now) | Q(promised_at__lt=now)),
        escalated=Count("id", filter=Q(is_escalated=True)),
        **band_counts,
    )
    type_labels = dict(RequestType.choices)
    status_labels = dict(Status.choices)
    return {
        "since": since,
        "until": now,
        "months": months,
        "received": sum(by_type.values()),
        "by_type": [
            {"type": t, "label": str(type_labels[t]), "count": by_type.get(t, 0)}
            for t in RequestType.values
            if by_type.get(t)
        ],
        "by_status": [
            {"status": s, "label": str(status_labels[s]), "count": by_status.get(s, 0)}
            for s in Status.values
            if by_status.get(s)
        ],
        "by_type_status": [{"type": t, "status": s, "count": n} for t, s, n in sorted(cells)],
        "timely": {
            "resolved": timely["resolved"],
            "timely": timely["timely"],
            "rate": rules.rate(timely["timely"], timely["resolved"]),
        },
        "backlog": {
            "open": backlog["open"],
            "overdue": backlog["overdue"],
            "escalated": backlog["escalated"],
            "bands": [{"band": code, "label": str(BAND_LABELS[code]), "count": backlog[code]} for code, *_ in bands],
        },
    }
