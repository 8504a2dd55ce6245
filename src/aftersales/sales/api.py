"""API of sales: /orders (create, deliver, payment) and /contracts (create, activate, expire, terminate)."""

import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Schema
from ninja.pagination import paginate

from aftersales.core.pagination import PagePagination, Shaped
from aftersales.sales import selectors, services
from aftersales.sales.models import SalesOrder, ServiceContract
from aftersales.sales.schemas import (
    ContractIn,
    ContractOut,
    DeliverIn,
    OrderDetailOut,
    OrderIn,
    OrderOut,
    PaymentIn,
    TransitionIn,
)

router = Router(tags=["sales"])


def order_out(order: SalesOrder) -> dict[str, Any]:
    return {
        "id": order.pk,
        "number": order.number,
        "customer_id": order.customer_id,
        "customer_name": order.customer.name,
        "org_unit_id": order.org_unit_id,
        "sales_staff_id": order.sales_staff_id,
        "order_date": order.order_date,
        "payment_status": order.payment_status,
        "delivery_status": order.delivery_status,
        "total": order.total,
        "note": order.note,
        "version": order.version,
    }


def order_detail_out(order: SalesOrder) -> dict[str, Any]:
    return {
        **order_out(order),
        "lines": [
            {
                "id": line.pk,
                "product_model_id": line.product_model_id,
                "product_model_code": line.product_model.code,
                "quantity": line.quantity,
                "unit_price": line.unit_price,
                "amount": line.amount,
                "delivered": [{"unit_id": d.unit_id, "serial": d.unit.serial} for d in line.deliveries.all()],
            }
            for line in order.lines.all()
        ],
    }


class OrderFilter(Schema):
    q: str = ""
    customer_id: int | None = None
    sales_staff_id: int | None = None
    since: dt.date | None = None
    until: dt.date | None = None
    payment_status: str = ""
    delivery_status: str = ""


@router.get("/orders", response=list[OrderOut], summary="Sales orders of the caller's units")
@paginate(PagePagination)
def order_list(request: HttpRequest, filters: Query[OrderFilter]) -> Any:
    qs = selectors.order_list(
        actor=request.user,
        q=filters.q,
        customer_id=filters.customer_id,
        staff_id=filters.sales_staff_id,
        since=filters.since,
        until=filters.until,
        payment_status=filters.payment_status,
        delivery_status=filters.delivery_status,
    )
    return Shaped(qs, order_out)


@router.get("/orders/{order_id}", response=OrderDetailOut)
def order_detail(request: HttpRequest, order_id: int) -> dict[str, Any]:
    return order_detail_out(selectors.order_get(actor=request.user, order_id=order_id))


@router.post("/orders", response={201: OrderDetailOut})
def order_create(request: HttpRequest, payload: OrderIn) -> dict[str, Any]:
    order = services.order_create(
        actor=request.user,
        customer_id=payload.customer_id,
        org_unit_id=payload.org_unit_id,
        order_date=payload.order_date,
        sales_staff_id=payload.sales_staff_id,
        note=payload.note,
        lines=[services.LineData(**line.dict()) for line in payload.lines],
    )
    return order_detail(request, order.pk)


@router.post("/orders/{order_id}/deliver", response=OrderDetailOut, summary="Deliver serials: each becomes a sold unit")
def order_deliver(request: HttpRequest, order_id: int, payload: DeliverIn) -> dict[str, Any]:
    order = selectors.order_get(actor=request.user, order_id=order_id)
    services.order_deliver(
        actor=request.user,
        order=order,
        delivered_on=payload.delivered_on,
        deliveries=[services.DeliveryData(**d.dict()) for d in payload.deliveries],
    )
    return order_detail(request, order_id)


@router.post("/orders/{order_id}/payment", response=OrderOut, summary="Set the payment status")
def order_payment(request: HttpRequest, order_id: int, payload: PaymentIn) -> dict[str, Any]:
    order = selectors.order_get(actor=request.user, order_id=order_id)
    services.order_set_payment(
        actor=request.user, order=order, expected_version=payload.version, payment_status=payload.payment_status
    )
    return order_out(order)


def contract_out(contract: ServiceContract) -> dict[str, Any]:
    return {
        "id": contract.pk,
        "number": contract.number,
        "customer_id": contract.customer_id,
        "customer_name": contract.customer.name,
        "org_unit_id": contract.org_unit_id,
        "starts_on": contract.starts_on,
        "ends_on": contract.ends_on,
        "service_level": contract.service_level,
        "included_visits": contract.included_visits,
        "includes_parts": contract.includes_parts,
        "includes_labour": contract.includes_labour,
        "extended_warranty_months": contract.extended_warranty_months,
        "price": contract.price,
        "status": contract.status,
        "note": contract.note,
        "version": contract.version,
        "unit_ids": [u.pk for u in contract.units.all()],
    }


class ContractFilter(Schema):
    q: str = ""
    customer_id: int | None = None
    status: str = ""
    unit_id: int | None = None


@router.get("/contracts", response=list[ContractOut], summary="After-sales service contracts")
@paginate(PagePagination)
def contract_list(request: HttpRequest, filters: Query[ContractFilter]) -> Any:
    qs = selectors.contract_list(
        actor=request.user, q=filters.q, customer_id=filters.customer_id, status=filters.status, unit_id=filters.unit_id
    ).prefetch_related("units")
    return Shaped(qs, contract_out)


@router.get("/contracts/{contract_id}", response=ContractOut)
def contract_detail(request: HttpRequest, contract_id: int) -> dict[str, Any]:
    return contract_out(selectors.contract_get(actor=request.user, contract_id=contract_id))


@router.post("/contracts", response={201: ContractOut})
def contract_create(request: HttpRequest, payload: ContractIn) -> dict[str, Any]:
    data = services.ContractData(**{**payload.dict(), "unit_ids": tuple(payload.unit_ids)})
    contract = services.contract_create(actor=request.user, data=data)
    return contract_detail(request, contract.pk)


def _transition(request: HttpRequest, contract_id: int, payload: TransitionIn, target: str) -> dict[str, Any]:
    contract = selectors.contract_get(actor=request.user, contract_id=contract_id)
    services.contract_transition(
        actor=request.user, contract=contract, expected_version=payload.version, target=target, reason=payload.reason
    )
    return contract_out(contract)


@router.post("/contracts/{contract_id}/activate", response=ContractOut)
def contract_activate(request: HttpRequest, contract_id: int, payload: TransitionIn) -> dict[str, Any]:
    return _transition(request, contract_id, payload, "active")


@router.post("/contracts/{contract_id}/expire", response=ContractOut)
def contract_expire(request: HttpRequest, contract_id: int, payload: TransitionIn) -> dict[str, Any]:
    return _transition(request, contract_id, payload, "expired")


@router.post("/contracts/{contract_id}/terminate", response=ContractOut, summary="Terminate (a reason is required)")
def contract_terminate(request: HttpRequest, contract_id: int, payload: TransitionIn) -> dict[str, Any]:
    return _transition(request, contract_id, payload, "terminated")
