"""Reads of the customer archive, scoped to the actor's units."""

from __future__ import annotations

from typing import Any

from django.db import connection
from django.db.models import Prefetch, Q, QuerySet

from aftersales.core.errors import NotFound
from aftersales.core.prepared import Prepared
from aftersales.core.scoping import scope_by_unit
from aftersales.customers import rules
from aftersales.customers.models import Customer, CustomerAddress, CustomerPhone

# A customer's phones, primary first — read by every create (search text, the SMS; with other reads at
# once, core.prepared.together) and the request page: compiled once (core.prepared). The caller has the
# customer from a scoped read already.
phones_of: Prepared[tuple[str, str]] = Prepared(
    lambda customer_id: (
        CustomerPhone.objects.filter(customer_id=customer_id)
        .order_by("-is_primary", "id")
        .values_list("number", "kind")
    )
)


def customer_phones(*, customer_id: int) -> list[tuple[str, str]]:
    """(number, kind) of each of the customer's phones, the primary one first."""
    return phones_of.all(customer_id=customer_id)


def customer_ids_by_phone(digits: str) -> QuerySet[CustomerPhone, Any]:
    """Ids of customers with a phone that starts or ends with `digits` ("1234" → the last digits, 尾号,
    an indexed prefix search on the reversed number; "138123" → the leading digits)."""
    return CustomerPhone.objects.filter(
        _starting("reversed_number", digits[::-1]) | _starting("number", digits)
    ).values("customer_id")


def _starting(field: str, digits: str) -> Q:
    """`field` starts with `digits`, as its index can answer: SQLite's LIKE (case-insensitive, with an
    escape) cannot use one — 40 ms over 240,000 phones — but the range of such numbers can;
    PostgreSQL's LIKE uses the field's pattern index."""
    if connection.vendor == "sqlite":
        return Q(**{f"{field}__gte": digits, f"{field}__lt": digits[:-1] + chr(ord(digits[-1]) + 1)})
    return Q(**{f"{field}__startswith": digits})


def customer_search_q(q: str) -> Q:
    """What a search box means: a phone number (full, leading or last digits), a customer number, or a name."""
    q = q.strip()
    digits = rules.phone_digits(q)
    if digits:
        return Q(pk__in=customer_ids_by_phone(digits))
    return Q(name__icontains=q) | Q(code__iexact=q) | Q(company_credit_code__iexact=q)


def customer_list(
    *,
    actor: Any,
    q: str = "",
    tier: str = "",
    kind: str = "",
    owner_id: int | None = None,
    unit_id: int | None = None,
    tag: str = "",
    include_merged: bool = False,
) -> QuerySet[Customer]:
    qs = scope_by_unit(Customer.objects.all(), actor, field="org_unit")
    if not include_merged:
        qs = qs.filter(merged_into__isnull=True)
    if q:
        qs = qs.filter(customer_search_q(q))
    if tier:
        qs = qs.filter(tier=tier)
    if kind:
        qs = qs.filter(kind=kind)
    if owner_id:
        qs = qs.filter(owner_id=owner_id)
    if unit_id:
        qs = qs.filter(org_unit_id=unit_id)
    if tag:
        qs = qs.filter(tags__name=tag)
    return (
        qs.select_related("org_unit", "owner")
        .prefetch_related(
            Prefetch("phones", queryset=CustomerPhone.objects.order_by("-is_primary", "id")),
            Prefetch(
                "addresses", queryset=CustomerAddress.objects.select_related("region").order_by("-is_default", "id")
            ),
            "tags",
        )
        .order_by("-id")
    )


def customer_get(*, actor: Any, customer_id: int) -> Customer:
    customer = (
        customer_list(actor=actor, include_merged=True)
        .prefetch_related("contacts")
        .select_related("merged_into")
        .filter(pk=customer_id)
        .first()
    )
    if customer is None:
        raise NotFound()
    return customer


def customer_get_by_code(*, actor: Any, code: str) -> Customer:
    customer = customer_list(actor=actor, include_merged=True).filter(code=code).first()
    if customer is None:
        raise NotFound()
    return customer
