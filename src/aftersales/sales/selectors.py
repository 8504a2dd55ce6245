"""Reads of sales orders and service contracts, scoped to the actor's units."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Q, QuerySet

from aftersales.core.errors import NotFound
from aftersales.core.scoping import scope_by_unit
from aftersales.sales.models import SalesOrder, ServiceContract


def order_list(
    *,
    actor: Any,
    q: str = "",
    customer_id: int | None = None,
    staff_id: int | None = None,
    since: dt.date | None = None,
    until: dt.date | None = None,
    payment_status: str = "",
    delivery_status: str = "",
) -> QuerySet[SalesOrder]:
    qs = scope_by_unit(SalesOrder.objects.all(), actor, field="org_unit")
    if q:
        qs = qs.filter(Q(number__icontains=q) | Q(customer__name__icontains=q))
    if customer_id:
        qs = qs.filter(customer_id=customer_id)
    if staff_id:
        qs = qs.filter(sales_staff_id=staff_id)
    if since:
        qs = qs.filter(order_date__gte=since)
    if until:
        qs = qs.filter(order_date__lte=until)
    if payment_status:
        qs = qs.filter(payment_status=payment_status)
    if delivery_status:
        qs = qs.filter(delivery_status=delivery_status)
    return qs.select_related("customer", "org_unit", "sales_staff").order_by("-order_date", "-id")


def order_get(*, actor: Any, order_id: int) -> SalesOrder:
    order = (
        order_list(actor=actor)
        .prefetch_related("lines__product_model", "lines__deliveries__unit")
        .filter(pk=order_id)
        .first()
    )
    if order is None:
        raise NotFound()
    return order


def contract_list(
    *, actor: Any, q: str = "", customer_id: int | None = None, status: str = "", unit_id: int | None = None
) -> QuerySet[ServiceContract]:
    qs = scope_by_unit(ServiceContract.objects.all(), actor, field="org_unit")
    if q:
        qs = qs.filter(Q(number__icontains=q) | Q(customer__name__icontains=q))
    if customer_id:
        qs = qs.filter(customer_id=customer_id)
    if status:
        qs = qs.filter(status=status)
    if unit_id:
        qs = qs.filter(units__id=unit_id)
    return qs.select_related("customer", "org_unit").order_by("-starts_on", "-id")


def contract_get(*, actor: Any, contract_id: int) -> ServiceContract:
    contract = contract_list(actor=actor).prefetch_related("units__product_model").filter(pk=contract_id).first()
    if contract is None:
        raise NotFound()
    return contract


def order_for_unit(*, actor: Any, unit_id: int) -> SalesOrder | None:
    """The order a unit was delivered for, if the actor may see it."""
    return order_list(actor=actor).filter(lines__deliveries__unit_id=unit_id).first()
