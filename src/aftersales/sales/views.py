"""UI pages of sales orders and service contracts, plus the panels the customer and unit pages load.

Views are shells: they read with selectors, write with services, and render.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from aftersales.accounts import selectors as account_selectors
from aftersales.accounts.policies import require_perm
from aftersales.catalog import selectors as catalog_selectors
from aftersales.catalog.rules import add_months
from aftersales.core.audit import history_for
from aftersales.core.errors import DomainError, NotFound
from aftersales.customers import selectors as customer_selectors
from aftersales.customers.forms import apply_domain_error, filled_rows
from aftersales.customers.views import int_param, page_of
from aftersales.sales import rules, selectors, services
from aftersales.sales.forms import (
    ContractForm,
    DeliverForm,
    OrderForm,
    OrderLineFormSet,
    PaymentForm,
    TransitionForm,
    unit_choices,
)
from aftersales.sales.models import ContractStatus, DeliveryStatus, PaymentStatus, SalesOrder, ServiceContract

PANEL_ROWS = 10


def _customer(request: HttpRequest, raw: str | None) -> Any:
    """The customer with this id if the user may see it, else None."""
    if not raw or not raw.isdigit() or not request.user.has_perm("customers.view_customer"):
        return None
    try:
        return customer_selectors.customer_get(actor=request.user, customer_id=int(raw))
    except NotFound:
        return None


def _date_param(request: HttpRequest, name: str) -> dt.date | None:
    try:
        return parse_date(request.GET.get(name, ""))
    except ValueError:
        return None


# --- orders -----------------------------------------------------------------------------------


@login_required
def order_list(request: HttpRequest) -> HttpResponse:
    require_perm(request.user, "sales.view_salesorder")
    filters = {
        "q": request.GET.get("q", "").strip(),
        "payment": request.GET.get("payment", ""),
        "delivery": request.GET.get("delivery", ""),
        "since": request.GET.get("since", ""),
        "until": request.GET.get("until", ""),
    }
    customer = _customer(request, request.GET.get("customer"))
    qs = selectors.order_list(
        actor=request.user,
        q=filters["q"],
        customer_id=customer.pk if customer else None,
        staff_id=int_param(request, "staff"),
        since=_date_param(request, "since"),
        until=_date_param(request, "until"),
        payment_status=filters["payment"],
        delivery_status=filters["delivery"],
    )
    return render(
        request,
        "sales/order_list.html",
        {
            "page": page_of(request, qs),
            "filters": filters,
            "customer": customer,
            "payments": PaymentStatus.choices,
            "deliveries": DeliveryStatus.choices,
            "can_add": request.user.has_perm("sales.add_salesorder"),
        },
    )


def _open_lines(order: SalesOrder) -> list[tuple[Any, int]]:
    return [
        (line, line.quantity - len(line.deliveries.all()))
        for line in order.lines.all()
        if line.quantity > len(line.deliveries.all())
    ]


def _order_page(
    request: HttpRequest,
    order: SalesOrder,
    *,
    deliver_form: DeliverForm | None = None,
    payment_form: PaymentForm | None = None,
    status: int = 200,
) -> HttpResponse:
    can_change = request.user.has_perm("sales.change_salesorder")
    open_lines = _open_lines(order)
    if deliver_form is None and can_change and open_lines:
        deliver_form = DeliverForm(initial={"delivered_on": timezone.localdate()}, open_lines=open_lines)
    if payment_form is None and can_change:
        payment_form = PaymentForm(initial={"payment_status": order.payment_status, "version": order.version})
    return render(
        request,
        "sales/order_detail.html",
        {
            "order": order,
            "lines": [
                {"line": line, "delivered": [d.unit for d in line.deliveries.all()]} for line in order.lines.all()
            ],
            "deliver_form": deliver_form if open_lines else None,
            "payment_form": payment_form,
            "can_change": can_change,
            "history": history_for(order),
        },
        status=status,
    )


@login_required
def order_detail(request: HttpRequest, order_id: int) -> HttpResponse:
    require_perm(request.user, "sales.view_salesorder")
    return _order_page(request, selectors.order_get(actor=request.user, order_id=order_id))


@login_required
@require_POST
def order_deliver(request: HttpRequest, order_id: int) -> HttpResponse:
    """Deliver serials: each becomes a sold unit of the order's customer."""
    require_perm(request.user, "sales.change_salesorder")
    order = selectors.order_get(actor=request.user, order_id=order_id)
    form = DeliverForm(request.POST, open_lines=_open_lines(order))
    if form.is_valid():
        entered = form.serials()
        deliveries = [
            services.DeliveryData(
                line_id=line_id, serial=serial, installation_date=form.cleaned_data["installation_date"]
            )
            for line_id, serial in entered
        ]
        try:
            services.order_deliver(
                actor=request.user, order=order, deliveries=deliveries, delivered_on=form.cleaned_data["delivered_on"]
            )
        except DomainError as exc:
            for err in exc.errors:
                _head, _dot, rest = err.field.partition(".")
                index = rest.partition(".")[0]
                serial = entered[int(index)][1] if index.isdigit() and int(index) < len(entered) else ""
                form.add_error(None, f"{serial}: {err.message}" if serial else str(err.message))
            if not exc.errors:
                form.add_error(None, str(exc.message))
        else:
            messages.success(
                request,
                _("%(n)s serial numbers delivered and registered as units.") % {"n": len(deliveries)},
            )
            return redirect("sales:order_detail", order_id=order.pk)
    return _order_page(request, order, deliver_form=form)


@login_required
@require_POST
def order_payment(request: HttpRequest, order_id: int) -> HttpResponse:
    require_perm(request.user, "sales.change_salesorder")
    order = selectors.order_get(actor=request.user, order_id=order_id)
    form = PaymentForm(request.POST)
    if form.is_valid():
        try:
            services.order_set_payment(
                actor=request.user,
                order=order,
                expected_version=form.cleaned_data["version"],
                payment_status=form.cleaned_data["payment_status"],
            )
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            messages.success(request, _("Payment status changed."))
            return redirect("sales:order_detail", order_id=order.pk)
    order = selectors.order_get(actor=request.user, order_id=order_id)
    return _order_page(request, order, payment_form=form)


@login_required
def order_create(request: HttpRequest) -> HttpResponse:
    require_perm(request.user, "sales.add_salesorder")
    post = request.POST if request.method == "POST" else None
    customer = _customer(request, (post or request.GET).get("customer"))
    staff = account_selectors.user_list(actor=request.user, active=True)
    models = catalog_selectors.product_model_list(active=True)
    form = OrderForm(
        post,
        initial={
            "order_date": timezone.localdate(),
            "org_unit": getattr(request.user, "org_unit_id", None),
            "sales_staff": request.user.pk,
            "customer": customer.pk if customer else None,
        },
        units=account_selectors.org_unit_list(actor=request.user),
        staff=staff,
        customer=customer,
    )
    lines = OrderLineFormSet(post, initial=None if post else [{}], prefix="lines", form_kwargs={"models": models})
    if post is not None and form.is_valid() and lines.is_valid():
        rows = filled_rows(lines)
        if customer is None:
            form.add_error("customer", _("Unknown customer."))
        else:
            data = form.cleaned_data
            try:
                order = services.order_create(
                    actor=request.user,
                    customer_id=customer.pk,
                    org_unit_id=data["org_unit"].pk,
                    order_date=data["order_date"],
                    lines=[
                        services.LineData(
                            product_model_id=f.cleaned_data["product_model"].pk,
                            quantity=f.cleaned_data["quantity"],
                            unit_price=f.cleaned_data["unit_price"],
                        )
                        for f in rows
                    ],
                    sales_staff_id=data["sales_staff"].pk if data["sales_staff"] else None,
                    note=data["note"],
                )
            except DomainError as exc:
                apply_domain_error(form, exc, rows={"lines": rows})
            else:
                messages.success(request, _("Order %(number)s created.") % {"number": order.number})
                return redirect("sales:order_detail", order_id=order.pk)
    prices = {str(m.pk): str(m.market_price or m.dealer_price or "") for m in models}
    return render(
        request, "sales/order_form.html", {"form": form, "lines": lines, "prices": prices, "customer": customer}
    )


# --- contracts --------------------------------------------------------------------------------


@login_required
def contract_list(request: HttpRequest) -> HttpResponse:
    require_perm(request.user, "sales.view_servicecontract")
    filters = {"q": request.GET.get("q", "").strip(), "status": request.GET.get("status", "")}
    customer = _customer(request, request.GET.get("customer"))
    qs = selectors.contract_list(
        actor=request.user, q=filters["q"], status=filters["status"], customer_id=customer.pk if customer else None
    )
    return render(
        request,
        "sales/contract_list.html",
        {
            "page": page_of(request, qs),
            "filters": filters,
            "customer": customer,
            "statuses": ContractStatus.choices,
            "can_add": request.user.has_perm("sales.add_servicecontract"),
        },
    )


def _contract_page(request: HttpRequest, contract: ServiceContract, form: TransitionForm | None = None) -> HttpResponse:
    can_change = request.user.has_perm("sales.change_servicecontract")
    moves = sorted(rules.CONTRACT_TRANSITIONS.get(contract.status, frozenset())) if can_change else []
    return render(
        request,
        "sales/contract_detail.html",
        {
            "contract": contract,
            "units": contract.units.all(),
            "moves": [{"value": m, "label": ContractStatus(m).label} for m in moves],
            "form": form,
            "history": history_for(contract),
        },
    )


@login_required
def contract_detail(request: HttpRequest, contract_id: int) -> HttpResponse:
    require_perm(request.user, "sales.view_servicecontract")
    return _contract_page(request, selectors.contract_get(actor=request.user, contract_id=contract_id))


@login_required
@require_POST
def contract_transition(request: HttpRequest, contract_id: int) -> HttpResponse:
    """Activate, expire or terminate (with a reason) along the contract's state machine."""
    require_perm(request.user, "sales.change_servicecontract")
    contract = selectors.contract_get(actor=request.user, contract_id=contract_id)
    form = TransitionForm(request.POST)
    if form.is_valid():
        try:
            services.contract_transition(
                actor=request.user,
                contract=contract,
                expected_version=form.cleaned_data["version"],
                target=form.cleaned_data["target"],
                reason=form.cleaned_data["reason"],
            )
        except DomainError as exc:
            apply_domain_error(form, exc, aliases={"status": "target"})
        else:
            messages.success(
                request,
                _("Contract %(number)s is now %(status)s.")
                % {"number": contract.number, "status": ContractStatus(contract.status).label},
            )
            return redirect("sales:contract_detail", contract_id=contract.pk)
    contract = selectors.contract_get(actor=request.user, contract_id=contract_id)
    return _contract_page(request, contract, form)


def _customer_units(request: HttpRequest, customer: Any) -> Any:
    if customer is None:
        return []
    return catalog_selectors.unit_list(actor=request.user, customer_id=customer.pk, status="in_use")


@login_required
def contract_create(request: HttpRequest) -> HttpResponse:
    require_perm(request.user, "sales.add_servicecontract")
    post = request.POST if request.method == "POST" else None
    customer = _customer(request, (post or request.GET).get("customer"))
    today = timezone.localdate()
    form = ContractForm(
        post,
        initial={
            "org_unit": getattr(request.user, "org_unit_id", None),
            "starts_on": today,
            "ends_on": add_months(today, 12) - dt.timedelta(days=1),
            "customer": customer.pk if customer else None,
        },
        units=account_selectors.org_unit_list(actor=request.user),
        customer_units=_customer_units(request, customer),
        customer=customer,
    )
    if post is not None and form.is_valid():
        if customer is None:
            form.add_error("customer", _("Unknown customer."))
        else:
            data = form.cleaned_data
            try:
                contract = services.contract_create(
                    actor=request.user,
                    data=services.ContractData(
                        customer_id=customer.pk,
                        org_unit_id=data["org_unit"].pk,
                        starts_on=data["starts_on"],
                        ends_on=data["ends_on"],
                        unit_ids=tuple(int(u) for u in data["units"]),
                        service_level=data["service_level"],
                        included_visits=data["included_visits"],
                        includes_parts=data["includes_parts"],
                        includes_labour=data["includes_labour"],
                        extended_warranty_months=data["extended_warranty_months"],
                        price=data["price"],
                        note=data["note"],
                    ),
                )
            except DomainError as exc:
                apply_domain_error(form, exc, aliases={"unit_ids": "units"})
            else:
                messages.success(request, _("Contract %(number)s created as a draft.") % {"number": contract.number})
                return redirect("sales:contract_detail", contract_id=contract.pk)
    return render(request, "sales/contract_form.html", {"form": form, "customer": customer})


@login_required
@require_GET
def contract_unit_options(request: HttpRequest) -> HttpResponse:
    """The chosen customer's units as checkboxes (htmx, on the contract form)."""
    require_perm(request.user, "sales.add_servicecontract")
    customer = _customer(request, request.GET.get("customer"))
    choices = unit_choices(_customer_units(request, customer))
    return render(request, "sales/_unit_options.html", {"choices": choices, "customer": customer})


# --- panels of the customer and unit pages ----------------------------------------------------


@login_required
@require_GET
def customer_sales(request: HttpRequest, customer_id: int) -> HttpResponse:
    """The orders and contracts of a customer (htmx panel on the customer's page)."""
    require_perm(request.user, "customers.view_customer")
    customer = customer_selectors.customer_get(actor=request.user, customer_id=customer_id)
    user = request.user
    orders = contracts = None
    if user.has_perm("sales.view_salesorder"):
        orders = list(selectors.order_list(actor=user, customer_id=customer.pk)[: PANEL_ROWS + 1])
    if user.has_perm("sales.view_servicecontract"):
        contracts = list(selectors.contract_list(actor=user, customer_id=customer.pk)[: PANEL_ROWS + 1])
    return render(
        request,
        "sales/_customer_sales.html",
        {
            "customer": customer,
            "orders": orders[:PANEL_ROWS] if orders is not None else None,
            "more_orders": orders is not None and len(orders) > PANEL_ROWS,
            "contracts": contracts[:PANEL_ROWS] if contracts is not None else None,
            "more_contracts": contracts is not None and len(contracts) > PANEL_ROWS,
            "can_add_order": user.has_perm("sales.add_salesorder") and not customer.merged_into_id,
            "can_add_contract": user.has_perm("sales.add_servicecontract") and not customer.merged_into_id,
        },
    )


@login_required
@require_GET
def unit_contracts(request: HttpRequest, unit_id: int) -> HttpResponse:
    """The contracts that cover a unit, and the order it was delivered for (htmx panel on the unit's page)."""
    require_perm(request.user, "catalog.view_soldunit")
    unit = catalog_selectors.unit_get(actor=request.user, unit_id=unit_id)
    contracts = None
    if request.user.has_perm("sales.view_servicecontract"):
        contracts = list(selectors.contract_list(actor=request.user, unit_id=unit.pk)[:PANEL_ROWS])
    order = None
    if request.user.has_perm("sales.view_salesorder"):
        order = selectors.order_for_unit(actor=request.user, unit_id=unit.pk)
    return render(request, "sales/_unit_contracts.html", {"unit": unit, "contracts": contracts, "order": order})
