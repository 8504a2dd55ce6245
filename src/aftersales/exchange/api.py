"""API of imports and exports: /imports (upload a file, read its report, confirm) and /exports/{kind}."""

# No `from __future__ import annotations`: django-ninja reads the parameter annotations at import time.
from typing import Any

from django.http import FileResponse, HttpRequest
from ninja import File, Form, Query, Router
from ninja.files import UploadedFile
from ninja.pagination import paginate

from aftersales.core.pagination import PagePagination
from aftersales.customers.policies import can_view_personal_data
from aftersales.exchange import exporters, rules, selectors, services
from aftersales.exchange.models import ImportJob, ImportKind, ImportMode
from aftersales.exchange.schemas import ImportJobFilter, ImportJobListOut, ImportJobOut

router = Router(tags=["imports and exports"])

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def job_out(job: ImportJob, *, actor: Any) -> dict[str, Any]:
    preview = job.preview or {}
    masks: list[str] = preview.get("masks") or []
    full = can_view_personal_data(actor)
    return {
        **{f: getattr(job, f) for f in ImportJobListOut.model_fields},
        "message": job.message,
        "errors": job.errors or [],
        "errors_truncated": job.errors_truncated,
        "preview_columns": preview.get("columns", []),
        "preview_rows": [
            [v if full else rules.mask_preview_value(v, masks[i] if i < len(masks) else "") for i, v in enumerate(row)]
            for row in preview.get("rows", [])
        ],
        "summary": job.summary or {},
        "confirmed_by_id": job.confirmed_by_id,
        "validated_at": job.validated_at,
        "started_at": job.started_at,
    }


@router.get("/imports", response=list[ImportJobListOut], summary="Import jobs of your units, newest first")
@paginate(PagePagination)
def import_list(request: HttpRequest, filters: Query[ImportJobFilter]) -> Any:
    return selectors.import_job_list(actor=request.user, kind=filters.kind, status=filters.status)


@router.get("/imports/{job_id}", response=ImportJobOut, summary="A job's status, counts, row errors and preview")
def import_detail(request: HttpRequest, job_id: int) -> dict[str, Any]:
    return job_out(selectors.import_job_get(actor=request.user, job_id=job_id), actor=request.user)


@router.post(
    "/imports",
    response={201: ImportJobOut},
    summary="Upload an .xlsx or .csv file; it is checked in the background (poll the job until `validated`)",
)
def import_create(
    request: HttpRequest,
    file: File[UploadedFile],
    kind: Form[ImportKind],
    org_unit_id: Form[int],
    mode: Form[ImportMode] = ImportMode.ALL_OR_NOTHING,
) -> dict[str, Any]:
    job = services.import_job_create(actor=request.user, kind=kind, upload=file, mode=mode, org_unit_id=org_unit_id)
    return job_out(selectors.import_job_get(actor=request.user, job_id=job.pk), actor=request.user)


@router.post("/imports/{job_id}/confirm", response=ImportJobOut, summary="Import a validated file (409 if it may not)")
def import_confirm(request: HttpRequest, job_id: int) -> dict[str, Any]:
    job = selectors.import_job_get(actor=request.user, job_id=job_id)
    services.import_job_confirm(actor=request.user, job=job)
    return job_out(selectors.import_job_get(actor=request.user, job_id=job_id), actor=request.user)


@router.get(
    "/exports/{kind}",
    summary="A list as .xlsx, with the list's filters as query parameters (customers: q, tier, customer_kind, …)",
    response={200: bytes},
    openapi_extra={"responses": {200: {"content": {XLSX: {"schema": {"type": "string", "format": "binary"}}}}}},
)
def export(request: HttpRequest, kind: str) -> FileResponse:
    result = exporters.export(actor=request.user, kind=kind, params=request.GET)
    return FileResponse(result.file, as_attachment=True, filename=result.filename, content_type=XLSX)
