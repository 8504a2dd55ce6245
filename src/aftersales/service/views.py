"""UI views of service requests: the agent workbench (queues, bulk actions), the request page (actions,
assignment, escalation, judgment, timeline and composer), phone/walk-in intake, incomplete records; and
the attachment and tracking views.

Views are shells: they read with selectors, write with services, and render. Every domain error becomes
a readable message on the page (or the readable error page of `web.middleware`), never a 500.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any
from urllib.parse import quote

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import FieldDoesNotExist
from django.core.paginator import Paginator
from django.db.models import prefetch_related_objects
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from aftersales.accounts.policies import require_perm
from aftersales.catalog import selectors as catalog_selectors
from aftersales.catalog.models import SoldUnit
from aftersales.core import pagination
from aftersales.core.errors import Conflict, DomainError, NotFound, PermissionDenied, StaleVersion
from aftersales.core.pagination import CappedPaginator
from aftersales.customers import rules as customer_rules
from aftersales.customers import selectors as customer_selectors
from aftersales.customers import services as customer_services
from aftersales.customers.forms import apply_domain_error
from aftersales.customers.models import Customer, SourceChannel
from aftersales.service import rules, selectors, services, tracking
from aftersales.service.forms import (
    ACTION_META,
    PAGE_SIZES,
    AssignForm,
    BulkForm,
    CommentForm,
    EscalateForm,
    IntakeForm,
    JudgmentForm,
    QueueFilterForm,
    QuickCustomerForm,
    TransitionForm,
)
from aftersales.service.models import Attachment, Channel, EntryKind, ServiceRequest, Status, TimelineEntry
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
    phones = [number for number, _kind in customer_selectors.customer_phones(customer_id=sr.customer_id)]
    if sr.contact_phone:
        phones.append(sr.contact_phone)
    return phones


# --- the workbench: queues with counts, filters, sorting, bulk actions --------------------------

QUEUE_TABS = [
    ("mine", _("My to-do"), "ti-user-check"),
    ("team", _("My team"), "ti-users-group"),
    ("unassigned", _("Unassigned"), "ti-user-question"),
    ("waiting", _("Waiting"), "ti-hourglass"),
    ("escalated", _("Escalated"), "ti-alert-triangle"),
    ("at_risk", _("At risk"), "ti-alarm"),
    ("overdue", _("Overdue"), "ti-clock-exclamation"),
    ("open", _("All open"), "ti-inbox"),
    ("done", _("Finished"), "ti-circle-check"),
    ("all", _("All requests"), "ti-list"),
]
PAGE_SIZE = 25
# What a queue row shows (service_tags.queue_rows): reading only these columns of the request and the
# three records it names halved the time to read a page (six whole records a row before).
QUEUE_ROW_RELATED = ("customer", "assignee", "org_unit")
QUEUE_ROW_FIELDS = (
    *("number", "version", "title", "type", "status", "urgency", "is_escalated", "warranty_covered"),
    *("received_at", "promised_at", "sla_due_at", "sla_warn_at"),
    *("customer__name", "assignee__full_name", "assignee__username", "org_unit__name"),
)
STALE_MESSAGE = _("This request was changed by someone else. Reload it and try again.")


def _error_text(exc: DomainError) -> str:
    """One readable sentence for a service's refusal."""
    if isinstance(exc, StaleVersion):
        return str(STALE_MESSAGE)
    if exc.errors:
        return "；".join(dict.fromkeys(str(e.message) for e in exc.errors))
    return str(exc.message)


def _safe_next(request: HttpRequest, default: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return default


def duration_label(delta: dt.timedelta) -> str:
    days, hours, minutes = rules.duration_parts(delta)
    if days:
        return gettext("%(days)sd %(hours)sh") % {"days": days, "hours": hours}
    if hours:
        return gettext("%(hours)sh %(minutes)sm") % {"hours": hours, "minutes": minutes}
    return gettext("%(minutes)sm") % {"minutes": minutes}


def _with_time_left(timers: list[Any], now: dt.datetime) -> list[Any]:
    """The request page's timers, each running one with what is left (or how late) as `time_left`."""
    for t in timers:
        t.time_left = ""
        if t.met_at is None and t.paused_at is None:
            key = "%(time)s late" if t.due_at < now else "%(time)s left"
            t.time_left = gettext(key) % {"time": duration_label(t.due_at - now)}
    return timers


def limit_cell(r: ServiceRequest, now: dt.datetime) -> dict[str, Any]:
    """The queue's time-limit cell: state (for the colour), due time and what is left (or how late)."""
    state = rules.limit_state(status=r.status, due_at=r.sla_due_at, warn_at=r.sla_warn_at, now=now)
    if state in {"", "paused"} or r.sla_due_at is None:
        return {"state": state, "due": None, "text": ""}
    delta = r.sla_due_at - now
    if state == "overdue":
        text = gettext("%(time)s late") % {"time": duration_label(delta)}
    else:
        text = gettext("%(time)s left") % {"time": duration_label(delta)}
    return {"state": state, "due": r.sla_due_at, "text": text}


def _page_size(request: HttpRequest) -> int:
    value = request.GET.get("size", "")
    return int(value) if value.isdigit() and int(value) in PAGE_SIZES else PAGE_SIZE


def _keep(request: HttpRequest) -> str:
    """The filters as a query string, for the queue tabs (a tab changes the queue, not the filters)."""
    params = request.GET.copy()
    for name in ("queue", "page"):
        params.pop(name, None)
    return params.urlencode()


@login_required
@require_GET
def workbench(request: HttpRequest) -> HttpResponse:
    """The queues (with their counts), filters, search and sorting: one query for the rows plus one count."""
    require_perm(request.user, "service.view_servicerequest")
    user = request.user
    now = timezone.now()
    counts = selectors.queue_counts(actor=user, now=now)
    queue = request.GET.get("queue", "")
    if queue not in counts:
        queue = "mine" if counts["mine"] else "open"
    teams = list(selectors.team_choices(actor=user))
    staff = list(selectors.staff_choices(actor=user))
    form = QueueFilterForm(request.GET or None, teams=teams, staff=staff)
    sort = form.sort_key
    if queue == "overdue":
        qs = selectors.request_list(actor=user, queue="open", sort=sort, **form.filters()).filter(
            selectors.overdue_q(now)
        )
    elif queue == "at_risk":
        qs = selectors.request_list(actor=user, queue="open", sort=sort, **form.filters()).filter(
            selectors.at_risk_q(now)
        )
    else:
        qs = selectors.request_list(actor=user, queue=queue, sort=sort, **form.filters())
    cap = pagination.SEARCH_COUNT_CAP if form.filters().get("q") else None
    qs = qs.select_related(None).select_related(*QUEUE_ROW_RELATED).only(*QUEUE_ROW_FIELDS)
    page = CappedPaginator(qs, _page_size(request), cap=cap).get_page(request.GET.get("page"))
    rows = [
        {
            "r": r,
            "overdue": bool(r.promised_at and r.promised_at < now and r.status in rules.OPEN),
            "limit": limit_cell(r, now),
        }
        for r in page
    ]
    return render(
        request,
        "service/workbench.html",
        {
            "queue": queue,
            "tabs": [
                {
                    "code": c,
                    "label": label,
                    "icon": icon,
                    "count": counts[c],
                }
                for c, label, icon in QUEUE_TABS
            ],
            "form": form,
            "page": page,
            "rows": rows,
            "teams": teams,
            "staff": staff,
            "can_add": user.has_perm("service.add_servicerequest"),
            "can_bulk_assign": user.has_perm("service.dispatch_servicerequest"),
            "can_bulk_cancel": user.has_perm("service.change_servicerequest"),
            "keep": _keep(request),
        },
    )


@login_required
@require_POST
def bulk(request: HttpRequest) -> HttpResponse:
    """Assign or cancel the ticked rows, each through the service; a row that fails is reported, not fatal."""
    require_perm(request.user, "service.view_servicerequest")
    user = request.user
    back = _safe_next(request, reverse("service:workbench"))
    form = BulkForm(request.POST, teams=selectors.team_choices(actor=user), staff=selectors.staff_choices(actor=user))
    if not form.is_valid() or not form.selected():
        messages.error(request, gettext("Tick at least one request and choose what to do."))
        return redirect(back)
    action = form.cleaned_data["action"]
    assignee_id, team_id = form.cleaned_data["assignee"], form.cleaned_data["team"]
    reason = form.cleaned_data["reason"].strip()
    if action == "assign" and assignee_id is None and team_id is None:
        messages.error(request, gettext("Choose a person or a team to assign the requests to."))
        return redirect(back)
    if action == "cancel" and not reason:
        messages.error(request, gettext("Give a reason for cancelling the requests."))
        return redirect(back)
    done: list[str] = []
    failed: list[str] = []
    for pk, version in form.selected():
        label = f"#{pk}"
        try:
            sr = selectors.request_get(actor=user, request_id=pk)
            label = sr.number
            if action == "assign":
                services.request_assign(
                    actor=user,
                    request=sr,
                    expected_version=version,
                    assignee_id=assignee_id,
                    team_id=team_id,
                    reason=reason,
                )
            else:
                services.request_transition(
                    actor=user, request=sr, action="cancel", expected_version=version, reason=reason
                )
        except DomainError as exc:
            failed.append(f"{label}：{_error_text(exc)}")
        else:
            done.append(label)
    if done:
        text = (gettext("Assigned: %(numbers)s") if action == "assign" else gettext("Cancelled: %(numbers)s")) % {
            "numbers": "、".join(done)
        }
        messages.success(request, text)
    for line in failed:
        messages.error(request, gettext("Not changed — %(row)s") % {"row": line})
    return redirect(back)


# --- the request page -------------------------------------------------------------------------


def _status_label(value: Any) -> str:
    return str(Status(value).label) if value in Status.values else str(value or "")


def _field_label(name: str) -> str:
    try:
        return str(getattr(ServiceRequest._meta.get_field(name), "verbose_name", name))
    except FieldDoesNotExist:
        return name


def entry_view(entry: TimelineEntry) -> dict[str, Any]:
    """How one timeline entry is shown: style, icon, a one-line title and the text."""
    data = entry.data or {}
    kind = entry.kind
    title = ""
    icon = "ti-point"
    css = f"tl-{kind}"
    if kind == EntryKind.REPLY:
        icon, title = "ti-message-reply", gettext("Reply to customer")
    elif kind == EntryKind.NOTE:
        icon, title = "ti-lock", gettext("Internal note")
    elif kind == EntryKind.CUSTOMER:
        icon = "ti-user"
        title = (
            gettext("The customer rated the service %(rating)s/5") % {"rating": data["rating"]}
            if data.get("rating")
            else gettext("Message from the customer")
        )
    elif kind == EntryKind.STATUS:
        icon = "ti-arrow-right-circle"
        title = gettext("Status: %(before)s → %(after)s") % {
            "before": _status_label(data.get("before")),
            "after": _status_label(data.get("after")),
        }
    elif kind == EntryKind.ASSIGNMENT:
        icon = "ti-user-share"
        who = data.get("assignee") or gettext("nobody in particular")
        title = gettext("Assigned to %(who)s (%(team)s)") % {"who": who, "team": data.get("team") or "—"}
    elif kind == EntryKind.ESCALATION:
        icon = "ti-alert-triangle"
        to = " / ".join(str(x) for x in (data.get("to_unit"), data.get("to_user")) if x)
        title = gettext("Escalated to %(to)s") % {"to": to or "—"}
    elif data.get("event") == "received":
        icon = "ti-inbox"
        channel = data.get("channel")
        if channel in Channel.values:
            title = gettext("Received via %(channel)s") % {"channel": Channel(channel).label}
        else:
            title = gettext("Received")
    elif data.get("event") == "edited":
        icon = "ti-edit"
        fields = "、".join(_field_label(f) for f in data.get("fields", []))
        title = gettext("Judgment changed: %(fields)s") % {"fields": fields}
    else:
        icon = "ti-info-circle"
        title = str(data.get("event") or entry.get_kind_display())
    return {
        "entry": entry,
        "kind": kind,
        "css": css,
        "icon": icon,
        "title": title,
        "body": entry.body,
        "attachments": selectors.entry_files(entry),
        "internal": not entry.is_public,
    }


def _judgment_initial(sr: ServiceRequest) -> dict[str, Any]:
    return {
        "version": sr.version,
        "type": sr.type,
        "urgency": sr.urgency,
        "title": sr.title,
        "description": sr.description,
        "fault_category": sr.fault_category_id,
        "unit": sr.unit_id,
        "promised_at": sr.promised_at,
        "promise_note": sr.promise_note,
        "contact_name": sr.contact_name,
        "contact_phone": sr.contact_phone,
    }


def _customer_units(request: HttpRequest, customer_id: int, extra: SoldUnit | None = None) -> list[SoldUnit]:
    """The customer's units for the judgment form's choice (serial and model code: the list's other
    joined rows — the model's line and warranty, the customer, the store — were a third of the
    request page's Python besides the templates)."""
    visible = catalog_selectors.unit_list(actor=request.user, customer_id=customer_id)
    units = list(visible.select_related(None).select_related("product_model")[:50])
    if extra is not None and all(u.pk != extra.pk for u in units):
        units.insert(0, extra)
    return units


def _product_line_of(sr: ServiceRequest) -> int | None:
    model = sr.product_model or (sr.unit.product_model if sr.unit_id and sr.unit else None)
    return model.product_line_id if model is not None else None


def _detail(request: HttpRequest, sr: ServiceRequest, *, status: int = 200, **over: Any) -> HttpResponse:
    """The request page; `over` replaces bound forms and error banners after a refused POST."""
    user = request.user
    teams = list(selectors.team_choices(actor=user))
    staff = list(selectors.staff_choices(actor=user))
    today = timezone.localdate()
    customer = sr.customer
    phones = customer_selectors.customer_phones(customer_id=customer.pk)
    warranty = catalog_selectors.unit_warranty(unit=sr.unit, on=today) if sr.unit_id and sr.unit else None
    can_change = user.has_perm("service.change_servicerequest")
    editable = can_change and sr.status not in {Status.CLOSED, Status.CANCELLED}
    actions = []
    if can_change:
        for action in rules.allowed_actions(sr.status):
            if action in ACTION_META:
                label, icon, needs = ACTION_META[action]
                actions.append({"code": action, "label": label, "icon": icon, "needs": needs})
    entries = [entry_view(e) for e in selectors.timeline(actor=user, request=sr)]
    context = {
        "sr": sr,
        "customer": customer,
        "phone": customer_rules.mask_phone(phones[0][0]) if phones else "",  # (number, kind), primary first
        "contact_phone": customer_rules.mask_phone(sr.contact_phone),
        "warranty": warranty,
        "warranty_until": max((d for d in (warranty.ends_on, warranty.extended_until) if d), default=None)
        if warranty
        else None,
        "actions": actions,
        "is_open": sr.status in rules.OPEN,
        "overdue": bool(sr.promised_at and sr.promised_at < timezone.now() and sr.status in rules.OPEN),
        "can_change": can_change,
        "can_edit": editable,
        "can_assign": user.has_perm("service.dispatch_servicerequest") and sr.status in rules.OPEN,
        "can_escalate": can_change and sr.status in rules.OPEN,
        "entries": entries,
        "intake_files": selectors.request_attachments_without_entry(actor=user, request=sr),
        "action_form": TransitionForm(initial={"version": sr.version}),
        "assign_form": AssignForm(initial={"version": sr.version}, teams=teams, staff=staff),
        "escalate_form": EscalateForm(teams=teams, staff=staff),
        "judgment_form": JudgmentForm(
            initial=_judgment_initial(sr),
            units=_customer_units(request, sr.customer_id, sr.unit),
            product_line_id=_product_line_of(sr),
        ),
        "composer": CommentForm(),
        "timers": _with_time_left(selectors.request_timers(request=sr), timezone.now()),
        "now": timezone.now(),
        "stale": False,
        "error": "",
        "open_modal": "",
    }
    context.update(over)
    return render(request, "service/detail.html", context, status=status)


def _get(request: HttpRequest, request_id: int) -> ServiceRequest:
    require_perm(request.user, "service.view_servicerequest")
    return selectors.request_get(actor=request.user, request_id=request_id)


@login_required
@require_GET
def request_detail(request: HttpRequest, request_id: int) -> HttpResponse:
    return _detail(request, _get(request, request_id))


def _refused(request: HttpRequest, sr: ServiceRequest, exc: DomainError, **over: Any) -> HttpResponse:
    """The page again with the service's refusal on top (and a reload link when the version was stale)."""
    fresh = selectors.request_get(actor=request.user, request_id=sr.pk)
    return _detail(
        request, fresh, status=exc.status, stale=isinstance(exc, StaleVersion), error=_error_text(exc), **over
    )


@login_required
@require_POST
def request_action(request: HttpRequest, request_id: int) -> HttpResponse:
    """One lifecycle move (start, wait, resume, resolve, close, reopen, cancel) with the version seen."""
    sr = _get(request, request_id)
    form = TransitionForm(request.POST)
    if not form.is_valid():
        return _detail(request, sr, status=422, error=gettext("Unknown action."))
    action = form.cleaned_data["action"]
    try:
        services.request_transition(
            actor=request.user,
            request=sr,
            action=action,
            expected_version=form.cleaned_data["version"],
            reason=form.cleaned_data["reason"],
            resolution=form.cleaned_data["resolution"],
        )
    except DomainError as exc:
        return _refused(
            request, sr, exc, action_form=form, open_modal=f"action-{action}" if ACTION_META[action][2] else ""
        )
    messages.success(
        request,
        gettext("%(number)s: %(action)s.") % {"number": sr.number, "action": ACTION_META[action][0]},
    )
    return redirect("service:request_detail", request_id=sr.pk)


@login_required
@require_POST
def request_assign(request: HttpRequest, request_id: int) -> HttpResponse:
    sr = _get(request, request_id)
    user = request.user
    form = AssignForm(request.POST, teams=selectors.team_choices(actor=user), staff=selectors.staff_choices(actor=user))
    if form.is_valid():
        try:
            services.request_assign(
                actor=user,
                request=sr,
                expected_version=form.cleaned_data["version"],
                assignee_id=form.cleaned_data["assignee"],
                team_id=form.cleaned_data["team"],
                reason=form.cleaned_data["reason"],
            )
        except DomainError as exc:
            apply_domain_error(form, exc, aliases={"assignee_id": "assignee", "team_id": "team"})
            return _refused(request, sr, exc, assign_form=form, open_modal="assign")
        messages.success(request, gettext("%(number)s was assigned.") % {"number": sr.number})
        return redirect("service:request_detail", request_id=sr.pk)
    return _detail(request, sr, status=422, assign_form=form, open_modal="assign")


@login_required
@require_POST
def request_escalate(request: HttpRequest, request_id: int) -> HttpResponse:
    sr = _get(request, request_id)
    user = request.user
    form = EscalateForm(
        request.POST, teams=selectors.team_choices(actor=user), staff=selectors.staff_choices(actor=user)
    )
    if form.is_valid():
        try:
            services.request_escalate(
                actor=user,
                request=sr,
                found=form.cleaned_data["found"],
                done=form.cleaned_data["done"],
                to_unit_id=form.cleaned_data["to_unit"],
                to_user_id=form.cleaned_data["to_user"],
            )
        except DomainError as exc:
            apply_domain_error(form, exc, aliases={"to_unit_id": "to_unit", "to_user_id": "to_user"})
            return _refused(request, sr, exc, escalate_form=form, open_modal="escalate")
        messages.success(request, gettext("%(number)s was escalated.") % {"number": sr.number})
        return redirect("service:request_detail", request_id=sr.pk)
    return _detail(request, sr, status=422, escalate_form=form, open_modal="escalate")


@login_required
@require_POST
def request_edit(request: HttpRequest, request_id: int) -> HttpResponse:
    """Save the judgment with the version the user saw; a lost race keeps what they typed."""
    sr = _get(request, request_id)
    form = JudgmentForm(
        request.POST,
        units=_customer_units(request, sr.customer_id, sr.unit),
        product_line_id=_product_line_of(sr),
    )
    if form.is_valid():
        data = form.cleaned_data
        fault = data["fault_category"]
        changes = services.RequestChanges(
            type=data["type"],
            urgency=data["urgency"],
            title=data["title"],
            description=data["description"],
            fault_category_id=fault.pk if fault else None,
            unit_id=data["unit"],
            product_model_id=None if data["unit"] else sr.product_model_id,
            promised_at=data["promised_at"],
            promise_note=data["promise_note"],
            contact_name=data["contact_name"],
            contact_phone=data["contact_phone"],
        )
        try:
            services.request_update(actor=request.user, request=sr, expected_version=data["version"], changes=changes)
        except DomainError as exc:
            if not isinstance(exc, StaleVersion):
                apply_domain_error(form, exc)
            return _refused(request, sr, exc, judgment_form=form)
        messages.success(request, gettext("Changes saved."))
        return redirect("service:request_detail", request_id=sr.pk)
    return _detail(request, sr, status=422, judgment_form=form)


@login_required
@require_POST
def request_comment(request: HttpRequest, request_id: int) -> HttpResponse:
    """A reply or an internal note with files; htmx appends the new entry without reloading the page."""
    sr = _get(request, request_id)
    htmx = request.headers.get("HX-Request") == "true"
    form = CommentForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            entry = services.request_comment(
                actor=request.user,
                request=sr,
                body=form.cleaned_data["body"],
                public=form.cleaned_data["visibility"] == "reply",
                attachments=tuple(form.cleaned_data["attachments"]),
            )
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            if htmx:
                return render(
                    request,
                    "service/_comment_added.html",
                    {"e": entry_view(entry), "sr": sr, "composer": CommentForm()},
                )
            return redirect(reverse("service:request_detail", args=[sr.pk]) + f"#entry-{entry.pk}")
    if htmx:
        response = render(request, "service/_composer.html", {"sr": sr, "composer": form})
        response["HX-Retarget"] = "#composer"
        response["HX-Reswap"] = "outerHTML"
        return response
    return _detail(request, sr, status=422, composer=form)


# --- intake (phone and walk-in) ---------------------------------------------------------------


def _visible_customer(request: HttpRequest, value: Any) -> Customer | None:
    text = str(value or "")
    if not text.isdigit() or not request.user.has_perm("customers.view_customer"):
        return None
    try:
        return customer_selectors.customer_get(actor=request.user, customer_id=int(text))
    except NotFound:
        return None


def _visible_unit(request: HttpRequest, value: Any) -> SoldUnit | None:
    text = str(value or "")
    if not text.isdigit():
        return None
    try:
        return catalog_selectors.unit_get(actor=request.user, unit_id=int(text))
    except NotFound:
        return None


def _unit_panel(unit: SoldUnit) -> dict[str, Any]:
    answer = catalog_selectors.unit_warranty(unit=unit, on=timezone.localdate())
    until = max((d for d in (answer.ends_on, answer.extended_until) if d), default=None)
    return {"unit": unit, "answer": answer, "until": until}


def _customer_panel(request: HttpRequest, customer: Customer) -> dict[str, Any]:
    phones = [customer_rules.mask_phone(p.number) for p in customer.phones.all()]
    units = [_unit_panel(u) for u in catalog_selectors.unit_list(actor=request.user, customer_id=customer.pk)[:20]]
    return {"customer": customer, "phones": phones, "units": units}


def _new_customer_form(request: HttpRequest, data: Any = None) -> QuickCustomerForm:
    units = list(selectors.team_choices(actor=request.user))
    return QuickCustomerForm(data, units=units, initial={"org_unit": getattr(request.user, "org_unit_id", None)})


@login_required
@require_http_methods(["GET", "POST"])
def intake(request: HttpRequest) -> HttpResponse:
    """A request taken on the phone or at the counter: caller, unit with its warranty, the problem."""
    require_perm(request.user, "service.add_servicerequest")
    source = request.POST if request.method == "POST" else request.GET
    customer = _visible_customer(request, source.get("customer"))
    unit = _visible_unit(request, source.get("unit"))
    line_id = unit.product_model.product_line_id if unit else None
    form = IntakeForm(
        request.POST if request.method == "POST" else None,
        request.FILES if request.method == "POST" else None,
        initial={"idempotency_key": uuid.uuid4().hex},
        product_line_id=line_id,
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        fault = data["fault_category"]
        if customer is None:
            form.add_error(None, gettext("Look up the caller and pick a customer (or create a new one)."))
        elif data["unit"] and unit is None:
            form.add_error(None, gettext("The unit does not exist or you may not see it."))
        else:
            request_data = services.RequestData(
                type=data["type"],
                customer_id=customer.pk,
                title=data["title"],
                channel=data["channel"],
                description=data["description"],
                urgency=data["urgency"],
                unit_id=unit.pk if unit else None,
                fault_category_id=fault.pk if fault else None,
                contact_name=data["contact_name"],
                contact_phone=data["contact_phone"],
                promised_at=data["promised_at"],
                promise_note=data["promise_note"],
                resolve_now=data["resolve_now"],
                resolution=data["resolution"] if data["resolve_now"] else "",
                attachments=tuple(data["attachments"]),
            )
            try:
                sr, _created = services.request_create(
                    actor=request.user, data=request_data, idempotency_key=data["idempotency_key"]
                )
            except DomainError as exc:
                apply_domain_error(form, exc, aliases={"customer_id": "customer", "unit_id": "unit"})
            else:
                messages.success(request, gettext("Request %(number)s created.") % {"number": sr.number})
                return redirect("service:request_detail", request_id=sr.pk)
    return render(
        request,
        "service/intake.html",
        {
            "form": form,
            "selected": _customer_panel(request, customer) if customer else None,
            "unit_panel": _unit_panel(unit) if unit else None,
            "new_form": _new_customer_form(request),
            "customer_error": form.errors.get("customer"),
            "unit_error": form.errors.get("unit"),
        },
        status=422 if request.method == "POST" else 200,
    )


@login_required
@require_GET
def intake_customers(request: HttpRequest) -> HttpResponse:
    """Callers matching what the agent typed: a name, a phone number or its last four digits (htmx)."""
    require_perm(request.user, "service.add_servicerequest")
    q = request.GET.get("q", "").strip()
    results = []
    if q and request.user.has_perm("customers.view_customer"):
        for c in customer_selectors.customer_list(actor=request.user, q=q)[:10]:
            phones = [customer_rules.mask_phone(p.number) for p in c.phones.all()]
            results.append({"customer": c, "phones": phones})
    return render(request, "service/_intake_customers.html", {"q": q, "results": results})


@login_required
@require_GET
def intake_customer(request: HttpRequest) -> HttpResponse:
    """The picked caller with their units and each unit's warranty (htmx)."""
    require_perm(request.user, "service.add_servicerequest")
    customer = _visible_customer(request, request.GET.get("id"))
    if customer is None:
        raise NotFound()
    return render(request, "service/_intake_customer.html", {"selected": _customer_panel(request, customer)})


@login_required
@require_GET
def intake_unit(request: HttpRequest) -> HttpResponse:
    """A unit by serial number (or picked from the caller's list) with its warranty answer at once (htmx);
    the fault categories follow the unit's product line."""
    require_perm(request.user, "service.add_servicerequest")
    serial = request.GET.get("serial", "").strip()
    unit = _visible_unit(request, request.GET.get("id"))
    if unit is None and serial:
        try:
            unit = catalog_selectors.unit_get_by_serial(actor=request.user, serial=serial)
        except NotFound:
            unit = None
    form = IntakeForm(product_line_id=unit.product_model.product_line_id if unit else None)
    form.fields["fault_category"].widget.attrs["hx-swap-oob"] = "true"
    owner = None
    if unit is not None and unit.customer_id:
        owner = _visible_customer(request, unit.customer_id)
    current = request.GET.get("customer", "")
    return render(
        request,
        "service/_intake_unit_response.html",
        {
            "unit_panel": _unit_panel(unit) if unit else None,
            "serial": serial,
            "form": form,
            "owner": owner,
            "current_customer": int(current) if current.isdigit() else None,
        },
    )


@login_required
@require_POST
def intake_customer_create(request: HttpRequest) -> HttpResponse:
    """A new caller from the few fields of the mini form; the panel then shows them as picked (htmx)."""
    require_perm(request.user, "service.add_servicerequest")
    form = _new_customer_form(request, request.POST)
    duplicates: list[dict[str, Any]] = []
    if form.is_valid():
        data = customer_services.CustomerData(
            name=form.cleaned_data["name"],
            org_unit_id=form.cleaned_data["org_unit"],
            phones=(customer_services.PhoneData(form.cleaned_data["phone"], is_primary=True),),
            source_channel=SourceChannel.HOTLINE,
        )
        try:
            customer = customer_services.customer_create(actor=request.user, data=data)
        except Conflict as exc:
            if exc.code != "duplicate_customer":
                apply_domain_error(form, exc, aliases={"phones.0.number": "phone", "org_unit_id": "org_unit"})
            else:
                form.add_error(None, gettext("This caller is already a customer: pick them from the list."))
                ids = [int(e.message.partition(":")[0]) for e in exc.errors if e.message.partition(":")[0].isdigit()]
                for c in customer_selectors.customer_list(actor=request.user).filter(pk__in=ids)[:5]:
                    phones = [customer_rules.mask_phone(p.number) for p in c.phones.all()]
                    duplicates.append({"customer": c, "phones": phones})
        except DomainError as exc:
            apply_domain_error(form, exc, aliases={"phones.0.number": "phone", "org_unit_id": "org_unit"})
        else:
            fresh = customer_selectors.customer_get(actor=request.user, customer_id=customer.pk)
            response = render(
                request,
                "service/_intake_customer_created.html",
                {"selected": _customer_panel(request, fresh), "created": True, "new_form": _new_customer_form(request)},
            )
            response["HX-Retarget"] = "#customer-panel"
            response["HX-Reswap"] = "innerHTML"
            return response
    return render(request, "service/_intake_new_customer.html", {"new_form": form, "duplicates": duplicates})


# --- incomplete records -----------------------------------------------------------------------

MISSING_LABELS = {"unit_or_model": _("Unit or product model")}


@login_required
@require_GET
def incomplete(request: HttpRequest) -> HttpResponse:
    """Requests lacking the fields their type and state require (服务记录完整性)."""
    require_perm(request.user, "service.change_servicerequest")
    found = selectors.incomplete_requests(actor=request.user)
    prefetch_related_objects([r for r, _m in found], "customer", "assignee", "org_unit")
    rows = [
        {"r": r, "missing": [str(MISSING_LABELS.get(m) or _field_label(m)) for m in missing]} for r, missing in found
    ]
    page = Paginator(rows, 50).get_page(request.GET.get("page"))
    return render(request, "service/incomplete.html", {"page": page, "total": len(rows)})


@login_required
def sla_report(request: HttpRequest) -> HttpResponse:
    """Timely-resolution rate by team, staff, type or month, as a chart and a table."""
    if not request.user.has_perm("service.view_servicerequest") or is_customer_actor(request.user):
        raise PermissionDenied()
    group_by = request.GET.get("group_by", "team")
    if group_by not in selectors.GROUPS:
        group_by = "team"
    days = request.GET.get("days", "90")
    since = timezone.now() - dt.timedelta(days=int(days)) if days.isdigit() else None
    rows = selectors.timely_resolution(actor=request.user, group_by=group_by, since=since)
    total_resolved = sum(r["resolved"] for r in rows)
    total_timely = sum(r["timely"] for r in rows)
    return render(
        request,
        "service/sla_report.html",
        {
            "rows": rows,
            "group_by": group_by,
            "days": days,
            "groups": [("team", _("Team")), ("assignee", _("Assignee")), ("type", _("Type")), ("month", _("Month"))],
            "overall": round(total_timely / total_resolved * 100, 1) if total_resolved else None,
            "chart": {"keys": [r["key"] for r in rows], "rates": [round((r["rate"] or 0) * 100, 1) for r in rows]},
        },
    )
