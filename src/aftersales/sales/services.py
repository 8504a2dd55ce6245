"""Every write of sales orders and service contracts."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _

from aftersales.accounts.models import User
from aftersales.accounts.policies import require_perm, require_unit
from aftersales.catalog.models import ProductModel, SoldUnit
from aftersales.catalog.services import UnitData, normalise_serial, unit_register
from aftersales.core.audit import audit_record
from aftersales.core.errors import Conflict, FieldError, ValidationFailed, field_error
from aftersales.core.models import AuditAction
from aftersales.core.prepared import Prepared
from aftersales.core.sequences import next_value
from aftersales.core.versioning import save_versioned
from aftersales.customers.models import Customer
from aftersales.sales import rules
from aftersales.sales.models import (
    ContractStatus,
    DeliveredUnit,
    PaymentStatus,
    SalesOrder,
    SalesOrderLine,
    ServiceContract,
    ServiceLevel,
)


@dataclass(frozen=True)
class LineData:
    product_model_id: int
    quantity: int
    unit_price: Decimal


def _customer_for(actor: Any, customer_id: int) -> Customer:
    customer = Customer.objects.filter(pk=customer_id, merged_into__isnull=True).first()
    if customer is None:
        raise field_error("customer_id", _("Unknown customer."))
    require_unit(actor, customer.org_unit_id)
    return customer


def order_create(
    *,
    actor: Any,
    customer_id: int,
    org_unit_id: int,
    order_date: dt.date,
    lines: list[LineData],
    sales_staff_id: int | None = None,
    note: str = "",
) -> SalesOrder:
    """Record a sale: who bought what, where, from whom. Units are registered when serials are delivered."""
    require_perm(actor, "sales.add_salesorder")
    require_unit(actor, org_unit_id)
    customer = _customer_for(actor, customer_id)
    errors: list[FieldError] = []
    if not lines:
        errors.append(FieldError("lines", _("An order needs at least one line.")))
    models = set(
        ProductModel.objects.filter(pk__in=[line.product_model_id for line in lines]).values_list("pk", flat=True)
    )
    for i, line in enumerate(lines):
        if line.product_model_id not in models:
            errors.append(FieldError(f"lines.{i}.product_model_id", _("Unknown product model.")))
        if line.quantity < 1:
            errors.append(FieldError(f"lines.{i}.quantity", _("The quantity must be at least 1.")))
        if line.unit_price < 0:
            errors.append(FieldError(f"lines.{i}.unit_price", _("The amount cannot be negative.")))
    if order_date > timezone.localdate():
        errors.append(FieldError("order_date", _("The order date cannot be in the future.")))
    if sales_staff_id is not None and not User.objects.filter(pk=sales_staff_id, kind="staff").exists():
        errors.append(FieldError("sales_staff_id", _("Unknown staff member.")))
    if errors:
        raise ValidationFailed(errors=errors)
    total = rules.order_total((line.quantity, line.unit_price) for line in lines)
    with transaction.atomic():
        number = f"SO{order_date:%Y%m%d}-{next_value('order-' + order_date.isoformat()):05d}"
        order = SalesOrder.objects.create(
            number=number,
            customer=customer,
            org_unit_id=org_unit_id,
            sales_staff_id=sales_staff_id,
            order_date=order_date,
            total=total,
            note=note.strip(),
        )
        SalesOrderLine.objects.bulk_create(
            [
                SalesOrderLine(
                    order=order,
                    product_model_id=line.product_model_id,
                    quantity=line.quantity,
                    unit_price=line.unit_price.quantize(rules.MONEY),
                    amount=rules.line_amount(line.quantity, line.unit_price),
                )
                for line in lines
            ]
        )
        audit_record(
            actor=actor,
            action=AuditAction.CREATE,
            target=order,
            changes={"number": [None, number], "customer": [None, customer.pk], "total": [None, str(total)]},
        )
    return order


@dataclass(frozen=True)
class DeliveryData:
    line_id: int
    serial: str
    installation_date: dt.date | None = None


def order_deliver(
    *, actor: Any, order: SalesOrder, deliveries: list[DeliveryData], delivered_on: dt.date
) -> SalesOrder:
    """Deliver serials against order lines: each becomes a sold unit owned by the order's customer."""
    require_perm(actor, "sales.change_salesorder")
    require_unit(actor, order.org_unit_id)
    lines = {line.pk: line for line in order.lines.all()}
    delivered = dict(DeliveredUnit.objects.filter(line__order=order).values_list("line_id").annotate(n=Count("id")))
    errors: list[FieldError] = []
    counts: dict[int, int] = {}
    serials: set[str] = set()
    for i, d in enumerate(deliveries):
        line = lines.get(d.line_id)
        serial = normalise_serial(d.serial)
        if line is None:
            errors.append(FieldError(f"deliveries.{i}.line_id", _("This line is not part of the order.")))
            continue
        counts[line.pk] = counts.get(line.pk, 0) + 1
        if delivered.get(line.pk, 0) + counts[line.pk] > line.quantity:
            errors.append(FieldError(f"deliveries.{i}.line_id", _("More serials than the line's quantity.")))
        if serial in serials:
            errors.append(FieldError(f"deliveries.{i}.serial", _("The same serial appears twice.")))
        serials.add(serial)
    if SoldUnit.objects.filter(serial__in=serials).exists():
        taken = sorted(SoldUnit.objects.filter(serial__in=serials).values_list("serial", flat=True))
        errors.append(FieldError("serial", _("Already registered: %(serials)s") % {"serials": ", ".join(taken)}))
    if not deliveries:
        errors.append(FieldError("deliveries", _("Deliver at least one serial.")))
    if errors:
        raise ValidationFailed(errors=errors)
    with transaction.atomic():
        for d in deliveries:
            line = lines[d.line_id]
            unit = unit_register(
                actor=actor,
                data=UnitData(
                    serial=d.serial,
                    product_model_id=line.product_model_id,
                    org_unit_id=order.org_unit_id,
                    customer_id=order.customer_id,
                    sale_date=order.order_date,
                    installation_date=d.installation_date,
                    invoice_no="",
                    note=_("Delivered on %(date)s for order %(number)s")
                    % {"date": delivered_on, "number": order.number},
                ),
            )
            DeliveredUnit.objects.create(line=line, unit=unit)
        totals = dict(DeliveredUnit.objects.filter(line__order=order).values_list("line_id").annotate(n=Count("id")))
        status = rules.delivery_status((line.quantity, totals.get(pk, 0)) for pk, line in lines.items())
        before = order.delivery_status
        order.delivery_status = status
        SalesOrder.objects.filter(pk=order.pk).update(delivery_status=status, updated_at=timezone.now())
        audit_record(
            actor=actor,
            action=AuditAction.TRANSITION,
            target=order,
            changes={"delivery_status": [before, status], "serials": [None, sorted(serials)]},
        )
    return order


def order_set_payment(*, actor: Any, order: SalesOrder, expected_version: int, payment_status: str) -> SalesOrder:
    require_perm(actor, "sales.change_salesorder")
    require_unit(actor, order.org_unit_id)
    if payment_status not in PaymentStatus.values:
        raise field_error("payment_status", _("Choose one of the allowed values."))
    before = order.payment_status
    order.payment_status = payment_status
    with transaction.atomic():
        save_versioned(order, expected_version=expected_version, fields=["payment_status"])
        audit_record(
            actor=actor,
            action=AuditAction.TRANSITION,
            target=order,
            changes={"payment_status": [before, payment_status]},
        )
    return order


def orders_merge_customer(source: Customer, target: Customer) -> dict[str, int]:
    return {
        "orders": SalesOrder.objects.filter(customer=source).update(customer=target),
        "contracts": ServiceContract.objects.filter(customer=source).update(customer=target),
    }


# --- service contracts ------------------------------------------------------------------------


@dataclass(frozen=True)
class ContractData:
    customer_id: int
    org_unit_id: int
    starts_on: dt.date
    ends_on: dt.date
    unit_ids: tuple[int, ...] = ()
    service_level: str = ServiceLevel.STANDARD
    included_visits: int = 0
    includes_parts: bool = False
    includes_labour: bool = True
    extended_warranty_months: int = 0
    price: Decimal = Decimal("0.00")
    note: str = ""


def contract_create(*, actor: Any, data: ContractData) -> ServiceContract:
    """A draft contract; it covers the listed units, which must belong to the customer."""
    require_perm(actor, "sales.add_servicecontract")
    require_unit(actor, data.org_unit_id)
    customer = _customer_for(actor, data.customer_id)
    errors: list[FieldError] = []
    if data.ends_on < data.starts_on:
        errors.append(FieldError("ends_on", _("The end date must not be before the start date.")))
    if data.service_level not in ServiceLevel.values:
        errors.append(FieldError("service_level", _("Choose one of the allowed values.")))
    if data.price < 0:
        errors.append(FieldError("price", _("The amount cannot be negative.")))
    if not 0 <= data.extended_warranty_months <= 120:
        errors.append(FieldError("extended_warranty_months", _("Between 0 and 120 months.")))
    units = list(SoldUnit.objects.filter(pk__in=data.unit_ids))
    if len(units) != len(set(data.unit_ids)) or any(u.customer_id != customer.pk for u in units):
        errors.append(FieldError("unit_ids", _("Every covered unit must exist and belong to the customer.")))
    if errors:
        raise ValidationFailed(errors=errors)
    with transaction.atomic():
        number = f"SC{data.starts_on:%Y}-{next_value('contract-' + str(data.starts_on.year)):05d}"
        contract = ServiceContract.objects.create(
            number=number,
            customer=customer,
            org_unit_id=data.org_unit_id,
            starts_on=data.starts_on,
            ends_on=data.ends_on,
            service_level=data.service_level,
            included_visits=data.included_visits,
            includes_parts=data.includes_parts,
            includes_labour=data.includes_labour,
            extended_warranty_months=data.extended_warranty_months,
            price=data.price.quantize(rules.MONEY),
            note=data.note.strip(),
        )
        contract.units.set(units)
        audit_record(
            actor=actor,
            action=AuditAction.CREATE,
            target=contract,
            changes={"number": [None, number], "units": [None, sorted(u.serial for u in units)]},
        )
    return contract


def contract_transition(
    *, actor: Any, contract: ServiceContract, expected_version: int, target: str, reason: str = ""
) -> ServiceContract:
    """Activate, expire or terminate a contract along its state machine; illegal moves answer 409."""
    require_perm(actor, "sales.change_servicecontract")
    require_unit(actor, contract.org_unit_id)
    if target not in ContractStatus.values:
        raise field_error("status", _("Choose one of the allowed values."))
    if not rules.contract_can_move(contract.status, target):
        raise Conflict(
            code="illegal_transition",
            message=_("A contract in state %(state)s cannot become %(target)s.")
            % {"state": ContractStatus(contract.status).label, "target": ContractStatus(target).label},
        )
    if target == ContractStatus.TERMINATED and not reason.strip():
        raise field_error("reason", _("Give a reason for terminating the contract."))
    before = contract.status
    contract.status = target
    with transaction.atomic():
        save_versioned(contract, expected_version=expected_version, fields=["status"])
        audit_record(
            actor=actor,
            action=AuditAction.TRANSITION,
            target=contract,
            changes={"status": [before, target]},
            note=reason,
        )
    return contract


# Every warranty answer of one unit asks this (the request page, a create for a unit): compiled once.
_extending_contracts_of: Prepared[ServiceContract] = Prepared(
    lambda unit_id: ServiceContract.objects.filter(
        units=unit_id, status=ContractStatus.ACTIVE, extended_warranty_months__gt=0
    ).order_by("pk")
)


def _active_extending_contracts(unit: SoldUnit) -> list[ServiceContract]:
    # A list of units (e.g. a customer's panel) prefetches `contracts` once instead of a query per unit.
    if "contracts" in getattr(unit, "_prefetched_objects_cache", {}):
        return [c for c in unit.contracts.all() if c.status == ContractStatus.ACTIVE and c.extended_warranty_months > 0]
    return _extending_contracts_of.all(unit_id=unit.pk)


def contract_extension_for_unit(unit: SoldUnit, standard_end: dt.date | None) -> dt.date | None:
    """Extension provider (catalog.hooks): the furthest extended warranty of the unit's active contracts."""
    reaches = [
        rules.contract_extension_until(
            status=c.status,
            starts_on=c.starts_on,
            ends_on=c.ends_on,
            extended_months=c.extended_warranty_months,
            standard_end=standard_end,
        )
        for c in _active_extending_contracts(unit)
    ]
    return max((r for r in reaches if r is not None), default=None)
