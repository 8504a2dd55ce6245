"""Who may do what with a service request."""

from __future__ import annotations

from typing import Any

from aftersales.core.errors import NotFound, PermissionDenied
from aftersales.core.scoping import visible_unit_ids


def is_customer_actor(actor: Any) -> bool:
    return getattr(actor, "kind", "") == "customer"


def customer_id_of(actor: Any) -> int | None:
    profile = getattr(actor, "customer_profile", None) if is_customer_actor(actor) else None
    return profile.pk if profile is not None else None


def can_see(actor: Any, request: Any) -> bool:
    if actor is None or not getattr(actor, "is_authenticated", False) or not actor.is_active:
        return False
    if is_customer_actor(actor):
        return customer_id_of(actor) == request.customer_id
    if not actor.has_perm("service.view_servicerequest"):
        return False
    if request.assignee_id == actor.pk:
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
