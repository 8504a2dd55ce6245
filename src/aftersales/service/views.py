"""UI views of service requests (the workbench comes with its own pages)."""

from __future__ import annotations

from urllib.parse import quote

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods

from aftersales.core.errors import NotFound
from aftersales.service import selectors, tracking
from aftersales.service.models import Attachment, ServiceRequest, TimelineEntry
from aftersales.service.policies import is_customer_actor


@login_required
def attachment(request: HttpRequest, attachment_id: int) -> FileResponse:
    """Serve an attachment to someone who may see its request (never from a public media URL)."""
    item = Attachment.objects.select_related("request").filter(pk=attachment_id).first()
    if item is None:
        raise NotFound()
    selectors.request_get(actor=request.user, request_id=item.request_id)
    if is_customer_actor(request.user) and not item.is_public:
        raise NotFound()
    response = FileResponse(item.file.open("rb"), content_type=item.content_type)
    disposition = "inline" if item.is_image or item.content_type == "application/pdf" else "attachment"
    response["Content-Disposition"] = f"{disposition}; filename*=UTF-8''{quote(item.original_name)}"
    response["X-Content-Type-Options"] = "nosniff"
    return response


# --- tracking without an account (signed link + last four digits) ----------------------------

PUBLIC_STEPS = [
    ("received", _("Received")),
    ("dispatched", _("Dispatched")),
    ("in_progress", _("Engineer on the way")),
    ("resolved", _("Done")),
]
_STEP_OF = {
    "received": 0,
    "registered": 0,
    "dispatched": 1,
    "in_progress": 2,
    "waiting_customer": 2,
    "waiting_parts": 2,
    "resolved": 3,
    "closed": 3,
    "cancelled": 0,
}


@require_http_methods(["GET", "POST"])
def track(request: HttpRequest, token: str) -> HttpResponse:
    """A request followed like a parcel: 受理 → 派工 → 工程师已出发 → 完成, public entries only."""
    parsed = tracking.read_token(token)
    if parsed is None:
        raise NotFound()
    request_id, digest = parsed
    verified = request.session.get("tracked", [])
    error = ""
    if request_id not in verified:
        if request.method == "POST":
            sr = ServiceRequest.objects.filter(pk=request_id).first()
            digits = request.POST.get("last4", "").strip()
            phones = _phones_of(sr) if sr else []
            if (
                sr
                and len(digits) == 4
                and any(p.endswith(digits) and tracking.phone_matches(digest, p) for p in phones)
            ):
                request.session["tracked"] = [*verified, request_id][-20:]
                return redirect(request.path)
            error = str(_("The digits do not match the phone number of this request."))
        return render(request, "service/track_verify.html", {"error": error}, status=200 if not error else 400)
    sr = ServiceRequest.objects.select_related("assignee", "unit__product_model").filter(pk=request_id).first()
    if sr is None:
        raise NotFound()
    entries = TimelineEntry.objects.filter(request=sr, is_public=True).order_by("id")
    step = _STEP_OF.get(sr.status, 0)
    return render(
        request,
        "service/track.html",
        {
            "sr": sr,
            "steps": [(label, i <= step) for i, (_key, label) in enumerate(PUBLIC_STEPS)],
            "entries": entries,
            "cancelled": sr.status == "cancelled",
        },
    )


def _phones_of(sr: ServiceRequest) -> list[str]:
    phones = list(sr.customer.phones.values_list("number", flat=True))
    if sr.contact_phone:
        phones.append(sr.contact_phone)
    return phones
