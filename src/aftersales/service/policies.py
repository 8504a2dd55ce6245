"""Who may do what with a service request."""

from __future__ import annotations

from typing import Any

from aftersales.core.errors import NotFound, PermissionDenied
from aftersales.core.scoping import visible_unit_ids


def is_customer_actor(actor: Any) -> bool:
    return getattr(actor, "kind", "") == "customer"


def customer_id_of(actor: Any) -> int | None:
    """The customer a portal user acts for: their own profile, or the company they are a contact of."""
    if not is_customer_actor(actor):
        return None
    profile = getattr(actor, "customer_profile", None)
    if profile is not None:
        return int(profile.pk)
    contact = getattr(actor, "customer_contact", None)
    return int(contact.customer_id) if contact is not None else None


def contact_sees_all(actor: Any) -> bool:
    """A company's contact sees all the company's requests only when the company allows it."""
    if getattr(actor, "customer_profile", None) is not None:
        return True
    contact = getattr(actor, "customer_contact", None)
    return bool(contact is not None and contact.customer.portal_contacts_see_all)


def can_see(actor: Any, request: Any) -> bool:
    """Whether `request` is one `selectors.scoped(actor)` contains — the same rule for one row in hand (a
    test checks the two agree for every kind of actor): a customer their own (a company's contact only
    what they filed, unless the company lets contacts see all); staff with the view permission their
    units', what is assigned to them and what they registered."""
    if actor is None or not getattr(actor, "is_authenticated", False) or not actor.is_active:
        return False
    if is_customer_actor(actor):
        if customer_id_of(actor) != request.customer_id:
            return False
        return contact_sees_all(actor) or request.created_by_id == actor.pk
    if not actor.has_perm("service.view_servicerequest"):
        return False
    if request.assignee_id == actor.pk or request.created_by_id == actor.pk:
        return True
    units = visible_unit_ids(actor)
    return units is None or request.org_unit_id in units


def require_see(actor: Any, request: Any) -> None:
    if not can_see(actor, request):
        raise NotFound()


def require_staff_perm(actor: Any, request: Any, perm: str) -> None:
    require_see(actor, request)
    if is_customer_actor(actor) or not actor.has_perm(perm):
        raise PermissionDenied()
