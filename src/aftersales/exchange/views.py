"""UI pages of imports and exports: thin shells over the services, selectors and exporters."""

from __future__ import annotations

import io
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from aftersales.accounts.selectors import org_unit_list
from aftersales.core.errors import Conflict, DomainError, PermissionDenied
from aftersales.customers.policies import can_view_personal_data
from aftersales.exchange import exporters, policies, rules, selectors, services
from aftersales.exchange.forms import ImportUploadForm
from aftersales.exchange.models import ImportJob, ImportKind, ImportStatus

PAGE_SIZE = 25
ERRORS_SHOWN = 200
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

EXPORT_LABELS = {
    "customers": gettext_lazy("Customers"),
    "units": gettext_lazy("Sold units"),
    "product_models": gettext_lazy("Product models"),
    "orders": gettext_lazy("Sales orders"),
    "labour_items": gettext_lazy("Fee schedule labour items"),
}
SUMMARY_LABELS = {
    "rows": gettext_lazy("Rows imported"),
    "customers": gettext_lazy("Customers"),
    "phones": gettext_lazy("Phone numbers"),
    "addresses": gettext_lazy("Addresses"),
    "tags": gettext_lazy("Tags given"),
    "units": gettext_lazy("Sold units"),
    "ownerships": gettext_lazy("Ownership periods"),
    "product_models": gettext_lazy("Product models"),
    "fee_schedules": gettext_lazy("Fee schedule versions"),
    "labour_items": gettext_lazy("Labour items"),
}


def _apply_domain_error(form: forms.Form, exc: DomainError) -> None:
    placed = False
    for err in exc.errors:
        if err.field in form.fields:
            form.add_error(err.field, err.message)
            placed = True
    if not placed:
        form.add_error(None, exc.message)


@login_required
def job_list(request: HttpRequest) -> HttpResponse:
    kind = request.GET.get("kind", "")
    status = request.GET.get("status", "")
    jobs = selectors.import_job_list(
        actor=request.user,
        kind=kind if kind in ImportKind.values else "",
        status=status if status in ImportStatus.values else "",
    )
    importable = policies.importable_kinds(request.user)
    return render(
        request,
        "exchange/job_list.html",
        {
            "page": Paginator(jobs, PAGE_SIZE).get_page(request.GET.get("page")),
            "kind": kind,
            "status": status,
            "kinds": ImportKind.choices,
            "statuses": ImportStatus.choices,
            "can_import": bool(importable),
            "templates": [{"kind": k, "label": ImportKind(k).label} for k in importable],
            "exports": [{"kind": k, "label": EXPORT_LABELS[k]} for k in policies.exportable_kinds(request.user)],
        },
    )


@login_required
def job_create(request: HttpRequest) -> HttpResponse:
    kinds = policies.importable_kinds(request.user)
    if not kinds:
        raise PermissionDenied()
    units = org_unit_list(actor=request.user)
    initial = {"kind": request.GET.get("kind") or kinds[0], "org_unit": getattr(request.user, "org_unit_id", None)}
    form = ImportUploadForm(request.POST or None, request.FILES or None, kinds=kinds, units=units, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            job = services.import_job_create(
                actor=request.user,
                kind=data["kind"],
                upload=data["file"],
                mode=data["mode"],
                org_unit_id=data["org_unit"].pk,
            )
        except DomainError as exc:
            _apply_domain_error(form, exc)
        else:
            messages.success(request, _("The file was uploaded and is being checked."))
            return redirect("exchange:job_detail", job_id=job.pk)
    return render(
        request,
        "exchange/job_create.html",
        {"form": form, "templates": [{"kind": k, "label": ImportKind(k).label} for k in kinds]},
    )


def _panel(request: HttpRequest, job: ImportJob) -> dict[str, Any]:
    preview = job.preview or {}
    masks: list[str] = preview.get("masks") or []
    full = can_view_personal_data(request.user)
    rows = [
        [
            value if full else rules.mask_preview_value(value, masks[i] if i < len(masks) else "")
            for i, value in enumerate(row)
        ]
        for row in preview.get("rows", [])
    ]
    errors = job.errors or []
    refusal = rules.confirm_refusal(
        status=job.status, mode=job.mode, rows_valid=job.rows_valid, rows_invalid=job.rows_invalid
    )
    return {
        "job": job,
        "preview_columns": preview.get("columns", []),
        "preview_rows": rows,
        "errors": errors[:ERRORS_SHOWN],
        "errors_hidden": max(0, len(errors) - ERRORS_SHOWN),
        "can_confirm": refusal is None and policies.can_import(request.user, job.kind),
        "refusal": refusal if job.status == ImportStatus.VALIDATED else None,
        "summary": [(SUMMARY_LABELS.get(k, k), v) for k, v in (job.summary or {}).items()],
    }


@login_required
def job_detail(request: HttpRequest, job_id: int) -> HttpResponse:
    job = selectors.import_job_get(actor=request.user, job_id=job_id)
    return render(request, "exchange/job_detail.html", _panel(request, job))


@login_required
def job_panel(request: HttpRequest, job_id: int) -> HttpResponse:
    """The status panel alone, polled by htmx every 2 s while the job runs."""
    job = selectors.import_job_get(actor=request.user, job_id=job_id)
    return render(request, "exchange/_job_panel.html", _panel(request, job))


@login_required
@require_POST
def job_confirm(request: HttpRequest, job_id: int) -> HttpResponse:
    job = selectors.import_job_get(actor=request.user, job_id=job_id)
    try:
        services.import_job_confirm(actor=request.user, job=job)
    except Conflict as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The import has started."))
    return redirect("exchange:job_detail", job_id=job.pk)


@login_required
def job_errors(request: HttpRequest, job_id: int) -> FileResponse:
    job = selectors.import_job_get(actor=request.user, job_id=job_id)
    report = exporters.error_report(job)
    return FileResponse(report.file, as_attachment=True, filename=report.filename, content_type=XLSX)


@login_required
def template_download(request: HttpRequest, kind: str) -> FileResponse:
    if kind not in ImportKind.values:
        raise Http404
    if not policies.can_view_jobs(request.user):
        raise PermissionDenied()
    content = exporters.template_workbook(kind)
    return FileResponse(
        io.BytesIO(content), as_attachment=True, filename=exporters.template_filename(kind), content_type=XLSX
    )


@login_required
def export(request: HttpRequest) -> FileResponse:
    """?kind=customers&q=…&tier=… — a list page links here with its own query string appended
    (`?kind=customers&{{ request.GET.urlencode }}`); the file streams from a temporary file."""
    result = exporters.export(actor=request.user, kind=exporters.export_kind(request.GET), params=request.GET)
    return FileResponse(result.file, as_attachment=True, filename=result.filename, content_type=XLSX)
