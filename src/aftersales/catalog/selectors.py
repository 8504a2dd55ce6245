"""Reads of the product archive: scoped units with their warranty answer, models, fee schedules, quotes."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from aftersales.catalog import rules
from aftersales.catalog.hooks import extension_providers
from aftersales.catalog.models import (
    FeeSchedule,
    LabourItem,
    ProductCategory,
    ProductLine,
    ProductModel,
    SoldUnit,
    UnitOwnership,
    WarrantyPolicy,
)
from aftersales.catalog.services import normalise_serial
from aftersales.core.errors import NotFound, field_error
from aftersales.core.scoping import scope_by_any_unit


def unit_list(
    *, actor: Any, q: str = "", customer_id: int | None = None, model_id: int | None = None, status: str = ""
) -> QuerySet[SoldUnit]:
    """Units sold by a visible store or owned by a customer of a visible unit."""
    qs = scope_by_any_unit(SoldUnit.objects.all(), actor, fields=("org_unit_id", "customer__org_unit_id"))
    if q:
        serial = normalise_serial(q)
        qs = qs.filter(Q(serial__startswith=serial) | Q(invoice_no=q.strip()) | Q(voucher_no=q.strip()))
    if customer_id:
        qs = qs.filter(customer_id=customer_id)
    if model_id:
        qs = qs.filter(product_model_id=model_id)
    if status:
        qs = qs.filter(status=status)
    return qs.select_related(
        "product_model", "product_model__warranty_policy", "product_model__product_line", "customer", "org_unit"
    ).order_by("-id")


def unit_get(*, actor: Any, unit_id: int) -> SoldUnit:
    unit = unit_list(actor=actor).filter(pk=unit_id).first()
    if unit is None:
        raise NotFound()
    return unit


def unit_get_by_serial(*, actor: Any, serial: str) -> SoldUnit:
    unit = unit_list(actor=actor).filter(serial=normalise_serial(serial)).first()
    if unit is None:
        raise NotFound()
    return unit


def warranty_terms(unit: SoldUnit) -> rules.WarrantyTerms:
    policy = unit.product_model.warranty_policy
    base = rules.WarrantyTerms(
        months=policy.months,
        starts_from=policy.starts_from,
        sale_date=unit.sale_date,
        installation_date=unit.installation_date,
    )
    standard_end = rules.warranty_period(base).ends_on
    extensions = [unit.extended_warranty_until, *(p(unit, standard_end) for p in extension_providers())]
    longest = max((d for d in extensions if d is not None), default=None)
    return rules.WarrantyTerms(
        months=base.months,
        starts_from=base.starts_from,
        sale_date=base.sale_date,
        installation_date=base.installation_date,
        extended_until=longest,
    )


def unit_warranty(*, unit: SoldUnit, on: dt.date, facts: rules.CaseFacts | None = None) -> rules.WarrantyAnswer:
    """The warranty answer for a unit on a date (the unit must come from a scoped selector)."""
    return rules.warranty_check(warranty_terms(unit), on, facts)


def product_model_list(
    *, q: str = "", line_id: int | None = None, active: bool | None = None
) -> QuerySet[ProductModel]:
    """Product models are company-wide master data: every staff member may read them."""
    qs = ProductModel.objects.select_related("product_line", "category", "warranty_policy")
    if q:
        qs = qs.filter(Q(code__icontains=q) | Q(name__icontains=q) | Q(brand__icontains=q))
    if line_id:
        qs = qs.filter(product_line_id=line_id)
    if active is not None:
        qs = qs.filter(is_active=active)
    return qs.order_by("code")


def product_model_get(*, model_id: int) -> ProductModel:
    model = product_model_list().filter(pk=model_id).first()
    if model is None:
        raise NotFound()
    return model


def product_line_list() -> QuerySet[ProductLine]:
    return ProductLine.objects.order_by("code")


def product_category_list() -> QuerySet[ProductCategory]:
    return ProductCategory.objects.select_related("parent").order_by("code")


def warranty_policy_list() -> QuerySet[WarrantyPolicy]:
    return WarrantyPolicy.objects.order_by("code")


def fee_schedule_list(*, region_code: str = "") -> QuerySet[FeeSchedule]:
    qs = FeeSchedule.objects.select_related("region")
    if region_code:
        qs = qs.filter(region_id=region_code)
    return qs.order_by("-effective_from", "id")


def fee_schedule_get(*, schedule_id: int) -> FeeSchedule:
    schedule = (
        FeeSchedule.objects.select_related("region")
        .prefetch_related("labour_items", "call_out_bands")
        .filter(pk=schedule_id)
        .first()
    )
    if schedule is None:
        raise NotFound()
    return schedule


def fee_schedule_for(*, region_code: str | None, on: dt.date) -> FeeSchedule | None:
    """The schedule a charge on `on` in `region_code` uses (most specific region, latest in force)."""
    codes = [c for c in rules.region_chain(region_code) if c]
    candidates = FeeSchedule.objects.filter(effective_from__lte=on).filter(
        Q(region_id__in=codes) | Q(region__isnull=True)
    )
    return rules.fee_schedule_pick(list(candidates), region_code=region_code, on=on)


@dataclass(frozen=True)
class QuoteLine:
    code: str
    name: str
    amount: Decimal


@dataclass(frozen=True)
class Quote:
    schedule: FeeSchedule
    lines: list[QuoteLine]
    call_out_fee: Decimal
    total: Decimal


def fee_quote(*, region_code: str | None, on: dt.date, labour_codes: list[str], distance_km: Decimal) -> Quote:
    """A charge outside warranty: the labour items plus the call-out fee, from the schedule valid on `on`."""
    schedule = fee_schedule_for(region_code=region_code, on=on)
    if schedule is None:
        raise field_error("on", _("No fee schedule is in force on this date for this region."))
    items = {i.code: i for i in LabourItem.objects.filter(schedule=schedule, code__in=labour_codes)}
    missing = [c for c in labour_codes if c not in items]
    if missing:
        raise field_error(
            "labour_codes", _("Unknown labour items in this schedule: %(codes)s") % {"codes": ", ".join(missing)}
        )
    lines = [QuoteLine(code=c, name=items[c].name, amount=items[c].price) for c in labour_codes]
    fee = rules.call_out_fee(
        [rules.Band(b.from_km, b.to_km, b.fee) for b in schedule.call_out_bands.all()], distance_km
    )
    if fee is None:
        raise field_error("distance_km", _("No call-out band covers this distance."))
    return Quote(schedule=schedule, lines=lines, call_out_fee=fee, total=sum((line.amount for line in lines), fee))


# --- reads for the UI pages -------------------------------------------------------------------


def warranty_policy_get(*, policy_id: int) -> WarrantyPolicy:
    policy = warranty_policy_list().filter(pk=policy_id).first()
    if policy is None:
        raise NotFound()
    return policy


def unit_ownership_list(*, unit: SoldUnit) -> QuerySet[UnitOwnership]:
    """The ownership periods of a unit (the unit must come from a scoped selector), oldest first."""
    return UnitOwnership.objects.filter(unit=unit).select_related("customer").order_by("from_date", "id")


def labour_item_choices() -> list[tuple[str, str]]:
    """Every labour code of any schedule with a name (the latest schedule's), for pickers."""
    names: dict[str, str] = {}
    rows = LabourItem.objects.order_by("code", "-schedule__effective_from").values_list("code", "name")
    for code, name in rows:
        names.setdefault(code, name)
    return sorted(names.items())


def fee_schedule_in_force_ids(*, on: dt.date) -> set[int]:
    """The schedules in force on `on`: per region (and nationally) the latest that has started."""
    latest: dict[str | None, tuple[dt.date, int]] = {}
    for pk, region_id, start in FeeSchedule.objects.filter(effective_from__lte=on).values_list(
        "pk", "region_id", "effective_from"
    ):
        if region_id not in latest or latest[region_id][0] < start:
            latest[region_id] = (start, pk)
    return {pk for _start, pk in latest.values()}


def labour_item_list(*, schedule: FeeSchedule) -> QuerySet[LabourItem]:
    return LabourItem.objects.filter(schedule=schedule).select_related("product_line").order_by("code")
