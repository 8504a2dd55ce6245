"""Reads of import jobs, scoped to the actor's org units."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from aftersales.core.errors import NotFound, PermissionDenied
from aftersales.core.scoping import scope_by_unit
from aftersales.exchange.models import ImportJob
from aftersales.exchange.policies import can_view_jobs


def import_job_list(*, actor: Any, kind: str = "", status: str = "") -> QuerySet[ImportJob]:
    """The import jobs of the units the actor may see, newest first (the report JSON is not loaded)."""
    if not can_view_jobs(actor):
        raise PermissionDenied()
    qs = scope_by_unit(ImportJob.objects.all(), actor, field="org_unit")
    if kind:
        qs = qs.filter(kind=kind)
    if status:
        qs = qs.filter(status=status)
    return qs.select_related("created_by", "org_unit").defer("errors", "preview", "summary").order_by("-id")


def import_job_get(*, actor: Any, job_id: int) -> ImportJob:
    """One job with its report; a job of another unit is missing, not forbidden."""
    if not can_view_jobs(actor):
        raise PermissionDenied()
    job = (
        scope_by_unit(ImportJob.objects.all(), actor, field="org_unit")
        .select_related("created_by", "confirmed_by", "org_unit")
        .filter(pk=job_id)
        .first()
    )
    if job is None:
        raise NotFound()
    return job
