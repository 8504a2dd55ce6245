"""Data scoping: which org units' rows an actor may see. `accounts` provides the answer.

Core cannot import `accounts` (it sits below it), so accounts registers its provider at start-up;
every selector of every app calls `scope_by_unit` and never filters by hand.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from django.db.models import Model, Q, QuerySet

M = TypeVar("M", bound=Model)

# Returns None for "every unit" (head-office roles), else the set of visible unit ids.
UnitProvider = Callable[[Any], frozenset[int] | None]
_provider: UnitProvider | None = None
# The ids of every unit there is: what "every unit" means for a check of one unit's id.
_existing: Callable[[], frozenset[int]] | None = None


def register_unit_provider(provider: UnitProvider, existing: Callable[[], frozenset[int]] | None = None) -> None:
    global _provider, _existing
    _provider, _existing = provider, existing


def unit_exists(unit_id: int) -> bool:
    """Whether `unit_id` is a unit (for an actor who sees every unit, an id of none is still missing)."""
    if _existing is None:
        raise RuntimeError("no unit provider registered (is aftersales.accounts installed?)")
    return unit_id in _existing()


def visible_unit_ids(actor: Any) -> frozenset[int] | None:
    if _provider is None:
        raise RuntimeError("no unit provider registered (is aftersales.accounts installed?)")
    return _provider(actor)


def scope_by_unit(qs: QuerySet[M], actor: Any, *, field: str = "org_unit") -> QuerySet[M]:
    """Only the rows whose `field` is a unit the actor may see; nothing for anonymous actors."""
    if actor is None or not getattr(actor, "is_authenticated", False) or not actor.is_active:
        return qs.none()
    unit_ids = visible_unit_ids(actor)
    if unit_ids is None:
        return qs
    if not unit_ids:
        return qs.none()
    return qs.filter(**{f"{field}__in": unit_ids})


def scope_by_any_unit(qs: QuerySet[M], actor: Any, *, fields: tuple[str, ...]) -> QuerySet[M]:
    """Rows where any of `fields` is a visible unit (e.g. a unit sold by my store OR owned by my customer)."""
    if actor is None or not getattr(actor, "is_authenticated", False) or not actor.is_active:
        return qs.none()
    unit_ids = visible_unit_ids(actor)
    if unit_ids is None:
        return qs
    if not unit_ids:
        return qs.none()
    condition = Q()
    for name in fields:
        condition |= Q(**{f"{name}__in": unit_ids})
    return qs.filter(condition)
