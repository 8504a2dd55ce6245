"""Reads of the manager dashboard: a period's requests by type and state, the timely-resolution rate
and the backlog by age — each one grouped query over an index, scoped like every other read."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any

from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from aftersales.reports import rules
from aftersales.service import rules as service_rules
from aftersales.service import selectors as service_selectors
from aftersales.service.models import RequestType, Status
from aftersales.sla.rules import SHANGHAI

BAND_LABELS = {
    "lt1d": _("under 1 day"),
    "1to3d": _("1-3 days"),
    "3to7d": _("3-7 days"),
    "7to30d": _("7-30 days"),
    "ge30d": _("30 days or more"),
}


def dashboard(*, actor: Any, months: int = 12, now: dt.datetime | None = None) -> dict[str, Any]:
    """The figures of the last `months` calendar months (this one included) that the actor may see."""
    now = now or timezone.now()
    start_day = rules.months_back(timezone.localtime(now, SHANGHAI).date(), months)
    since = dt.datetime.combine(start_day, dt.time(0), tzinfo=SHANGHAI)
    scoped = service_selectors.scoped(actor)

    # 1. Received in the period, by type and state: one pass over the (received_at, type, status) index.
    cells = list(scoped.filter(received_at__gte=since).values_list("type", "status").annotate(n=Count("*")).order_by())
    by_type: Counter[str] = Counter()
    by_status: Counter[str] = Counter()
    for kind, status, n in cells:
        by_type[kind] += n
        by_status[status] += n

    # 2. Resolved in the period with a resolution limit: how many in time (the (resolved_at, resolved_in_time) index).
    timely = scoped.filter(resolved_at__gte=since, resolved_in_time__isnull=False).aggregate(
        resolved=Count("*"), timely=Count("resolved_in_time", filter=Q(resolved_in_time=True))
    )

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
