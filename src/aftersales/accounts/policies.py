"""Permission predicates of the accounts app: pure functions plus the `require_*` guards services call."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from aftersales.core import scoping
from aftersales.core.errors import NotFound, PermissionDenied


def can_grant(actor_permissions: Iterable[str], role_permissions: Iterable[str], *, actor_is_superuser: bool) -> bool:
    """An actor may grant a role only if they already hold every permission it carries."""
    if actor_is_superuser:
        return True
    return set(role_permissions) <= set(actor_permissions)


def require_perm(actor: Any, perm: str) -> None:
    if actor is None or not actor.is_authenticated or not actor.is_active:
        raise PermissionDenied()
    if not actor.has_perm(perm):
        raise PermissionDenied()


def unit_visible(actor: Any, unit_id: int | None) -> bool:
    """Whether `unit_id` is a unit the actor may see. Head office sees every unit that exists: an id of
    none is missing for them too (it would otherwise reach the database as a foreign key it refuses).
    No unit at all (None) is theirs alone, as before."""
    visible = scoping.visible_unit_ids(actor)
    if visible is None:
        return unit_id is None or scoping.unit_exists(unit_id)
    return unit_id is not None and unit_id in visible


def require_unit(actor: Any, unit_id: int | None) -> None:
    """A unit outside the actor's scope is reported as missing, never as forbidden (no probing)."""
    if not unit_visible(actor, unit_id):
        raise NotFound()
