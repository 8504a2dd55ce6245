"""API of the customer archive: /customers."""

from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from ninja import Query, Router, Schema
from ninja.pagination import paginate

from aftersales.core.pagination import PagePagination, Shaped
from aftersales.customers import rules, selectors, services
from aftersales.customers.models import Customer
from aftersales.customers.policies import can_view_personal_data
from aftersales.customers.schemas import (
    CustomerCreateIn,
    CustomerIn,
    CustomerListOut,
    CustomerOut,
    CustomerUpdateIn,
    MergeIn,
)

router = Router(tags=["customers"])


def customer_data(payload: CustomerIn) -> services.CustomerData:
    return services.CustomerData(
        name=payload.name,
        org_unit_id=payload.org_unit_id,
        kind=payload.kind,
        gender=payload.gender,
        company_credit_code=payload.company_credit_code,
        owner_id=payload.owner_id,
        email=payload.email,
        tier=payload.tier,
        birthday=payload.birthday,
        birthday_is_lunar=payload.birthday_is_lunar,
        wedding_anniversary=payload.wedding_anniversary,
        hobbies=payload.hobbies,
        preferences=payload.preferences,
        tags=tuple(payload.tags),
        marketing_consent=payload.marketing_consent,
        source_channel=payload.source_channel,
        note=payload.note,
        phones=tuple(services.PhoneData(p.number, p.label, p.is_primary) for p in payload.phones),
        addresses=tuple(
            services.AddressData(a.region_code, a.detail, a.postcode, a.label, a.is_default) for a in payload.addresses
        ),
        contacts=tuple(services.ContactData(c.name, c.title, c.phone, c.email, c.is_primary) for c in payload.contacts),
    )


def customer_list_out(customer: Customer, *, full: bool) -> dict[str, Any]:
    phones = [
        {
            "number": p.number if full else rules.mask_phone(p.number),
            "kind": p.kind,
            "label": p.label,
            "is_primary": p.is_primary,
        }
        for p in customer.phones.all()
    ]
    addresses = [
        {
            "region_code": a.region_id,
            "region": a.region.full_name,
            "detail": a.detail if full else rules.mask_text(a.detail),
            "postcode": a.postcode,
            "label": a.label,
            "is_default": a.is_default,
        }
        for a in customer.addresses.all()
    ]
    return {
        "id": customer.pk,
        "code": customer.code,
        "kind": customer.kind,
        "name": customer.name,
        "tier": customer.tier,
        "org_unit_id": customer.org_unit_id,
        "owner_id": customer.owner_id,
        "phones": phones,
        "addresses": addresses,
        "tags": [t.name for t in customer.tags.all()],
        "is_active": customer.is_active,
        "merged_into_id": customer.merged_into_id,
        "personal_data_masked": not full,
    }


def customer_out(customer: Customer, *, full: bool) -> dict[str, Any]:
    data = customer_list_out(customer, full=full)
    today = timezone.localdate()
    data.update(
        {
            "email": customer.email if full else rules.mask_email(customer.email),
            "gender": customer.gender,
            "company_credit_code": customer.company_credit_code,
            "birthday": customer.birthday,
            "birthday_is_lunar": customer.birthday_is_lunar,
            "next_birthday": rules.next_birthday(customer.birthday, lunar=customer.birthday_is_lunar, today=today)
            if customer.birthday
            else None,
            "wedding_anniversary": customer.wedding_anniversary,
            "hobbies": customer.hobbies,
            "preferences": customer.preferences,
            "marketing_consent": customer.marketing_consent,
            "marketing_consent_at": customer.marketing_consent_at,
            "source_channel": customer.source_channel,
            "note": customer.note,
            "contacts": [
                {
                    "name": c.name,
                    "title": c.title,
                    "phone": c.phone if full else rules.mask_phone(c.phone),
                    "email": c.email if full else rules.mask_email(c.email),
                    "is_primary": c.is_primary,
                }
                for c in customer.contacts.all()
            ],
            "version": customer.version,
            "created_at": customer.created_at,
            "updated_at": customer.updated_at,
        }
    )
    return data


class CustomerFilter(Schema):
    q: str = ""
    tier: str = ""
    kind: str = ""
    owner_id: int | None = None
    org_unit_id: int | None = None
    tag: str = ""


@router.get("/customers", response=list[CustomerListOut], summary="Search customers (personal data masked)")
@paginate(PagePagination)
def customer_list(request: HttpRequest, filters: Query[CustomerFilter]) -> Any:
    qs = selectors.customer_list(
        actor=request.user,
        q=filters.q,
        tier=filters.tier,
        kind=filters.kind,
        owner_id=filters.owner_id,
        unit_id=filters.org_unit_id,
        tag=filters.tag,
    )
    return Shaped(qs, lambda c: customer_list_out(c, full=False))


@router.get(
    "/customers/{customer_id}", response=CustomerOut, summary="A customer; ?full=true reveals personal data (audited)"
)
def customer_detail(request: HttpRequest, customer_id: int, full: bool = False) -> dict[str, Any]:
    customer = selectors.customer_get(actor=request.user, customer_id=customer_id)
    if full:
        services.customer_personal_data_view(actor=request.user, customer=customer)
    return customer_out(customer, full=full and can_view_personal_data(request.user))


@router.post(
    "/customers",
    response={201: CustomerOut},
    summary="Register a customer (409 duplicate_customer on a likely duplicate)",
)
def customer_create(request: HttpRequest, payload: CustomerCreateIn) -> dict[str, Any]:
    customer = services.customer_create(
        actor=request.user, data=customer_data(payload), allow_duplicate=payload.allow_duplicate
    )
    return customer_out(selectors.customer_get(actor=request.user, customer_id=customer.pk), full=False)


@router.put(
    "/customers/{customer_id}", response=CustomerOut, summary="Replace a customer's data (send the version you read)"
)
def customer_update(request: HttpRequest, customer_id: int, payload: CustomerUpdateIn) -> dict[str, Any]:
    customer = selectors.customer_get(actor=request.user, customer_id=customer_id)
    services.customer_update(
        actor=request.user, customer=customer, expected_version=payload.version, data=customer_data(payload)
    )
    return customer_out(selectors.customer_get(actor=request.user, customer_id=customer_id), full=False)


@router.post("/customers/{customer_id}/merge", response=CustomerOut, summary="Merge a duplicate into this customer")
def customer_merge(request: HttpRequest, customer_id: int, payload: MergeIn) -> dict[str, Any]:
    target = selectors.customer_get(actor=request.user, customer_id=customer_id)
    source = selectors.customer_get(actor=request.user, customer_id=payload.source_id)
    services.customer_merge(actor=request.user, source=source, target=target, reason=payload.reason)
    return customer_out(selectors.customer_get(actor=request.user, customer_id=customer_id), full=False)
