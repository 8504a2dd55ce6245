"""Validation of many records at once, with one query per lookup per batch instead of several per record.

These are the rules of `customers.services.customer_create`, `catalog.services.unit_register`,
`product_model_create` and `fee_schedule_create`, restated for batches: the importer calls them to
build the row report, and the bulk writers of `exchange.services` call them again before writing.
Keys of the returned dicts are positions in the batch; fields are named as in the services'
dataclasses (`phones.0.number`, `addresses.0.region_code`, `serial` …).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.utils.translation import pgettext

from aftersales.accounts.selectors import org_unit_list, user_list
from aftersales.catalog.models import FeeSchedule, SoldUnit
from aftersales.catalog.selectors import (
    product_category_list,
    product_line_list,
    product_model_list,
    warranty_policy_list,
)
from aftersales.catalog.services import LabourItemData, ModelData, UnitData, normalise_serial
from aftersales.core.errors import FieldError
from aftersales.core.models import Region
from aftersales.core.scoping import visible_unit_ids
from aftersales.customers import rules as customer_rules
from aftersales.customers.models import (
    Customer,
    CustomerAddress,
    CustomerKind,
    CustomerPhone,
    Gender,
    SourceChannel,
    Tier,
)
from aftersales.customers.selectors import customer_list
from aftersales.customers.services import CustomerData

Errors = dict[int, list[FieldError]]

# Column lengths of the tables written (PostgreSQL refuses longer text; SQLite would store it).
CUSTOMER_LIMITS = {"name": 100, "hobbies": 200, "company_credit_code": 18, "note": 10_000, "preferences": 10_000}
UNIT_LIMITS = {"serial": 50, "invoice_no": 40, "voucher_no": 40, "note": 10_000}
MODEL_LIMITS = {"code": 40, "name": 100, "brand": 50}
LABOUR_LIMITS = {"code": 20, "name": 100}


def too_long(limit: int) -> str:
    return pgettext("import report", "Too long: at most %(max)s characters.") % {"max": limit}


def required() -> str:
    return pgettext("import report", "This value is required.")


def _lengths(errors: list[FieldError], data: Any, limits: dict[str, int], prefix: str = "") -> None:
    for name, limit in limits.items():
        if len(str(getattr(data, name) or "").strip()) > limit:
            errors.append(FieldError(f"{prefix}{name}", too_long(limit)))


# --- customers --------------------------------------------------------------------------------

# `TextChoices.values` builds a new list on every access: once per module, not per row.
_CUSTOMER_CHOICES = (
    ("kind", frozenset(CustomerKind.values)),
    ("gender", frozenset(Gender.values)),
    ("tier", frozenset(Tier.values)),
    ("source_channel", frozenset(SourceChannel.values)),
)


def customer_errors(batch: Sequence[CustomerData], *, actor: Any, today: dt.date, within_batch: bool = True) -> Errors:
    """What `customer_create` would refuse, plus likely duplicates (same phone, or same name at the
    same address) already in the archive — an import never creates a duplicate silently."""
    result: Errors = defaultdict(list)
    normalised = [[customer_rules.normalise_phone(p.number) for p in d.phones] for d in batch]
    numbers = {n for row in normalised for n in row}
    region_codes = {a.region_code for d in batch for a in d.addresses}
    regions = dict(Region.objects.filter(code__in=region_codes).values_list("code", "level"))
    owner_ids = {d.owner_id for d in batch if d.owner_id}
    owners = (
        set(
            user_list(actor=actor, active=True)
            .prefetch_related(None)
            .filter(pk__in=owner_ids)
            .values_list("pk", flat=True)
        )
        if owner_ids
        else set()
    )
    unit_ids = {d.org_unit_id for d in batch}
    units = set(org_unit_list(actor=actor).filter(pk__in=unit_ids).values_list("pk", flat=True))
    visible = visible_unit_ids(actor)
    # Each lookup starts from its own index (phone number, customer name): joined in one query,
    # SQLite started from the region and read every address of it, for every batch.
    phone_rows = list(CustomerPhone.objects.filter(number__in=numbers).values_list("number", "customer_id"))
    names = {d.name.strip() for d in batch}
    named = list(Customer.objects.filter(name__in=names, is_active=True).values_list("pk", "name"))
    owners_of = {
        pk: (code, unit_id)
        for pk, code, unit_id in Customer.objects.filter(
            pk__in={pk for _n, pk in phone_rows} | {pk for pk, _n in named}, is_active=True
        ).values_list("pk", "code", "org_unit_id")
    }
    phone_owner: dict[str, tuple[str, int]] = {}
    for number, pk in phone_rows:
        if pk in owners_of:
            phone_owner.setdefault(number, owners_of[pk])
    same_address: dict[str, tuple[str, int]] = {}
    if region_codes and named:
        name_of = dict(named)
        for pk, region_id, detail in CustomerAddress.objects.filter(customer_id__in=list(name_of)).values_list(
            "customer_id", "region_id", "detail"
        ):
            if region_id not in region_codes:
                continue
            key = customer_rules.name_address_key(name_of[pk], region_id, detail)
            same_address.setdefault(key, owners_of[pk])

    def shown(unit_id: int) -> bool:
        return visible is None or unit_id in visible

    seen_numbers: dict[str, int] = {}
    for index, data in enumerate(batch):
        errors = result[index]
        if not data.name.strip():
            errors.append(FieldError("name", required()))
        _lengths(errors, data, CUSTOMER_LIMITS)
        for name, choices in _CUSTOMER_CHOICES:
            if getattr(data, name) not in choices:
                errors.append(FieldError(name, pgettext("import report", "Not one of the allowed values.")))
        for name in ("birthday", "wedding_anniversary"):
            day = getattr(data, name)
            if day and day > today:
                errors.append(FieldError(name, pgettext("import report", "The date cannot be in the future.")))
        if data.company_credit_code and len(data.company_credit_code.strip()) != 18:
            errors.append(
                FieldError(
                    "company_credit_code", pgettext("import report", "A unified social credit code has 18 characters.")
                )
            )
        if data.org_unit_id not in units:
            errors.append(FieldError("org_unit_id", pgettext("import report", "Unknown org unit.")))
        if data.owner_id is not None and data.owner_id not in owners:
            errors.append(
                FieldError(
                    "owner_id", pgettext("import report", "The responsible staff member does not exist or is inactive.")
                )
            )
        for i, number in enumerate(normalised[index]):
            field = f"phones.{i}.number"
            if customer_rules.phone_kind(number) is None:
                errors.append(FieldError(field, pgettext("import report", "Wrong mobile phone number format.")))
                continue
            if number in phone_owner:
                code, unit_id = phone_owner[number]
                errors.append(
                    FieldError(
                        field,
                        pgettext("import report", "This phone number is already registered (customer %(code)s).")
                        % {"code": code}
                        if shown(unit_id)
                        else pgettext("import report", "This phone number is already registered to another customer."),
                    )
                )
            if within_batch:
                if number in seen_numbers and seen_numbers[number] != index:
                    errors.append(
                        FieldError(
                            field, pgettext("import report", "The same phone number appears twice in this batch.")
                        )
                    )
                seen_numbers.setdefault(number, index)
        for i, address in enumerate(data.addresses):
            level = regions.get(address.region_code)
            if level is None:
                errors.append(
                    FieldError(
                        f"addresses.{i}.region_code", pgettext("import report", "Unknown administrative region.")
                    )
                )
            elif level == 1:
                errors.append(
                    FieldError(
                        f"addresses.{i}.region_code",
                        pgettext("import report", "Fill in at least the province and city."),
                    )
                )
            if not address.detail.strip():
                errors.append(
                    FieldError(f"addresses.{i}.detail", pgettext("import report", "The detailed address is required."))
                )
            elif len(address.detail.strip()) > 200:
                errors.append(FieldError(f"addresses.{i}.detail", too_long(200)))
            if len(address.postcode.strip()) > 6:
                errors.append(FieldError(f"addresses.{i}.postcode", too_long(6)))
            hit = same_address.get(customer_rules.name_address_key(data.name, address.region_code, address.detail))
            if hit is not None:
                errors.append(
                    FieldError(
                        f"addresses.{i}.detail",
                        pgettext(
                            "import report", "A customer with the same name and address exists (customer %(code)s)."
                        )
                        % {"code": hit[0]}
                        if shown(hit[1])
                        else pgettext("import report", "A customer with the same name and address exists."),
                    )
                )
    return {k: v for k, v in result.items() if v}


# --- sold units -------------------------------------------------------------------------------


def unit_errors(batch: Sequence[UnitData], *, actor: Any, today: dt.date, within_batch: bool = True) -> Errors:
    """What `unit_register` would refuse. The owner must also be a customer the actor may see."""
    result: Errors = defaultdict(list)
    serials = [normalise_serial(d.serial) for d in batch]
    # Serial numbers are unique company-wide, so the check is not scoped (and says nothing more).
    taken = set(SoldUnit.objects.filter(serial__in=[s for s in serials if s]).values_list("serial", flat=True))
    models = set(product_model_list().filter(pk__in={d.product_model_id for d in batch}).values_list("pk", flat=True))
    units = set(org_unit_list(actor=actor).filter(pk__in={d.org_unit_id for d in batch}).values_list("pk", flat=True))
    customer_ids = {d.customer_id for d in batch if d.customer_id is not None}
    customers = (
        set(
            customer_list(actor=actor)
            .prefetch_related(None)
            .filter(pk__in=customer_ids, is_active=True)
            .values_list("pk", flat=True)
        )
        if customer_ids
        else set()
    )
    seen: dict[str, int] = {}
    for index, (data, serial) in enumerate(zip(batch, serials, strict=True)):
        errors = result[index]
        if not serial:
            errors.append(FieldError("serial", required()))
        elif serial in taken:
            errors.append(FieldError("serial", pgettext("import report", "The serial number is already registered.")))
        elif within_batch and seen.setdefault(serial, index) != index:
            errors.append(
                FieldError("serial", pgettext("import report", "The same serial number appears twice in this batch."))
            )
        _lengths(errors, data, UNIT_LIMITS)
        if data.product_model_id not in models:
            errors.append(FieldError("product_model_id", pgettext("import report", "Unknown product model.")))
        if data.org_unit_id not in units:
            errors.append(FieldError("org_unit_id", pgettext("import report", "Unknown org unit.")))
        if data.customer_id is not None and data.customer_id not in customers:
            errors.append(FieldError("customer_id", pgettext("import report", "Unknown customer.")))
        if data.sale_date and data.sale_date > today:
            errors.append(FieldError("sale_date", pgettext("import report", "The sale date cannot be in the future.")))
        if data.installation_date and data.sale_date and data.installation_date < data.sale_date:
            errors.append(
                FieldError("installation_date", pgettext("import report", "Installation cannot be before the sale."))
            )
    return {k: v for k, v in result.items() if v}


# --- product models ---------------------------------------------------------------------------


def product_model_errors(batch: Sequence[ModelData], *, within_batch: bool = True) -> Errors:
    """What `product_model_create` would refuse."""
    result: Errors = defaultdict(list)
    codes = [d.code.strip() for d in batch]
    taken = set(product_model_list().filter(code__in=codes).values_list("code", flat=True))
    lines = set(product_line_list().filter(pk__in={d.product_line_id for d in batch}).values_list("pk", flat=True))
    policy_ids = {d.warranty_policy_id for d in batch}
    policies = set(warranty_policy_list().filter(pk__in=policy_ids).values_list("pk", flat=True))
    category_ids = {d.category_id for d in batch if d.category_id}
    categories = set(product_category_list().filter(pk__in=category_ids).values_list("pk", flat=True))
    seen: dict[str, int] = {}
    for index, (data, code) in enumerate(zip(batch, codes, strict=True)):
        errors = result[index]
        if not code:
            errors.append(FieldError("code", required()))
        elif code in taken:
            errors.append(FieldError("code", pgettext("import report", "This model number already exists.")))
        elif within_batch and seen.setdefault(code, index) != index:
            errors.append(
                FieldError("code", pgettext("import report", "The same model number appears twice in this batch."))
            )
        if not data.name.strip():
            errors.append(FieldError("name", required()))
        _lengths(errors, data, MODEL_LIMITS)
        if data.product_line_id not in lines:
            errors.append(FieldError("product_line_id", pgettext("import report", "Unknown product line.")))
        if data.warranty_policy_id not in policies:
            errors.append(FieldError("warranty_policy_id", pgettext("import report", "Unknown warranty policy.")))
        if data.category_id and data.category_id not in categories:
            errors.append(FieldError("category_id", pgettext("import report", "Unknown category.")))
        for name in ("dealer_price", "market_price"):
            value = getattr(data, name)
            if value is not None and value < 0:
                errors.append(FieldError(name, pgettext("import report", "The amount cannot be negative.")))
    return {k: v for k, v in result.items() if v}


# --- fee schedule labour items ----------------------------------------------------------------


@dataclass(frozen=True)
class FeeItemData:
    """One labour item of a fee schedule version; rows with the same region and date form one schedule."""

    schedule_name: str
    effective_from: dt.date
    region_code: str | None
    item: LabourItemData

    @property
    def schedule_key(self) -> tuple[str | None, dt.date]:
        return (self.region_code or None, self.effective_from)


def fee_item_errors(batch: Sequence[FeeItemData], *, within_batch: bool = True) -> Errors:
    """What `fee_schedule_create` would refuse for these items (a schedule per region and date)."""
    result: Errors = defaultdict(list)
    dates = {d.effective_from for d in batch}
    existing = set(FeeSchedule.objects.filter(effective_from__in=dates).values_list("region_id", "effective_from"))
    region_codes = {d.region_code for d in batch if d.region_code}
    regions = set(Region.objects.filter(code__in=region_codes).values_list("code", flat=True))
    line_ids = {d.item.product_line_id for d in batch if d.item.product_line_id}
    lines = set(product_line_list().filter(pk__in=line_ids).values_list("pk", flat=True))
    seen: dict[tuple[str | None, dt.date, str], int] = {}
    for index, data in enumerate(batch):
        errors = result[index]
        item = data.item
        if not data.schedule_name.strip():
            errors.append(FieldError("schedule_name", required()))
        elif len(data.schedule_name.strip()) > 100:
            errors.append(FieldError("schedule_name", too_long(100)))
        if data.region_code and data.region_code not in regions:
            errors.append(FieldError("region_code", pgettext("import report", "Unknown administrative region.")))
        if data.schedule_key in existing:
            errors.append(
                FieldError(
                    "effective_from",
                    pgettext("import report", "A schedule for this region already starts on this date."),
                )
            )
        if not item.code.strip():
            errors.append(FieldError("code", required()))
        elif within_batch and seen.setdefault((*data.schedule_key, item.code.strip()), index) != index:
            errors.append(
                FieldError("code", pgettext("import report", "The same item code appears twice in this schedule."))
            )
        if not item.name.strip():
            errors.append(FieldError("name", required()))
        _lengths(errors, item, LABOUR_LIMITS)
        if item.product_line_id and item.product_line_id not in lines:
            errors.append(FieldError("product_line_id", pgettext("import report", "Unknown product line.")))
        if item.standard_minutes <= 0:
            errors.append(
                FieldError("standard_minutes", pgettext("import report", "The standard time must be positive."))
            )
        if item.price < 0:
            errors.append(FieldError("price", pgettext("import report", "The amount cannot be negative.")))
    return {k: v for k, v in result.items() if v}
