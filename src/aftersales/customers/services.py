"""Every write of the customer archive: create, update, merge, reveal personal data (audited)."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from aftersales.accounts.models import User
from aftersales.accounts.policies import require_perm, require_unit
from aftersales.core.audit import audit_record, diff, snapshot
from aftersales.core.errors import Conflict, FieldError, PermissionDenied, ValidationFailed, field_error
from aftersales.core.models import AuditAction, Region
from aftersales.core.scoping import visible_unit_ids
from aftersales.core.sequences import next_code
from aftersales.core.versioning import save_versioned
from aftersales.customers import rules
from aftersales.customers.hooks import merge_handlers
from aftersales.customers.models import (
    Customer,
    CustomerAddress,
    CustomerContact,
    CustomerKind,
    CustomerPhone,
    CustomerTag,
    Gender,
    SourceChannel,
    Tier,
)

CUSTOMER_SEQUENCE = "customer"
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
CUSTOMER_PREFIX = "C"


@dataclass(frozen=True)
class PhoneData:
    number: str
    label: str = ""
    is_primary: bool = False


@dataclass(frozen=True)
class AddressData:
    region_code: str
    detail: str
    postcode: str = ""
    label: str = ""
    is_default: bool = False


@dataclass(frozen=True)
class ContactData:
    name: str
    title: str = ""
    phone: str = ""
    email: str = ""
    is_primary: bool = False


@dataclass(frozen=True)
class CustomerData:
    """Everything a customer record holds, as the services take it from forms, the API and imports."""

    name: str
    org_unit_id: int
    kind: str = CustomerKind.INDIVIDUAL
    gender: str = ""
    company_credit_code: str = ""
    owner_id: int | None = None
    email: str = ""
    tier: str = ""
    birthday: dt.date | None = None
    birthday_is_lunar: bool = False
    wedding_anniversary: dt.date | None = None
    hobbies: str = ""
    preferences: str = ""
    tags: tuple[str, ...] = ()
    marketing_consent: bool = False
    source_channel: str = SourceChannel.OTHER
    note: str = ""
    phones: tuple[PhoneData, ...] = ()
    addresses: tuple[AddressData, ...] = ()
    contacts: tuple[ContactData, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class DuplicateHit:
    customer_id: int
    reason: str  # "phone" | "name_address"
    visible: bool


_SCALAR_FIELDS = [
    "kind",
    "name",
    "gender",
    "company_credit_code",
    "org_unit",
    "owner",
    "email",
    "tier",
    "birthday",
    "birthday_is_lunar",
    "wedding_anniversary",
    "hobbies",
    "preferences",
    "marketing_consent",
    "source_channel",
    "note",
]


# --- validation -------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Clean:
    phones: list[tuple[str, str, str, bool]]  # number, kind, label, primary
    addresses: list[tuple[Region, AddressData]]


def _clean(data: CustomerData, *, today: dt.date) -> _Clean:
    errors: list[FieldError] = []
    if not data.name.strip():
        errors.append(FieldError("name", _("Name is required.")))
    if data.kind not in CustomerKind.values:
        errors.append(FieldError("kind", _("Unknown kind of customer.")))
    if data.gender not in Gender.values:
        errors.append(FieldError("gender", _("Unknown gender.")))
    if data.tier not in Tier.values:
        errors.append(FieldError("tier", _("Unknown tier.")))
    if data.source_channel not in SourceChannel.values:
        errors.append(FieldError("source_channel", _("Unknown source channel.")))
    if data.birthday and data.birthday > today:
        errors.append(FieldError("birthday", _("The birthday cannot be in the future.")))
    if data.wedding_anniversary and data.wedding_anniversary > today:
        errors.append(FieldError("wedding_anniversary", _("The anniversary cannot be in the future.")))
    if data.email and not _EMAIL.match(data.email.strip()):
        errors.append(FieldError("email", _("Enter a valid e-mail address.")))
    if data.company_credit_code and len(data.company_credit_code.strip()) != 18:
        errors.append(FieldError("company_credit_code", _("A unified social credit code has 18 characters.")))

    phones: list[tuple[str, str, str, bool]] = []
    seen: set[str] = set()
    for i, phone in enumerate(data.phones):
        number = rules.normalise_phone(phone.number)
        kind = rules.phone_kind(number)
        if kind is None:
            errors.append(
                FieldError(
                    f"phones.{i}.number", _("%(number)s is not a valid phone number.") % {"number": phone.number}
                )
            )
            continue
        if number in seen:
            continue
        seen.add(number)
        phones.append((number, kind, phone.label.strip(), phone.is_primary))
    if phones and not any(p[3] for p in phones):
        phones[0] = (*phones[0][:3], True)

    regions = {r.code: r for r in Region.objects.filter(code__in=[a.region_code for a in data.addresses])}
    addresses: list[tuple[Region, AddressData]] = []
    for i, address in enumerate(data.addresses):
        region = regions.get(address.region_code)
        if region is None:
            errors.append(FieldError(f"addresses.{i}.region_code", _("Unknown administrative region.")))
            continue
        if region.level == 1:
            errors.append(FieldError(f"addresses.{i}.region_code", _("Choose at least the city.")))
            continue
        if not address.detail.strip():
            errors.append(FieldError(f"addresses.{i}.detail", _("The detailed address is required.")))
            continue
        addresses.append((region, address))
    for i, contact in enumerate(data.contacts):
        if not contact.name.strip():
            errors.append(FieldError(f"contacts.{i}.name", _("The contact's name is required.")))
        if contact.phone and rules.phone_kind(rules.normalise_phone(contact.phone)) is None:
            errors.append(FieldError(f"contacts.{i}.phone", _("Not a valid phone number.")))
    if errors:
        raise ValidationFailed(errors=errors)
    return _Clean(phones=phones, addresses=addresses)


def customer_duplicates(
    *, actor: Any, name: str, phones: list[str], addresses: list[tuple[str, str]], exclude_id: int | None = None
) -> list[DuplicateHit]:
    """Existing active customers that share a phone number, or the same name at the same address."""
    hits: dict[int, str] = {}
    numbers = [rules.normalise_phone(p) for p in phones if p]
    if numbers:
        for cid in CustomerPhone.objects.filter(number__in=numbers, customer__is_active=True).values_list(
            "customer_id", flat=True
        ):
            hits.setdefault(cid, "phone")
    wanted = {rules.name_address_key(name, code, detail) for code, detail in addresses}
    if wanted:
        rows = CustomerAddress.objects.filter(
            region_id__in=[code for code, _d in addresses], customer__name=name.strip(), customer__is_active=True
        ).values_list("customer_id", "customer__name", "region_id", "detail")
        for cid, cname, code, detail in rows:
            if rules.name_address_key(cname, code, detail) in wanted:
                hits.setdefault(cid, "name_address")
    hits.pop(exclude_id or 0, None)
    if not hits:
        return []
    units = visible_unit_ids(actor)
    unit_of = dict(Customer.objects.filter(pk__in=hits).values_list("pk", "org_unit_id"))
    return [
        DuplicateHit(customer_id=cid, reason=reason, visible=units is None or unit_of.get(cid) in units)
        for cid, reason in sorted(hits.items())
    ]


# --- create / update --------------------------------------------------------------------------


def _check_owner(owner_id: int | None, actor: Any) -> None:
    if owner_id is None:
        return
    owner = User.objects.filter(pk=owner_id, kind="staff", is_active=True).first()
    if owner is None:
        raise field_error("owner_id", _("The responsible staff member does not exist or is inactive."))
    units = visible_unit_ids(actor)
    if units is not None and owner.org_unit_id not in units:
        raise field_error("owner_id", _("The responsible staff member does not exist or is inactive."))


def _write_children(customer: Customer, clean: _Clean, data: CustomerData) -> None:
    CustomerPhone.objects.bulk_create(
        [
            CustomerPhone(customer=customer, number=n, reversed_number=n[::-1], kind=k, label=label, is_primary=primary)
            for n, k, label, primary in clean.phones
        ]
    )
    has_default = any(a.is_default for _r, a in clean.addresses)
    CustomerAddress.objects.bulk_create(
        [
            CustomerAddress(
                customer=customer,
                region=region,
                detail=a.detail.strip(),
                postcode=a.postcode.strip(),
                label=a.label.strip(),
                is_default=a.is_default or (not has_default and i == 0),
            )
            for i, (region, a) in enumerate(clean.addresses)
        ]
    )
    CustomerContact.objects.bulk_create(
        [
            CustomerContact(
                customer=customer,
                name=c.name.strip(),
                title=c.title.strip(),
                phone=rules.normalise_phone(c.phone) if c.phone else "",
                email=c.email.strip(),
                is_primary=c.is_primary,
            )
            for c in data.contacts
        ]
    )
    if data.tags:
        names = sorted({t.strip()[:30] for t in data.tags if t.strip()})
        CustomerTag.objects.bulk_create([CustomerTag(name=n) for n in names], ignore_conflicts=True)
        customer.tags.set(CustomerTag.objects.filter(name__in=names))
    else:
        customer.tags.clear()


def _children_snapshot(customer: Customer) -> dict[str, Any]:
    return {
        "phones": sorted(customer.phones.values_list("number", flat=True)),
        "addresses": sorted(f"{a.region_id} {a.detail}" for a in customer.addresses.all()),
        "contacts": sorted(f"{c.name} {c.phone}" for c in customer.contacts.all()),
        "tags": sorted(customer.tags.values_list("name", flat=True)),
    }


def _apply_scalars(customer: Customer, data: CustomerData) -> None:
    customer.kind = data.kind
    customer.name = data.name.strip()
    customer.gender = data.gender
    customer.company_credit_code = data.company_credit_code.strip().upper()
    customer.org_unit_id = data.org_unit_id
    customer.owner_id = data.owner_id
    customer.email = data.email.strip().lower()
    customer.tier = data.tier
    customer.birthday = data.birthday
    customer.birthday_is_lunar = data.birthday_is_lunar and data.birthday is not None
    customer.wedding_anniversary = data.wedding_anniversary
    customer.hobbies = data.hobbies.strip()
    customer.preferences = data.preferences.strip()
    if data.marketing_consent and not customer.marketing_consent:
        customer.marketing_consent_at = timezone.now()
    if not data.marketing_consent:
        customer.marketing_consent_at = None
    customer.marketing_consent = data.marketing_consent
    customer.source_channel = data.source_channel
    customer.note = data.note.strip()


def customer_create(*, actor: Any, data: CustomerData, allow_duplicate: bool = False) -> Customer:
    """Register a customer in a unit the actor may see. A likely duplicate (same phone, or same
    name at the same address) is refused with 409 `duplicate_customer` unless `allow_duplicate`."""
    require_perm(actor, "customers.add_customer")
    require_unit(actor, data.org_unit_id)
    clean = _clean(data, today=timezone.localdate())
    _check_owner(data.owner_id, actor)
    if not allow_duplicate:
        hits = customer_duplicates(
            actor=actor,
            name=data.name,
            phones=[p[0] for p in clean.phones],
            addresses=[(r.code, a.detail) for r, a in clean.addresses],
        )
        if hits:
            raise Conflict(
                code="duplicate_customer",
                message=_("A customer with the same phone number or name and address already exists."),
                errors=[
                    FieldError("duplicates", f"{h.customer_id}:{h.reason}" if h.visible else f"hidden:{h.reason}")
                    for h in hits
                ],
            )
    customer = Customer()
    _apply_scalars(customer, data)
    with transaction.atomic():
        customer.code = next_code(CUSTOMER_SEQUENCE, CUSTOMER_PREFIX)
        customer.save(force_insert=True)
        _write_children(customer, clean, data)
        changes = diff({}, snapshot(customer, ["code", *_SCALAR_FIELDS]))
        changes.update(diff({}, _children_snapshot(customer)))
        audit_record(actor=actor, action=AuditAction.CREATE, target=customer, changes=_masked_changes(changes))
    return customer


def customer_update(*, actor: Any, customer: Customer, expected_version: int, data: CustomerData) -> Customer:
    """Replace a customer's data (children included); a stale version answers 409."""
    require_perm(actor, "customers.change_customer")
    require_unit(actor, customer.org_unit_id)
    require_unit(actor, data.org_unit_id)
    if customer.merged_into_id:
        raise Conflict(message=_("This customer was merged into another one and can no longer be changed."))
    clean = _clean(data, today=timezone.localdate())
    _check_owner(data.owner_id, actor)
    before = {**snapshot(customer, _SCALAR_FIELDS), **_children_snapshot(customer)}
    _apply_scalars(customer, data)
    with transaction.atomic():
        save_versioned(
            customer,
            expected_version=expected_version,
            fields=[*_SCALAR_FIELDS, "marketing_consent_at"],
        )
        customer.phones.all().delete()
        customer.addresses.all().delete()
        customer.contacts.all().delete()
        _write_children(customer, clean, data)
        after = {**snapshot(customer, _SCALAR_FIELDS), **_children_snapshot(customer)}
        audit_record(
            actor=actor, action=AuditAction.UPDATE, target=customer, changes=_masked_changes(diff(before, after))
        )
    return customer


def _masked_changes(changes: dict[str, list[Any]]) -> dict[str, list[Any]]:
    """The audit trail is read by auditors who may not see personal data: store it masked."""
    result = dict(changes)
    if "email" in result:
        result["email"] = [rules.mask_email(v) if v else v for v in result["email"]]
    for key in ("phones", "addresses", "contacts"):
        if key in result:
            result[key] = [[_mask_item(key, v) for v in (side or [])] for side in result[key]]
    return result


def _mask_item(key: str, value: str) -> str:
    if key == "phones":
        return rules.mask_phone(value)
    if key == "addresses":
        region, _sep, _detail = value.partition(" ")
        return f"{region} ****"
    name, _sep, phone = value.partition(" ")
    return f"{name} {rules.mask_phone(phone)}".strip()


def customer_personal_data_view(*, actor: Any, customer: Customer) -> None:
    """Record that the actor opened the customer's full personal data (PIPL: every access auditable)."""
    if not actor.has_perm("customers.view_personal_data"):
        raise PermissionDenied(message=_("Your role may not see customers' full personal data."))
    require_unit(actor, customer.org_unit_id)
    audit_record(actor=actor, action=AuditAction.VIEW, target=customer, note="full personal data")


def customer_export_record(*, actor: Any, count: int, personal_data: bool, filters: dict[str, Any]) -> None:
    """Record an export of the customer list (with or without personal data)."""
    if personal_data and not actor.has_perm("customers.export_personal_data"):
        raise PermissionDenied(message=_("Your role may not export customers' personal data."))
    audit_record(
        actor=actor,
        action=AuditAction.EXPORT,
        target_type="customers.customer",
        object_repr=f"{count} customers",
        org_unit_id=actor.org_unit_id,
        note=f"personal_data={personal_data} filters={filters}",
    )


# --- merge ------------------------------------------------------------------------------------


def customer_merge(*, actor: Any, source: Customer, target: Customer, reason: str = "") -> Customer:
    """Merge the duplicate `source` into `target`: every related record moves, the source is kept
    (inactive, pointing at the target) so old references and the audit trail still resolve."""
    require_perm(actor, "customers.merge_customer")
    require_unit(actor, source.org_unit_id)
    require_unit(actor, target.org_unit_id)
    if source.pk == target.pk:
        raise field_error("target_id", _("A customer cannot be merged into itself."))
    if source.merged_into_id or target.merged_into_id or not target.is_active:
        raise Conflict(message=_("One of the customers was already merged."))
    moved: dict[str, int] = {}
    with transaction.atomic():
        locked = {c.pk: c for c in Customer.objects.select_for_update().filter(pk__in=[source.pk, target.pk])}
        if locked[source.pk].merged_into_id or locked[target.pk].merged_into_id:
            raise Conflict(message=_("One of the customers was already merged."))
        known = set(target.phones.values_list("number", flat=True))
        dup_phones = source.phones.filter(number__in=known)
        dup_count = dup_phones.count()
        dup_phones.delete()
        moved["phones"] = source.phones.update(customer=target, is_primary=False)
        moved["phones_already_known"] = dup_count
        moved["addresses"] = source.addresses.update(customer=target, is_default=False)
        moved["contacts"] = source.contacts.update(customer=target, is_primary=False)
        target.tags.add(*source.tags.all())
        for name, handler in merge_handlers():
            for key, count in handler(source, target).items():
                moved[f"{name}.{key}"] = count
        fill = {}
        for attr in ("birthday", "wedding_anniversary", "owner_id", "hobbies", "preferences", "company_credit_code"):
            if not getattr(target, attr) and getattr(source, attr):
                fill[attr] = getattr(source, attr)
        if source.tier and (not target.tier or source.tier < target.tier):  # A is the best tier
            fill["tier"] = source.tier
        for attr, value in fill.items():
            setattr(target, attr, value)
        if fill:
            target.save(update_fields=[*fill.keys(), "updated_at"])
        Customer.objects.filter(pk=source.pk).update(merged_into=target, is_active=False, updated_at=timezone.now())
        source.merged_into, source.is_active = target, False
        audit_record(
            actor=actor,
            action=AuditAction.TRANSITION,
            target=source,
            changes={"merged_into": [None, target.pk], "is_active": [True, False]},
            note=reason,
        )
        audit_record(
            actor=actor,
            action=AuditAction.UPDATE,
            target=target,
            changes={"merged_from": [None, source.pk], **{k: [None, str(v)] for k, v in fill.items()}},
            note=" ".join(f"{k}={v}" for k, v in sorted(moved.items())),
        )
    return target
