"""Reads of the shared kernel: the audit trail, scoped to what the acting user may see."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Q, QuerySet

from aftersales.core.errors import PermissionDenied
from aftersales.core.models import AuditEntry
from aftersales.core.scoping import visible_unit_ids


def audit_entry_list(
    *,
    actor: Any,
    action: str = "",
    channel: str = "",
    target_type: str = "",
    object_id: str = "",
    actor_id: int | None = None,
    q: str = "",
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
) -> QuerySet[AuditEntry]:
    """Audit entries for auditors and supervisors: all for head-office scope, else their units' records."""
    if actor is None or not actor.is_authenticated or not actor.has_perm("core.view_auditentry"):
        raise PermissionDenied()
    qs = AuditEntry.objects.select_related("actor")
    units = visible_unit_ids(actor)
    if units is not None:
        qs = qs.filter(org_unit_id__in=units)
    if action:
        qs = qs.filter(action=action)
    if channel:
        qs = qs.filter(channel=channel)
    if target_type:
        qs = qs.filter(target_type=target_type)
    if object_id:
        qs = qs.filter(object_id=object_id)
    if actor_id:
        qs = qs.filter(actor_id=actor_id)
    if q:
        qs = qs.filter(Q(object_repr__icontains=q) | Q(actor_label__icontains=q) | Q(note__icontains=q))
    if since:
        qs = qs.filter(at__gte=since)
    if until:
        qs = qs.filter(at__lt=until)
    return qs.order_by("-id")
