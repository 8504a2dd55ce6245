"""UI pages of the product archive and the fee schedule: units with their warranty answer, product
models, warranty policies, fee schedules with a quote widget.

Views are shells: they read with selectors, write with services, and render. A unit's contracts
belong to the sales app above this one; the unit page loads that panel from `sales:unit_contracts`.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from aftersales.accounts import selectors as account_selectors
from aftersales.accounts.policies import require_perm
from aftersales.catalog import selectors, services
from aftersales.catalog.forms import (
    PolicyForm,
    ProductModelForm,
    QuoteForm,
    TransferForm,
    UnitForm,
    WarrantyCaseForm,
)
from aftersales.catalog.models import SoldUnit, UnitStatus, WarrantyPolicy
from aftersales.catalog.rules import CaseFacts, DamageCause, WarrantyAnswer
from aftersales.core.audit import history_for
from aftersales.core.errors import DomainError, NotFound
from aftersales.customers import selectors as customer_selectors
from aftersales.customers.forms import apply_domain_error, provinces
from aftersales.customers.views import int_param, page_of

CUSTOMER_PANEL_UNITS = 20


def _visible_customer(request: HttpRequest, customer_id: int | None) -> Any:
    """The customer with this id if the user may see it, else None."""
    if not customer_id or not request.user.has_perm("customers.view_customer"):
        return None
    try:
        return customer_selectors.customer_get(actor=request.user, customer_id=customer_id)
    except NotFound:
        return None


# --- units ------------------------------------------------------------------------------------


@login_required
def unit_list(request: HttpRequest) -> HttpResponse:
    """Look units up by serial (prefix), invoice or voucher number; filter by owner, model, status."""
    require_perm(request.user, "catalog.view_soldunit")
    filters = {
        "q": request.GET.get("q", "").strip(),
        "status": request.GET.get("status", ""),
        "model": request.GET.get("model", ""),
    }
    customer = _visible_customer(request, int_param(request, "customer"))
    qs = selectors.unit_list(
        actor=request.user,
        q=filters["q"],
        customer_id=customer.pk if customer else None,
        model_id=int_param(request, "model"),
        status=filters["status"],
    )
    return render(
        request,
        "catalog/unit_list.html",
        {
            "page": page_of(request, qs),
            "filters": filters,
            "customer": customer,
            "statuses": UnitStatus.choices,
            "models": selectors.product_model_list(),
            "can_add": request.user.has_perm("catalog.add_soldunit"),
        },
    )


def _facts(form: WarrantyCaseForm) -> CaseFacts:
    data = form.cleaned_data
    return CaseFacts(
        voucher_present=data["voucher_present"],
        invoice_present=data["invoice_present"],
        date_proven=data["date_proven"],
        voucher_altered=data["voucher_altered"],
        serial_matches=data["serial_matches"],
        damage_cause=DamageCause(data["damage_cause"] or DamageCause.NONE),
        unauthorised_repair=data["unauthorised_repair"],
    )


def _warranty(request: HttpRequest, unit: SoldUnit) -> dict[str, Any]:
    """The warranty panel's context: today's answer, or the answer for the case in the query string."""
    today = timezone.localdate()
    form = WarrantyCaseForm(request.GET if request.GET.get("case") else None, initial={"on": today})
    facts, on, case = None, today, False
    if form.is_bound and form.is_valid():
        facts, on, case = _facts(form), form.cleaned_data["on"] or today, True
    answer: WarrantyAnswer = selectors.unit_warranty(unit=unit, on=on, facts=facts)
    return {
        "unit": unit,
        "answer": answer,
        "on": on,
        "is_today": on == today,
        "case": case,
        "policy": unit.product_model.warranty_policy,
        "case_form": form,
    }


@login_required
def unit_detail(request: HttpRequest, unit_id: int) -> HttpResponse:
    require_perm(request.user, "catalog.view_soldunit")
    unit = selectors.unit_get(actor=request.user, unit_id=unit_id)
    ownerships = list(selectors.unit_ownership_list(unit=unit))
    visible_ids: set[int] = set()
    if request.user.has_perm("customers.view_customer"):
        ids = {o.customer_id for o in ownerships} | ({unit.customer_id} if unit.customer_id else set())
        visible_ids = set(
            customer_selectors.customer_list(actor=request.user, include_merged=True)
            .filter(pk__in=ids)
            .values_list("pk", flat=True)
        )
    can_change = request.user.has_perm("catalog.change_soldunit")
    return render(
        request,
        "catalog/unit_detail.html",
        {
            **_warranty(request, unit),
            "ownerships": ownerships,
            "visible_customer_ids": visible_ids,
            "can_change": can_change,
            "can_transfer": can_change and unit.status == UnitStatus.IN_USE,
            "history": history_for(unit),
        },
    )


@login_required
@require_GET
def unit_warranty(request: HttpRequest, unit_id: int) -> HttpResponse:
    """The warranty panel alone (htmx): the answer for a date and the facts of a case."""
    require_perm(request.user, "catalog.view_soldunit")
    unit = selectors.unit_get(actor=request.user, unit_id=unit_id)
    return render(request, "catalog/_warranty_panel.html", _warranty(request, unit))


def _unit_data(form: UnitForm, *, customer_id: int | None) -> services.UnitData:
    data = form.cleaned_data
    return services.UnitData(
        serial=data["serial"],
        product_model_id=data["product_model"].pk,
        org_unit_id=data["org_unit"].pk,
        customer_id=customer_id,
        sale_date=data["sale_date"],
        installation_date=data["installation_date"],
        invoice_no=data["invoice_no"],
        voucher_no=data["voucher_no"],
        extended_warranty_until=data["extended_warranty_until"],
        note=data["note"],
    )


def _unit_form_page(
    request: HttpRequest, form: UnitForm, title: str, *, unit: Any = None, customer: Any = None
) -> HttpResponse:
    return render(request, "catalog/unit_form.html", {"form": form, "title": title, "unit": unit, "customer": customer})


@login_required
def unit_create(request: HttpRequest) -> HttpResponse:
    require_perm(request.user, "catalog.add_soldunit")
    wanted = request.POST.get("customer") if request.method == "POST" else request.GET.get("customer")
    customer = _visible_customer(request, int(wanted) if wanted and wanted.isdigit() else None)
    form = UnitForm(
        request.POST or None,
        initial={
            "org_unit": getattr(request.user, "org_unit_id", None),
            "sale_date": timezone.localdate(),
            "customer": wanted,
        },
        models=selectors.product_model_list(active=True),
        units=account_selectors.org_unit_list(actor=request.user),
        customer=customer,
    )
    if request.method == "POST" and form.is_valid():
        if form.cleaned_data["customer"] and customer is None:
            form.add_error("customer", _("Unknown customer."))
        else:
            try:
                unit = services.unit_register(
                    actor=request.user, data=_unit_data(form, customer_id=customer.pk if customer else None)
                )
            except DomainError as exc:
                apply_domain_error(form, exc)
            else:
                messages.success(request, _("Unit %(serial)s registered.") % {"serial": unit.serial})
                return redirect("catalog:unit_detail", unit_id=unit.pk)
    return _unit_form_page(request, form, _("Register a unit"), customer=customer)


@login_required
def unit_edit(request: HttpRequest, unit_id: int) -> HttpResponse:
    require_perm(request.user, "catalog.change_soldunit")
    unit = selectors.unit_get(actor=request.user, unit_id=unit_id)
    initial = {
        "serial": unit.serial,
        "product_model": unit.product_model_id,
        "org_unit": unit.org_unit_id,
        "sale_date": unit.sale_date,
        "installation_date": unit.installation_date,
        "invoice_no": unit.invoice_no,
        "voucher_no": unit.voucher_no,
        "extended_warranty_until": unit.extended_warranty_until,
        "note": unit.note,
        "version": unit.version,
    }
    form = UnitForm(
        request.POST or None,
        initial=initial,
        models=selectors.product_model_list(),
        units=account_selectors.org_unit_list(actor=request.user),
        editing=True,
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.unit_update(
                actor=request.user,
                unit=unit,
                expected_version=form.cleaned_data["version"],
                data=_unit_data(form, customer_id=unit.customer_id),
            )
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            messages.success(request, _("Changes saved."))
            return redirect("catalog:unit_detail", unit_id=unit.pk)
    return _unit_form_page(request, form, _("Edit unit %(serial)s") % {"serial": unit.serial}, unit=unit)


@login_required
def unit_transfer(request: HttpRequest, unit_id: int) -> HttpResponse:
    """Hand the unit to a new owner; the ownership history keeps the previous one."""
    require_perm(request.user, "catalog.change_soldunit")
    unit = selectors.unit_get(actor=request.user, unit_id=unit_id)
    wanted = request.POST.get("customer", "") if request.method == "POST" else ""
    customer = _visible_customer(request, int(wanted) if wanted.isdigit() else None)
    form = TransferForm(request.POST or None, initial={"on": timezone.localdate()}, customer=customer)
    if request.method == "POST" and form.is_valid():
        if customer is None:
            form.add_error("customer", _("Unknown customer."))
        else:
            try:
                services.unit_transfer(
                    actor=request.user,
                    unit=unit,
                    customer=customer,
                    on=form.cleaned_data["on"],
                    reason=form.cleaned_data["reason"],
                )
            except DomainError as exc:
                apply_domain_error(form, exc)
            else:
                messages.success(
                    request, _("%(serial)s now belongs to %(name)s.") % {"serial": unit.serial, "name": customer.name}
                )
                return redirect("catalog:unit_detail", unit_id=unit.pk)
    return render(request, "catalog/unit_transfer.html", {"form": form, "unit": unit})


@login_required
@require_GET
def customer_units(request: HttpRequest, customer_id: int) -> HttpResponse:
    """The units panel of a customer's page (htmx): each unit with its warranty status today."""
    require_perm(request.user, "customers.view_customer")
    customer = customer_selectors.customer_get(actor=request.user, customer_id=customer_id)
    if not request.user.has_perm("catalog.view_soldunit"):
        return render(request, "catalog/_customer_units.html", {"customer": customer, "rows": None})
    qs = selectors.unit_list(actor=request.user, customer_id=customer.pk)
    # "contracts" (sales) extend warranties: fetched for the whole panel at once, not per unit.
    units = list(qs.prefetch_related("contracts")[:CUSTOMER_PANEL_UNITS])
    today = timezone.localdate()
    rows = []
    for u in units:
        answer = selectors.unit_warranty(unit=u, on=today)
        ends = [d for d in (answer.ends_on, answer.extended_until) if d is not None]
        rows.append({"unit": u, "answer": answer, "until": max(ends) if ends else None})
    return render(
        request,
        "catalog/_customer_units.html",
        {
            "customer": customer,
            "rows": rows,
            "total": qs.count() if len(units) == CUSTOMER_PANEL_UNITS else len(units),
            "today": today,
        },
    )


# --- product models ---------------------------------------------------------------------------


@login_required
def model_list(request: HttpRequest) -> HttpResponse:
    require_perm(request.user, "catalog.view_productmodel")
    filters = {
        "q": request.GET.get("q", "").strip(),
        "line": request.GET.get("line", ""),
        "active": request.GET.get("active", ""),
    }
    active = {"1": True, "0": False}.get(filters["active"])
    qs = selectors.product_model_list(q=filters["q"], line_id=int_param(request, "line"), active=active)
    return render(
        request,
        "catalog/model_list.html",
        {
            "page": page_of(request, qs),
            "filters": filters,
            "lines": selectors.product_line_list(),
            "can_add": request.user.has_perm("catalog.add_productmodel"),
        },
    )


@login_required
def model_detail(request: HttpRequest, model_id: int) -> HttpResponse:
    require_perm(request.user, "catalog.view_productmodel")
    model = selectors.product_model_get(model_id=model_id)
    return render(
        request,
        "catalog/model_detail.html",
        {
            "model": model,
            "services": model.value_added_services.all(),
            "can_change": request.user.has_perm("catalog.change_productmodel"),
            "can_view_units": request.user.has_perm("catalog.view_soldunit"),
            "history": history_for(model),
        },
    )


def _model_form(request: HttpRequest, initial: dict[str, Any]) -> ProductModelForm:
    return ProductModelForm(
        request.POST or None,
        initial=initial,
        lines=selectors.product_line_list(),
        categories=selectors.product_category_list(),
        policies=selectors.warranty_policy_list(),
    )


def _model_data(form: ProductModelForm) -> services.ModelData:
    data = form.cleaned_data
    return services.ModelData(
        code=data["code"],
        name=data["name"],
        product_line_id=data["product_line"].pk,
        warranty_policy_id=data["warranty_policy"].pk,
        category_id=data["category"].pk if data["category"] else None,
        brand=data["brand"],
        dealer_price=data["dealer_price"],
        market_price=data["market_price"],
        needs_installation=data["needs_installation"],
        is_active=data["is_active"],
    )


@login_required
def model_create(request: HttpRequest) -> HttpResponse:
    require_perm(request.user, "catalog.add_productmodel")
    form = _model_form(request, {"is_active": True})
    if request.method == "POST" and form.is_valid():
        try:
            model = services.product_model_create(actor=request.user, data=_model_data(form))
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            messages.success(request, _("Product model %(code)s created.") % {"code": model.code})
            return redirect("catalog:model_detail", model_id=model.pk)
    return render(request, "catalog/simple_form.html", {"form": form, "title": _("New product model"), "kind": "model"})


@login_required
def model_edit(request: HttpRequest, model_id: int) -> HttpResponse:
    require_perm(request.user, "catalog.change_productmodel")
    model = selectors.product_model_get(model_id=model_id)
    initial = {
        "code": model.code,
        "name": model.name,
        "product_line": model.product_line_id,
        "category": model.category_id,
        "brand": model.brand,
        "warranty_policy": model.warranty_policy_id,
        "dealer_price": model.dealer_price,
        "market_price": model.market_price,
        "needs_installation": model.needs_installation,
        "is_active": model.is_active,
        "version": model.version,
    }
    form = _model_form(request, initial)
    form.fields["version"].required = True
    if request.method == "POST" and form.is_valid():
        try:
            services.product_model_update(
                actor=request.user,
                model=model,
                expected_version=form.cleaned_data["version"],
                data=_model_data(form),
            )
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            messages.success(request, _("Changes saved."))
            return redirect("catalog:model_detail", model_id=model.pk)
    return render(
        request,
        "catalog/simple_form.html",
        {"form": form, "title": _("Edit %(name)s") % {"name": model}, "kind": "model", "obj": model},
    )


# --- warranty policies ------------------------------------------------------------------------


@login_required
def policy_list(request: HttpRequest) -> HttpResponse:
    require_perm(request.user, "catalog.view_warrantypolicy")
    qs = selectors.warranty_policy_list().annotate(n_models=Count("models"))
    return render(
        request,
        "catalog/policy_list.html",
        {
            "page": page_of(request, qs),
            "can_add": request.user.has_perm("catalog.add_warrantypolicy"),
            "can_change": request.user.has_perm("catalog.change_warrantypolicy"),
        },
    )


def _policy_data(form: PolicyForm) -> services.PolicyData:
    data = form.cleaned_data
    return services.PolicyData(
        code=data["code"],
        name=data["name"],
        months=data["months"],
        starts_from=data["starts_from"],
        covers_parts=data["covers_parts"],
        covers_labour=data["covers_labour"],
        covers_call_out=data["covers_call_out"],
        scope=data["scope"],
        is_active=data["is_active"],
    )


@login_required
def policy_create(request: HttpRequest) -> HttpResponse:
    require_perm(request.user, "catalog.add_warrantypolicy")
    form = PolicyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            policy = services.warranty_policy_create(actor=request.user, data=_policy_data(form))
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            messages.success(request, _("Warranty policy %(name)s created.") % {"name": policy.name})
            return redirect("catalog:policy_list")
    return render(
        request, "catalog/simple_form.html", {"form": form, "title": _("New warranty policy"), "kind": "policy"}
    )


@login_required
def policy_edit(request: HttpRequest, policy_id: int) -> HttpResponse:
    require_perm(request.user, "catalog.change_warrantypolicy")
    policy: WarrantyPolicy = selectors.warranty_policy_get(policy_id=policy_id)
    initial = {
        "code": policy.code,
        "name": policy.name,
        "months": policy.months,
        "starts_from": policy.starts_from,
        "covers_parts": policy.covers_parts,
        "covers_labour": policy.covers_labour,
        "covers_call_out": policy.covers_call_out,
        "scope": policy.scope,
        "is_active": policy.is_active,
        "version": policy.version,
    }
    form = PolicyForm(request.POST or None, initial=initial)
    form.fields["version"].required = True
    if request.method == "POST" and form.is_valid():
        try:
            services.warranty_policy_update(
                actor=request.user,
                policy=policy,
                expected_version=form.cleaned_data["version"],
                data=_policy_data(form),
            )
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            messages.success(request, _("Changes saved."))
            return redirect("catalog:policy_list")
    return render(
        request,
        "catalog/simple_form.html",
        {
            "form": form,
            "title": _("Edit %(name)s") % {"name": policy.name},
            "kind": "policy",
            "obj": policy,
            "history": history_for(policy),
        },
    )


# --- fee schedules ----------------------------------------------------------------------------


def _quote_form(request: HttpRequest, data: Any = None) -> QuoteForm:
    return QuoteForm(
        data,
        initial={"on": timezone.localdate(), "distance_km": 0},
        provinces=provinces(),
        labour=selectors.labour_item_choices(),
        prefix="quote",
    )


@login_required
def fee_list(request: HttpRequest) -> HttpResponse:
    require_perm(request.user, "catalog.view_feeschedule")
    qs = selectors.fee_schedule_list().annotate(
        n_items=Count("labour_items", distinct=True), n_bands=Count("call_out_bands", distinct=True)
    )
    return render(
        request,
        "catalog/fee_list.html",
        {
            "page": page_of(request, qs),
            "in_force": selectors.fee_schedule_in_force_ids(on=timezone.localdate()),
            "quote_form": _quote_form(request),
        },
    )


@login_required
def fee_detail(request: HttpRequest, schedule_id: int) -> HttpResponse:
    require_perm(request.user, "catalog.view_feeschedule")
    schedule = selectors.fee_schedule_get(schedule_id=schedule_id)
    return render(
        request,
        "catalog/fee_detail.html",
        {
            "schedule": schedule,
            "items": selectors.labour_item_list(schedule=schedule),
            "bands": schedule.call_out_bands.all(),
            "in_force": schedule.pk in selectors.fee_schedule_in_force_ids(on=timezone.localdate()),
            "history": history_for(schedule),
        },
    )


@login_required
@require_GET
def fee_quote(request: HttpRequest) -> HttpResponse:
    """The quote widget's answer (htmx): labour items + call-out fee from the schedule valid that day."""
    require_perm(request.user, "catalog.view_feeschedule")
    form = _quote_form(request, request.GET)
    quote = None
    if form.is_valid():
        try:
            quote = selectors.fee_quote(
                region_code=form.region_code() or form.cleaned_data.get("province") or None,
                on=form.service_date(),
                labour_codes=form.cleaned_data["labour_codes"],
                distance_km=form.cleaned_data["distance_km"] or Decimal("0"),
            )
        except DomainError as exc:
            apply_domain_error(form, exc, aliases={"region_code": "district"})
    return render(request, "catalog/_quote.html", {"quote": quote, "form": form})
