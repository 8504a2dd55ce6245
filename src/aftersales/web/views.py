"""UI pages of the foundation: sign-in, home, staff, org units, audit trail, profile and tokens.

Views are shells: they read with selectors, write with services, and render.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
from typing import Any

from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import AuthenticationForm
from django.core.paginator import Paginator
from django.db.models import Count
from django.db.models.functions import TruncDate
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from aftersales.accounts import selectors as account_selectors
from aftersales.accounts import services as account_services
from aftersales.accounts.models import OrgUnitKind, UserKind
from aftersales.accounts.roles import ROLES, role_label
from aftersales.core.audit import audit_record, history_for
from aftersales.core.context import Channel
from aftersales.core.errors import DomainError, PermissionDenied
from aftersales.core.models import AuditAction, AuditEntry
from aftersales.core.selectors import audit_entry_list
from aftersales.sla.selectors import calendar_gaps
from aftersales.web.forms import ApiTokenForm, LoginForm, OrgUnitForm, UserEditForm, UserForm, apply_domain_error

PAGE_SIZE = 25
logger = logging.getLogger(__name__)


class LoginView(auth_views.LoginView):
    template_name = "web/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True

    def get_success_url(self) -> str:
        """Portal customers land in the portal; a `next` outside the customer's pages is ignored."""
        url = self.get_redirect_url()
        if getattr(self.request.user, "kind", "") == UserKind.CUSTOMER:
            customer_pages = ("/portal/", "/s/", "/service/t/", "/service/attachments/")
            return url if url.startswith(customer_pages) else reverse("portal:home")
        return url or self.get_default_redirect_url()

    def form_valid(self, form: AuthenticationForm) -> HttpResponse:
        response = super().form_valid(form)
        user = form.get_user()
        if user.preferred_language:
            response.set_cookie("django_language", user.preferred_language, samesite="Lax")
        return response


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        audit_record(action=AuditAction.LOGOUT, target=request.user, actor=request.user)
    logout(request)
    return redirect("web:login")


@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    """Switch the UI language and remember it for the user."""
    language = request.POST.get("language", "")
    next_url = request.POST.get("next") or "/"
    if not next_url.startswith("/") or next_url.startswith("//"):
        next_url = "/"
    response = redirect(next_url)
    if translation.check_for_language(language):
        if request.user.is_authenticated:
            with contextlib.suppress(DomainError):
                account_services.user_set_language(user=request.user, language=language)  # type: ignore[arg-type]
        response.set_cookie("django_language", language, max_age=365 * 24 * 3600, samesite="Lax")
    return response


def _page(request: HttpRequest, qs: Any) -> Any:
    return Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))


@login_required
def home(request: HttpRequest) -> HttpResponse:
    user = request.user
    if getattr(user, "kind", "") == UserKind.CUSTOMER:
        return redirect("portal:home")
    staff = account_selectors.user_list(actor=user, active=True) if user.has_perm("accounts.view_user") else None
    units = account_selectors.org_unit_list(actor=user) if user.has_perm("accounts.view_orgunit") else None
    figures: dict[str, Any] = {}
    chart: dict[str, Any] = {}
    if staff is not None:
        figures["staff"] = staff.count()
        by_role = staff.order_by().values("groups__name").annotate(n=Count("id", distinct=True)).order_by("-n")
        figures["by_role"] = [
            {"label": role_label(row["groups__name"]), "n": row["n"]} for row in by_role if row["groups__name"]
        ]
    if units is not None:
        counts = dict(units.order_by().values_list("kind").annotate(n=Count("id")))
        figures["units"] = sum(counts.values())
        figures["units_by_kind"] = [{"label": label, "n": counts.get(kind, 0)} for kind, label in OrgUnitKind.choices]
    if user.has_perm("core.view_auditentry"):
        since = timezone.localdate() - dt.timedelta(days=13)
        start = timezone.make_aware(dt.datetime.combine(since, dt.time.min))
        entries = audit_entry_list(actor=user, since=start)
        rows = entries.order_by().annotate(day=TruncDate("at")).values("day", "channel").annotate(n=Count("id"))
        days = [since + dt.timedelta(days=i) for i in range(14)]
        series: dict[str, list[int]] = {}
        for row in rows:
            series.setdefault(row["channel"], [0] * 14)[(row["day"] - since).days] += row["n"]
        chart = {
            "days": [d.strftime("%m-%d") for d in days],
            "series": [{"name": str(Channel(ch).label), "data": data} for ch, data in sorted(series.items())],
        }
        today = timezone.make_aware(dt.datetime.combine(timezone.localdate(), dt.time.min))
        figures["changes_today"] = (
            entries.filter(at__gte=today)
            .exclude(action__in=[AuditAction.LOGIN, AuditAction.LOGOUT, AuditAction.LOGIN_FAILED])
            .count()
        )
        figures["failed_logins_today"] = entries.filter(at__gte=today, action=AuditAction.LOGIN_FAILED).count()
    gaps = calendar_gaps(today=timezone.localdate())
    if gaps:
        logger.warning("PRC holiday schedule missing", extra={"years": gaps})
    return render(
        request,
        "web/home.html",
        {
            "figures": figures,
            "chart": chart,
            "has_chart": bool(chart),
            "calendar_gaps": gaps,
            "can_enter_calendar": user.has_perm("sla.add_publicday"),
        },
    )


# --- staff ------------------------------------------------------------------------------------


@login_required
def user_list(request: HttpRequest) -> HttpResponse:
    if not request.user.has_perm("accounts.view_user"):
        raise PermissionDenied()
    q = request.GET.get("q", "").strip()
    role = request.GET.get("role", "")
    unit = request.GET.get("unit", "")
    users = account_selectors.user_list(
        actor=request.user, q=q, role=role, unit_id=int(unit) if unit.isdigit() else None
    )
    return render(
        request,
        "web/user_list.html",
        {
            "page": _page(request, users),
            "q": q,
            "role": role,
            "unit": unit,
            "roles": [r for r in ROLES if r.staff],
            "units": account_selectors.org_unit_list(actor=request.user),
            "can_add": request.user.has_perm("accounts.add_user"),
        },
    )


@login_required
def user_detail(request: HttpRequest, user_id: int) -> HttpResponse:
    if not request.user.has_perm("accounts.view_user"):
        raise PermissionDenied()
    person = account_selectors.user_get(actor=request.user, user_id=user_id)
    roles = [role_label(c) for c in account_selectors.role_codes(person)]
    return render(
        request,
        "web/user_detail.html",
        {
            "person": person,
            "roles": roles,
            "history": history_for(person),
            "locked_minutes": account_services.login_lock_minutes(person.username),
            "can_change": request.user.has_perm("accounts.change_user"),
        },
    )


@login_required
def user_create(request: HttpRequest) -> HttpResponse:
    if not request.user.has_perm("accounts.add_user"):
        raise PermissionDenied()
    units = account_selectors.org_unit_list(actor=request.user)
    form = UserForm(request.POST or None, units=units)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            person = account_services.user_create(
                actor=request.user,
                username=data["username"],
                password=data["password"],
                full_name=data["full_name"],
                email=data["email"],
                phone=data["phone"],
                employee_no=data["employee_no"],
                org_unit=data["org_unit"],
                roles=data["roles"],
                kind=UserKind.STAFF,
            )
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            messages.success(request, _("Staff member %(name)s created.") % {"name": person.display_name})
            return redirect("web:user_detail", user_id=person.pk)
    return render(request, "web/form.html", {"form": form, "title": _("New staff member"), "back": "web:user_list"})


@login_required
def user_edit(request: HttpRequest, user_id: int) -> HttpResponse:
    if not request.user.has_perm("accounts.change_user"):
        raise PermissionDenied()
    person = account_selectors.user_get(actor=request.user, user_id=user_id)
    units = account_selectors.org_unit_list(actor=request.user)
    initial = {
        "full_name": person.full_name,
        "email": person.email,
        "phone": person.phone,
        "employee_no": person.employee_no,
        "org_unit": person.org_unit_id,
        "roles": account_selectors.role_codes(person),
        "is_active": person.is_active,
    }
    form = UserEditForm(request.POST or None, units=units, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            account_services.user_update(
                actor=request.user,
                user=person,
                full_name=data["full_name"],
                email=data["email"],
                phone=data["phone"],
                employee_no=data["employee_no"],
                org_unit=data["org_unit"],
                is_active=data["is_active"],
            )
            if sorted(data["roles"]) != initial["roles"]:
                account_services.user_set_roles(actor=request.user, user=person, roles=data["roles"])
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            messages.success(request, _("Changes saved."))
            return redirect("web:user_detail", user_id=person.pk)
    return render(
        request,
        "web/form.html",
        {"form": form, "title": _("Edit %(name)s") % {"name": person.display_name}, "back": "web:user_list"},
    )


@login_required
@require_POST
def user_unlock(request: HttpRequest, user_id: int) -> HttpResponse:
    person = account_selectors.user_get(actor=request.user, user_id=user_id)
    account_services.login_unlock(actor=request.user, user=person)
    messages.success(request, _("The sign-in lock was lifted."))
    return redirect("web:user_detail", user_id=person.pk)


# --- org units --------------------------------------------------------------------------------


@login_required
def orgunit_list(request: HttpRequest) -> HttpResponse:
    if not request.user.has_perm("accounts.view_orgunit"):
        raise PermissionDenied()
    q = request.GET.get("q", "").strip()
    units = account_selectors.org_unit_list(actor=request.user, q=q).annotate(n_members=Count("members"))
    return render(
        request,
        "web/orgunit_list.html",
        {"page": _page(request, units), "q": q, "can_add": request.user.has_perm("accounts.add_orgunit")},
    )


@login_required
def orgunit_detail(request: HttpRequest, unit_id: int) -> HttpResponse:
    if not request.user.has_perm("accounts.view_orgunit"):
        raise PermissionDenied()
    unit = account_selectors.org_unit_get(actor=request.user, unit_id=unit_id)
    members = account_selectors.user_list(actor=request.user, unit_id=unit.pk)[:100]
    children = account_selectors.org_unit_list(actor=request.user).filter(parent=unit)
    return render(
        request,
        "web/orgunit_detail.html",
        {"unit": unit, "members": members, "children": children, "history": history_for(unit)},
    )


@login_required
def orgunit_create(request: HttpRequest) -> HttpResponse:
    if not request.user.has_perm("accounts.add_orgunit"):
        raise PermissionDenied()
    units = account_selectors.org_unit_list(actor=request.user)
    form = OrgUnitForm(request.POST or None, units=units, initial={"parent": request.GET.get("parent")})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            unit = account_services.org_unit_create(
                actor=request.user,
                name=data["name"],
                code=data["code"],
                kind=data["kind"],
                parent=data["parent"],
                phone=data["phone"],
                address=data["address"],
            )
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            messages.success(request, _("Org unit %(name)s created.") % {"name": unit.name})
            return redirect("web:orgunit_detail", unit_id=unit.pk)
    return render(request, "web/form.html", {"form": form, "title": _("New org unit"), "back": "web:orgunit_list"})


# --- audit trail ------------------------------------------------------------------------------


@login_required
def audit_list(request: HttpRequest) -> HttpResponse:
    filters = {
        "action": request.GET.get("action", ""),
        "channel": request.GET.get("channel", ""),
        "target_type": request.GET.get("target_type", ""),
        "q": request.GET.get("q", "").strip(),
    }
    entries = audit_entry_list(
        actor=request.user,
        action=filters["action"],
        channel=filters["channel"],
        target_type=filters["target_type"],
        q=filters["q"],
    )
    return render(
        request,
        "web/audit_list.html",
        {
            "page": _page(request, entries),
            "filters": filters,
            "actions": AuditAction.choices,
            "channels": Channel.choices,
            "target_types": sorted(AuditEntry.objects.order_by().values_list("target_type", flat=True).distinct()[:50]),
        },
    )


# --- profile and API tokens -------------------------------------------------------------------


@login_required
def profile(request: HttpRequest) -> HttpResponse:
    form = ApiTokenForm(request.POST or None)
    new_token = None
    if request.method == "POST" and form.is_valid():
        try:
            _token, new_token = account_services.api_token_create(
                actor=request.user, name=form.cleaned_data["name"], expires_at=form.cleaned_data["expires_at"]
            )
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            form = ApiTokenForm()
    return render(
        request,
        "web/profile.html",
        {
            "form": form,
            "new_token": new_token,
            "tokens": account_selectors.api_token_list(actor=request.user),
            "now": timezone.now(),
            "roles": [role_label(c) for c in account_selectors.role_codes(request.user)],  # type: ignore[arg-type]
        },
    )


@login_required
@require_POST
def token_revoke(request: HttpRequest, token_id: int) -> HttpResponse:
    token = account_selectors.api_token_get(actor=request.user, token_id=token_id)
    account_services.api_token_revoke(actor=request.user, token=token)
    messages.success(request, _("Token %(name)s revoked.") % {"name": token.name})
    return redirect("web:profile")
