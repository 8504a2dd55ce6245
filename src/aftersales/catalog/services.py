"""Every write of the product archive and the fee schedule."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from aftersales.accounts.models import OrgUnit
from aftersales.accounts.policies import require_perm, require_unit, unit_visible
from aftersales.catalog import rules
from aftersales.catalog.models import (
    CallOutBand,
    FeeSchedule,
    LabourItem,
    ProductCategory,
    ProductLine,
    ProductModel,
    SoldUnit,
    UnitOwnership,
    UnitStatus,
    ValueAddedKind,
    ValueAddedService,
    WarrantyPolicy,
    WarrantyStart,
)
from aftersales.core.audit import audit_record, diff, snapshot
from aftersales.core.errors import Conflict, FieldError, ValidationFailed, field_error
from aftersales.core.models import AuditAction, Region
from aftersales.core.versioning import save_versioned
from aftersales.customers.models import Customer

MONEY = Decimal("0.01")


def _money(value: Decimal | None, field: str, errors: list[FieldError]) -> Decimal | None:
    if value is None:
        return None
    if value < 0:
        errors.append(FieldError(field, _("The amount cannot be negative.")))
        return None
    return value.quantize(MONEY)


# --- lines, categories, policies, models ------------------------------------------------------


def product_line_create(*, actor: Any, code: str, name: str) -> ProductLine:
    require_perm(actor, "catalog.add_productmodel")
    if not code.strip() or not name.strip():
        raise ValidationFailed(
            errors=[
                FieldError(f, _("This field is required."))
                for f, v in (("code", code), ("name", name))
                if not v.strip()
            ]
        )
    with transaction.atomic():
        try:
            line = ProductLine.objects.create(code=code.strip(), name=name.strip())
        except IntegrityError as exc:
            raise field_error("code", _("This code is already in use.")) from exc
        audit_record(
            actor=actor,
            action=AuditAction.CREATE,
            target=line,
            changes={"code": [None, line.code], "name": [None, line.name]},
        )
    return line


def product_category_create(
    *, actor: Any, code: str, name: str, parent: ProductCategory | None = None
) -> ProductCategory:
    require_perm(actor, "catalog.add_productmodel")
    if not code.strip() or not name.strip():
        raise field_error("name", _("Code and name are required."))
    with transaction.atomic():
        try:
            category = ProductCategory.objects.create(code=code.strip(), name=name.strip(), parent=parent)
        except IntegrityError as exc:
            raise field_error("code", _("This code is already in use.")) from exc
        audit_record(actor=actor, action=AuditAction.CREATE, target=category, changes={"name": [None, category.name]})
    return category


@dataclass(frozen=True)
class PolicyData:
    code: str
    name: str
    months: int
    starts_from: str = WarrantyStart.SALE
    covers_parts: bool = True
    covers_labour: bool = True
    covers_call_out: bool = True
    scope: str = ""
    is_active: bool = True


_POLICY_FIELDS = [
    "code",
    "name",
    "months",
    "starts_from",
    "covers_parts",
    "covers_labour",
    "covers_call_out",
    "scope",
    "is_active",
]


def _policy_errors(data: PolicyData) -> list[FieldError]:
    errors = []
    if not data.code.strip():
        errors.append(FieldError("code", _("This field is required.")))
    if not data.name.strip():
        errors.append(FieldError("name", _("This field is required.")))
    if not 0 <= data.months <= 240:
        errors.append(FieldError("months", _("The period must be between 0 and 240 months.")))
    if data.starts_from not in WarrantyStart.values:
        errors.append(FieldError("starts_from", _("Choose one of the allowed values.")))
    return errors


def warranty_policy_create(*, actor: Any, data: PolicyData) -> WarrantyPolicy:
    require_perm(actor, "catalog.add_warrantypolicy")
    errors = _policy_errors(data)
    if errors:
        raise ValidationFailed(errors=errors)
    policy = WarrantyPolicy(**{f: getattr(data, f) for f in _POLICY_FIELDS})
    with transaction.atomic():
        try:
            policy.save(force_insert=True)
        except IntegrityError as exc:
            raise field_error("code", _("This code is already in use.")) from exc
        audit_record(
            actor=actor, action=AuditAction.CREATE, target=policy, changes=diff({}, snapshot(policy, _POLICY_FIELDS))
        )
    return policy


def warranty_policy_update(
    *, actor: Any, policy: WarrantyPolicy, expected_version: int, data: PolicyData
) -> WarrantyPolicy:
    require_perm(actor, "catalog.change_warrantypolicy")
    errors = _policy_errors(data)
    if errors:
        raise ValidationFailed(errors=errors)
    before = snapshot(policy, _POLICY_FIELDS)
    for f in _POLICY_FIELDS:
        setattr(policy, f, getattr(data, f))
    with transaction.atomic():
        try:
            save_versioned(policy, expected_version=expected_version, fields=_POLICY_FIELDS)
        except IntegrityError as exc:
            raise field_error("code", _("This code is already in use.")) from exc
        audit_record(
            actor=actor,
            action=AuditAction.UPDATE,
            target=policy,
            changes=diff(before, snapshot(policy, _POLICY_FIELDS)),
        )
    return policy


@dataclass(frozen=True)
class ModelData:
    code: str
    name: str
    product_line_id: int
    warranty_policy_id: int
    category_id: int | None = None
    brand: str = ""
    dealer_price: Decimal | None = None
    market_price: Decimal | None = None
    needs_installation: bool = False
    is_active: bool = True


_MODEL_FIELDS = [
    "code",
    "name",
    "product_line",
    "warranty_policy",
    "category",
    "brand",
    "dealer_price",
    "market_price",
    "needs_installation",
    "is_active",
]


def _model_clean(data: ModelData) -> dict[str, Any]:
    errors: list[FieldError] = []
    if not data.code.strip():
        errors.append(FieldError("code", _("This field is required.")))
    if not data.name.strip():
        errors.append(FieldError("name", _("This field is required.")))
    if not ProductLine.objects.filter(pk=data.product_line_id).exists():
        errors.append(FieldError("product_line_id", _("Unknown product line.")))
    if not WarrantyPolicy.objects.filter(pk=data.warranty_policy_id).exists():
        errors.append(FieldError("warranty_policy_id", _("Unknown warranty policy.")))
    if data.category_id and not ProductCategory.objects.filter(pk=data.category_id).exists():
        errors.append(FieldError("category_id", _("Unknown category.")))
    dealer = _money(data.dealer_price, "dealer_price", errors)
    market = _money(data.market_price, "market_price", errors)
    if errors:
        raise ValidationFailed(errors=errors)
    return {
        "code": data.code.strip(),
        "name": data.name.strip(),
        "product_line_id": data.product_line_id,
        "warranty_policy_id": data.warranty_policy_id,
        "category_id": data.category_id,
        "brand": data.brand.strip(),
        "dealer_price": dealer,
        "market_price": market,
        "needs_installation": data.needs_installation,
        "is_active": data.is_active,
    }


def product_model_create(*, actor: Any, data: ModelData) -> ProductModel:
    require_perm(actor, "catalog.add_productmodel")
    model = ProductModel(**_model_clean(data))
    with transaction.atomic():
        try:
            model.save(force_insert=True)
        except IntegrityError as exc:
            raise field_error("code", _("This model number already exists.")) from exc
        audit_record(
            actor=actor, action=AuditAction.CREATE, target=model, changes=diff({}, snapshot(model, _MODEL_FIELDS))
        )
    return model


def product_model_update(*, actor: Any, model: ProductModel, expected_version: int, data: ModelData) -> ProductModel:
    require_perm(actor, "catalog.change_productmodel")
    values = _model_clean(data)
    before = snapshot(model, _MODEL_FIELDS)
    for key, value in values.items():
        setattr(model, key, value)
    with transaction.atomic():
        try:
            save_versioned(model, expected_version=expected_version, fields=_MODEL_FIELDS)
        except IntegrityError as exc:
            raise field_error("code", _("This model number already exists.")) from exc
        audit_record(
            actor=actor, action=AuditAction.UPDATE, target=model, changes=diff(before, snapshot(model, _MODEL_FIELDS))
        )
    return model


# --- sold units -------------------------------------------------------------------------------


@dataclass(frozen=True)
class UnitData:
    serial: str
    product_model_id: int
    org_unit_id: int
    customer_id: int | None = None
    sale_date: dt.date | None = None
    installation_date: dt.date | None = None
    invoice_no: str = ""
    voucher_no: str = ""
    extended_warranty_until: dt.date | None = None
    note: str = ""


_UNIT_FIELDS = [
    "serial",
    "product_model",
    "org_unit",
    "customer",
    "sale_date",
    "installation_date",
    "invoice_no",
    "voucher_no",
    "extended_warranty_until",
    "note",
]


def normalise_serial(serial: str) -> str:
    return "".join(serial.split()).upper()


def _unit_clean(actor: Any, data: UnitData, *, today: dt.date, exclude_id: int | None = None) -> dict[str, Any]:
    errors: list[FieldError] = []
    serial = normalise_serial(data.serial)
    if not serial:
        errors.append(FieldError("serial", _("The serial number is required.")))
    elif SoldUnit.objects.filter(serial=serial).exclude(pk=exclude_id or 0).exists():
        errors.append(FieldError("serial", _("This serial number is already registered.")))
    if not ProductModel.objects.filter(pk=data.product_model_id).exists():
        errors.append(FieldError("product_model_id", _("Unknown product model.")))
    if not OrgUnit.objects.filter(pk=data.org_unit_id).exists():
        errors.append(FieldError("org_unit_id", _("Unknown org unit.")))
    if data.customer_id is not None:
        customer = Customer.objects.filter(pk=data.customer_id, merged_into__isnull=True).only("org_unit_id").first()
        if customer is None or not unit_visible(actor, customer.org_unit_id):
            errors.append(FieldError("customer_id", _("Unknown customer.")))
    if data.sale_date and data.sale_date > today:
        errors.append(FieldError("sale_date", _("The sale date cannot be in the future.")))
    if data.installation_date and data.sale_date and data.installation_date < data.sale_date:
        errors.append(FieldError("installation_date", _("Installation cannot be before the sale.")))
    if errors:
        raise ValidationFailed(errors=errors)
    return {
        "serial": serial,
        "product_model_id": data.product_model_id,
        "org_unit_id": data.org_unit_id,
        "customer_id": data.customer_id,
        "sale_date": data.sale_date,
        "installation_date": data.installation_date,
        "invoice_no": data.invoice_no.strip(),
        "voucher_no": data.voucher_no.strip(),
        "extended_warranty_until": data.extended_warranty_until,
        "note": data.note.strip(),
    }


def unit_register(*, actor: Any, data: UnitData) -> SoldUnit:
    """Register a sold unit (from a sale, a delivery or an import) in a unit the actor may see."""
    require_perm(actor, "catalog.add_soldunit")
    require_unit(actor, data.org_unit_id)
    unit = SoldUnit(**_unit_clean(actor, data, today=timezone.localdate()))
    with transaction.atomic():
        try:
            unit.save(force_insert=True)
        except IntegrityError as exc:
            raise field_error("serial", _("This serial number is already registered.")) from exc
        if unit.customer_id:
            UnitOwnership.objects.create(
                unit=unit,
                customer_id=unit.customer_id,
                from_date=unit.sale_date or timezone.localdate(),
                reason=_("Purchase"),
            )
        audit_record(
            actor=actor, action=AuditAction.CREATE, target=unit, changes=diff({}, snapshot(unit, _UNIT_FIELDS))
        )
    return unit


def unit_update(*, actor: Any, unit: SoldUnit, expected_version: int, data: UnitData) -> SoldUnit:
    """Correct a unit's data. The owner changes only through `unit_transfer`, which keeps the history."""
    require_perm(actor, "catalog.change_soldunit")
    require_unit(actor, unit.org_unit_id)
    require_unit(actor, data.org_unit_id)
    if data.customer_id != unit.customer_id:
        raise field_error("customer_id", _("Change the owner with a transfer, so that the history is kept."))
    values = _unit_clean(actor, data, today=timezone.localdate(), exclude_id=unit.pk)
    fields = [f for f in _UNIT_FIELDS if f != "customer"]
    before = snapshot(unit, fields)
    for key, value in values.items():
        setattr(unit, key, value)
    with transaction.atomic():
        save_versioned(unit, expected_version=expected_version, fields=fields)
        audit_record(actor=actor, action=AuditAction.UPDATE, target=unit, changes=diff(before, snapshot(unit, fields)))
    return unit


def unit_transfer(*, actor: Any, unit: SoldUnit, customer: Customer, on: dt.date, reason: str) -> SoldUnit:
    """Hand a unit to a new owner: the current ownership ends the day before `on`, a new one starts."""
    require_perm(actor, "catalog.change_soldunit")
    require_unit(actor, unit.org_unit_id)
    if customer.merged_into_id or not customer.is_active or not unit_visible(actor, customer.org_unit_id):
        raise field_error("customer_id", _("Unknown customer."))
    if unit.customer_id == customer.pk:
        raise field_error("customer_id", _("This customer already owns the unit."))
    if unit.status != UnitStatus.IN_USE:
        raise Conflict(message=_("Only a unit in use can change owner."))
    if not reason.strip():
        raise field_error("reason", _("Give a reason for the transfer."))
    current = unit.ownerships.filter(to_date__isnull=True).order_by("-from_date").first()
    if current is not None and on <= current.from_date:
        raise field_error("on", _("The transfer date must be after the current ownership started."))
    previous = unit.customer_id
    with transaction.atomic():
        if current is not None:
            current.to_date = on - dt.timedelta(days=1)
            current.save(update_fields=["to_date"])
        UnitOwnership.objects.create(unit=unit, customer=customer, from_date=on, reason=reason.strip())
        SoldUnit.objects.filter(pk=unit.pk).update(customer=customer, updated_at=timezone.now())
        unit.customer = customer
        audit_record(
            actor=actor,
            action=AuditAction.UPDATE,
            target=unit,
            changes={"customer": [previous, customer.pk]},
            note=reason,
        )
    return unit


def units_merge_customer(source: Customer, target: Customer) -> dict[str, int]:
    """Merge handler (customers.hooks): repoint units and ownership periods to the surviving customer."""
    return {
        "units": SoldUnit.objects.filter(customer=source).update(customer=target),
        "ownerships": UnitOwnership.objects.filter(customer=source).update(customer=target),
    }


# --- fee schedule -----------------------------------------------------------------------------


@dataclass(frozen=True)
class LabourItemData:
    code: str
    name: str
    standard_minutes: int
    price: Decimal
    product_line_id: int | None = None


@dataclass(frozen=True)
class BandData:
    from_km: Decimal
    to_km: Decimal | None
    fee: Decimal


def fee_schedule_create(
    *,
    actor: Any,
    name: str,
    effective_from: dt.date,
    region_code: str | None = None,
    labour_items: list[LabourItemData],
    bands: list[BandData],
    note: str = "",
) -> FeeSchedule:
    """A new version of the fee schedule, national or for a region, valid from a date."""
    require_perm(actor, "catalog.add_feeschedule")
    errors: list[FieldError] = []
    if not name.strip():
        errors.append(FieldError("name", _("This field is required.")))
    if region_code and not Region.objects.filter(code=region_code).exists():
        errors.append(FieldError("region_code", _("Unknown administrative region.")))
    if FeeSchedule.objects.filter(region_id=region_code or None, effective_from=effective_from).exists():
        errors.append(FieldError("effective_from", _("A schedule for this region already starts on this date.")))
    codes: set[str] = set()
    for i, item in enumerate(labour_items):
        if not item.code.strip() or not item.name.strip():
            errors.append(FieldError(f"labour_items.{i}.code", _("Code and name are required.")))
        if item.code.strip() in codes:
            errors.append(FieldError(f"labour_items.{i}.code", _("Duplicate code %(code)s.") % {"code": item.code}))
        codes.add(item.code.strip())
        if item.price < 0:
            errors.append(FieldError(f"labour_items.{i}.price", _("The amount cannot be negative.")))
        if item.standard_minutes <= 0:
            errors.append(FieldError(f"labour_items.{i}.standard_minutes", _("The standard time must be positive.")))
    rule_bands = [rules.Band(b.from_km, b.to_km, b.fee) for b in bands]
    for i, band in enumerate(bands):
        if band.fee < 0 or band.from_km < 0 or (band.to_km is not None and band.to_km <= band.from_km):
            errors.append(FieldError(f"bands.{i}", _("A band needs 0 ≤ from < to and a fee of 0 or more.")))
    if rules.bands_overlap(rule_bands):
        errors.append(FieldError("bands", _("The distance bands overlap.")))
    if errors:
        raise ValidationFailed(errors=errors)
    with transaction.atomic():
        schedule = FeeSchedule.objects.create(
            name=name.strip(), region_id=region_code or None, effective_from=effective_from, note=note.strip()
        )
        LabourItem.objects.bulk_create(
            [
                LabourItem(
                    schedule=schedule,
                    code=i.code.strip(),
                    name=i.name.strip(),
                    standard_minutes=i.standard_minutes,
                    price=i.price.quantize(MONEY),
                    product_line_id=i.product_line_id,
                )
                for i in labour_items
            ]
        )
        CallOutBand.objects.bulk_create(
            [CallOutBand(schedule=schedule, from_km=b.from_km, to_km=b.to_km, fee=b.fee.quantize(MONEY)) for b in bands]
        )
        audit_record(
            actor=actor,
            action=AuditAction.CREATE,
            target=schedule,
            changes={
                "name": [None, schedule.name],
                "region": [None, region_code],
                "effective_from": [None, effective_from.isoformat()],
                "labour_items": [None, len(labour_items)],
                "bands": [None, len(bands)],
            },
        )
    return schedule


def value_added_service_create(
    *, actor: Any, product_model: ProductModel, kind: str, name: str, months: int, visits: int, price: Decimal
) -> ValueAddedService:
    """A paid service sold with a model (extended warranty, periodic maintenance …)."""
    require_perm(actor, "catalog.change_productmodel")
    errors: list[FieldError] = []
    if kind not in ValueAddedKind.values:
        errors.append(FieldError("kind", _("Choose one of the allowed values.")))
    if not name.strip():
        errors.append(FieldError("name", _("This field is required.")))
    if price < 0:
        errors.append(FieldError("price", _("The amount cannot be negative.")))
    if errors:
        raise ValidationFailed(errors=errors)
    with transaction.atomic():
        service = ValueAddedService.objects.create(
            product_model=product_model,
            kind=kind,
            name=name.strip(),
            months=months,
            visits=visits,
            price=price.quantize(MONEY),
        )
        audit_record(
            actor=actor,
            action=AuditAction.CREATE,
            target=service,
            changes={"name": [None, service.name], "price": [None, str(service.price)]},
        )
    return service
