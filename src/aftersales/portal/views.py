"""Pages of the customer portal (phone-first) and of scan-to-report, and the QR codes and label sheets.

Views are shells: they read with selectors, write with services, and render. A record the customer may
not see is a 404 page in the portal's own look; every domain error becomes a message on the page.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from aftersales.accounts.policies import require_perm
from aftersales.catalog import selectors as catalog_selectors
from aftersales.core.errors import DomainError, NotFound, StaleVersion
from aftersales.portal import qr, rules, selectors
from aftersales.portal import services as portal_services
from aftersales.portal.forms import (
    ATTACHMENT_ALIASES,
    CommentForm,
    LabelForm,
    ReopenForm,
    RequestForm,
    ScanForm,
    apply_domain_error,
)
from aftersales.service import rules as service_rules
from aftersales.service import selectors as service_selectors
from aftersales.service import services as service_services
from aftersales.service import tracking
from aftersales.service.models import Channel, EntryKind, ServiceRequest, Status, TimelineEntry
from aftersales.service.policies import is_customer_actor

PAGE_SIZE = 20
View = Callable[..., HttpResponse]


def customer_view(view: View) -> View:
    """Portal pages are for portal customers: others sign in first; staff go to their own home page; an
    account not linked to a customer record gets a page that says so. A NotFound is the portal's 404."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        user = request.user
        if not user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not is_customer_actor(user):
            return redirect("web:home")
        if selectors.portal_customer(actor=user) is None:
            return render(request, "portal/not_linked.html", {"hotline": selectors.service_hotline()}, status=403)
        try:
            return view(request, *args, **kwargs)
        except NotFound:
            return render(request, "portal/not_found.html", {"hotline": selectors.service_hotline()}, status=404)

    return wrapped


def _photos(form: Any) -> tuple[Any, ...]:
    return tuple(form.cleaned_data.get("photos") or ())


# --- home, submit -----------------------------------------------------------------------------


@customer_view
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    """My requests, newest first, with a status badge each; my products, each with a "report" link."""
    page = Paginator(service_selectors.request_list(actor=request.user), PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [(sr, rules.customer_status(sr.status)) for sr in page.object_list]
    return render(
        request,
        "portal/home.html",
        {
            "page": page,
            "rows": rows,
            "units": selectors.customer_units(actor=request.user)[:50],
            "customer": selectors.portal_customer(actor=request.user),
            "hotline": selectors.service_hotline(),
        },
    )


@customer_view
@require_http_methods(["GET", "POST"])
def request_new(request: HttpRequest) -> HttpResponse:
    """报修/咨询: the request lands as "received" for an agent to judge."""
    customer = selectors.portal_customer(actor=request.user)
    assert customer is not None
    units = list(selectors.customer_units(actor=request.user))
    status = 200
    if request.method == "POST":
        form = RequestForm(request.POST, request.FILES, units=units)
        if form.is_valid():
            data = form.cleaned_data
            try:
                sr, _created = service_services.request_create(
                    actor=request.user,
                    data=service_services.RequestData(
                        type=data["type"],
                        customer_id=customer.pk,
                        title=data["title"],
                        description=data["description"],
                        channel=Channel.PORTAL,
                        unit_id=data["unit"],
                        contact_name=customer.name,
                        contact_phone=data["contact_phone"],
                        register_now=False,
                        attachments=_photos(form),
                    ),
                    idempotency_key=data["idempotency_key"],
                )
            except DomainError as exc:
                apply_domain_error(form, exc, aliases=ATTACHMENT_ALIASES)
            else:
                messages.success(
                    request, _("Thank you. Your request %(number)s has been received.") % {"number": sr.number}
                )
                return redirect("portal:request_detail", request_id=sr.pk)
        status = 400
    else:
        wanted = request.GET.get("unit", "")
        phones = list(customer.phones.all())
        form = RequestForm(
            units=units,
            initial={
                "idempotency_key": uuid.uuid4().hex,
                "unit": int(wanted) if wanted.isdigit() and any(u.pk == int(wanted) for u in units) else "",
                "contact_phone": phones[0].number if phones else "",
            },
        )
    return render(
        request, "portal/request_form.html", {"form": form, "hotline": selectors.service_hotline()}, status=status
    )


# --- one request --------------------------------------------------------------------------------


_ICONS = {
    EntryKind.CUSTOMER.value: "ti-user",
    EntryKind.REPLY.value: "ti-headset",
    EntryKind.STATUS.value: "ti-flag",
    EntryKind.SYSTEM.value: "ti-inbox",
}


def _timeline_rows(entries: list[TimelineEntry], user: Any) -> list[dict[str, Any]]:
    """What each public entry says to the customer."""
    rows = []
    for entry in entries:
        mine = entry.kind == EntryKind.CUSTOMER and entry.author_id == user.pk
        spoke = entry.kind in {EntryKind.CUSTOMER, EntryKind.REPLY}
        text = entry.body
        headline = ""
        if entry.kind == EntryKind.SYSTEM:
            headline = _("We received your request.") if entry.data.get("event") == "received" else ""
        elif entry.kind == EntryKind.STATUS:
            headline = str(rules.ACTION_TEXT.get(entry.data.get("action", ""), ""))
        rating = entry.data.get("rating") if entry.kind == EntryKind.CUSTOMER else None
        files = service_selectors.entry_files(entry)
        if not (headline or text or rating or files):
            continue
        rows.append(
            {
                "entry": entry,
                "mine": mine,
                "who": _("You") if mine else (entry.author_label if spoke else ""),
                "headline": headline,
                "text": text,
                "rating": rating,
                "icon": _ICONS.get(str(entry.kind), "ti-point"),
                "attachments": files,
            }
        )
    return rows


def _detail(
    request: HttpRequest,
    sr: ServiceRequest,
    *,
    comment_form: CommentForm | None = None,
    reopen_form: ReopenForm | None = None,
    status: int = 200,
) -> HttpResponse:
    user = request.user
    entries = service_selectors.timeline(actor=user, request=sr)
    can_close = service_rules.target_of("close", sr.status) is not None
    can_reopen = service_rules.target_of("reopen", sr.status) is not None
    return render(
        request,
        "portal/request_detail.html",
        {
            "sr": sr,
            "state": rules.customer_status(sr.status),
            "steps": rules.progress(sr.status),
            "cancelled": sr.status == Status.CANCELLED,
            "rows": _timeline_rows(entries, user),
            "intake_files": service_selectors.request_attachments_without_entry(actor=user, request=sr),
            "can_close": can_close,
            "can_reopen": can_reopen,
            "can_rate": sr.status in {Status.RESOLVED, Status.CLOSED},
            "can_comment": sr.status not in {Status.CLOSED, Status.CANCELLED},
            "stars": range(5, 0, -1),  # laid out right to left so hovering lights the lower stars too
            "comment_form": comment_form or CommentForm(),
            "reopen_form": reopen_form or ReopenForm(initial={"version": sr.version}),
            "reopen_open": reopen_form is not None,
            "hotline": selectors.service_hotline(),
        },
        status=status,
    )


@customer_view
@require_GET
def request_detail(request: HttpRequest, request_id: int) -> HttpResponse:
    sr = service_selectors.request_get(actor=request.user, request_id=request_id)
    return _detail(request, sr)


def _back(request_id: int, anchor: str = "") -> HttpResponse:
    return redirect(reverse("portal:request_detail", args=[request_id]) + (f"#{anchor}" if anchor else ""))


@customer_view
@require_POST
def request_comment(request: HttpRequest, request_id: int) -> HttpResponse:
    """补充信息: words and photos from the customer, on the public timeline."""
    sr = service_selectors.request_get(actor=request.user, request_id=request_id)
    form = CommentForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            service_services.request_comment(
                actor=request.user,
                request=sr,
                body=form.cleaned_data["body"],
                public=True,
                attachments=_photos(form),
            )
        except DomainError as exc:
            apply_domain_error(form, exc, aliases=ATTACHMENT_ALIASES)
        else:
            messages.success(request, _("Thank you, your information was added."))
            return _back(sr.pk, "timeline")
    return _detail(request, sr, comment_form=form, status=400)


def _version(request: HttpRequest) -> int | None:
    raw = request.POST.get("version", "")
    return int(raw) if raw.isdigit() else None


@customer_view
@require_POST
def request_close(request: HttpRequest, request_id: int) -> HttpResponse:
    """确认已解决: the customer confirms the resolution, which closes the request."""
    sr = service_selectors.request_get(actor=request.user, request_id=request_id)
    version = _version(request)
    try:
        if version is None:
            raise StaleVersion()
        service_services.request_transition(actor=request.user, request=sr, action="close", expected_version=version)
    except DomainError as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(request, _("Thank you for confirming. How did we do? Rate us below."))
    return _back(sr.pk)


@customer_view
@require_POST
def request_reopen(request: HttpRequest, request_id: int) -> HttpResponse:
    """问题未解决: reopen with the reason."""
    sr = service_selectors.request_get(actor=request.user, request_id=request_id)
    form = ReopenForm(request.POST)
    if form.is_valid():
        try:
            service_services.request_transition(
                actor=request.user,
                request=sr,
                action="reopen",
                expected_version=form.cleaned_data["version"],
                reason=form.cleaned_data["reason"],
            )
        except DomainError as exc:
            if isinstance(exc, StaleVersion):
                # Carry the newer version in a fresh form: the customer only has to send it again.
                sr = service_selectors.request_get(actor=request.user, request_id=request_id)
                form = ReopenForm({"version": sr.version, "reason": form.cleaned_data["reason"]})
                form.is_valid()
            apply_domain_error(form, exc)
        else:
            messages.success(request, _("We are sorry. Your request is open again and we will be in touch."))
            return _back(sr.pk)
    return _detail(request, sr, reopen_form=form, status=400)


@customer_view
@require_POST
def request_rate(request: HttpRequest, request_id: int) -> HttpResponse:
    """The one-click rating: each star is its own submit button."""
    sr = service_selectors.request_get(actor=request.user, request_id=request_id)
    raw = request.POST.get("rating", "")
    try:
        service_services.request_rate(
            actor=request.user, request=sr, rating=int(raw) if raw.isdigit() else 0, comment=""
        )
    except DomainError as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(request, _("Thank you for your rating!"))
    return _back(sr.pk)


# --- QR codes and label sheets (staff) --------------------------------------------------------


@login_required
@require_GET
def unit_qr(request: HttpRequest, unit_id: int) -> HttpResponse:
    """The unit's QR code as an SVG file: staff within their scope, a customer for their own units."""
    unit = selectors.qr_unit(actor=request.user, unit_id=unit_id)
    response = HttpResponse(qr.svg_document(qr.unit_url(unit.pk), title=unit.serial), content_type="image/svg+xml")
    response["Content-Disposition"] = f'inline; filename="qr-{unit.pk}.svg"'
    response["Cache-Control"] = "private, max-age=86400"
    return response


@login_required
@require_GET
def labels(request: HttpRequest) -> HttpResponse:
    """A printable A4 sheet of QR labels: ?ids=1,2,3, ?customer=ID or ?serials=SN1,SN2 (scoped)."""
    require_perm(request.user, "catalog.view_soldunit")
    form = LabelForm(request.GET)
    form.is_valid()
    data = form.cleaned_data
    ids = rules.parse_ids(data.get("ids") or "")
    serials = rules.parse_serials(data.get("serials") or "")
    customer_id = data.get("customer")
    asked = bool(ids or serials or customer_id)
    units = (
        selectors.label_units(
            actor=request.user, ids=ids, serials=serials, customer_id=customer_id, limit=rules.MAX_LABELS
        )
        if asked
        else []
    )
    hotline = selectors.service_hotline()
    items = [(unit, qr.svg_inline(qr.unit_url(unit.pk))) for unit in units]
    sheets = [items[i : i + 24] for i in range(0, len(items), 24)]
    return render(
        request,
        "portal/labels.html",
        {
            "form": form,
            "sheets": sheets,
            "count": len(items),
            "asked": asked,
            "missing": (len(ids) + len(serials) - len(items)) if asked and not customer_id else 0,
            "hotline": hotline,
            "max_labels": rules.MAX_LABELS,
        },
    )


# --- scan to report (no account) ----------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def scan_report(request: HttpRequest, token: str) -> HttpResponse:
    """The page behind the QR code: the unit's facts already filled in; name, phone, fault and photos
    make a request, and the reporter lands on its tracking page (already verified in this session)."""
    unit_id = qr.read_unit_token(token)
    hotline = selectors.service_hotline()
    if unit_id is None:
        return render(request, "portal/scan_invalid.html", {"hotline": hotline}, status=404)
    try:
        unit = selectors.scan_unit(unit_id=unit_id)
    except NotFound:
        return render(request, "portal/scan_invalid.html", {"hotline": hotline}, status=404)
    warranty = catalog_selectors.unit_warranty(unit=unit, on=timezone.localdate())
    status = 200
    if request.method == "POST":
        form = ScanForm(request.POST, request.FILES)
        if form.is_valid():
            data = form.cleaned_data
            try:
                sr = portal_services.scan_report_submit(
                    unit=unit,
                    report=portal_services.ScanReport(
                        name=data["name"], phone=data["phone"], fault=data["fault"], photos=_photos(form)
                    ),
                )
            except portal_services.TooManyReports as exc:
                form.add_error(None, str(exc.message))
                status = exc.status
            except DomainError as exc:
                apply_domain_error(form, exc, aliases=ATTACHMENT_ALIASES)
                status = 400
            else:
                tracked = [i for i in request.session.get("tracked", []) if i != sr.pk]
                request.session["tracked"] = [*tracked, sr.pk][-20:]
                return redirect(tracking.track_path(sr.pk, sr.contact_phone))
        else:
            status = 400
    else:
        form = ScanForm()
    return render(
        request,
        "portal/scan_report.html",
        {"unit": unit, "warranty": warranty, "form": form, "hotline": hotline},
        status=status,
    )
