"""Reads of the accounts app, each already scoped to what the acting user may see."""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch, Q, QuerySet

from aftersales.accounts.models import ApiToken, OrgUnit, User, UserKind
from aftersales.accounts.services import org_unit_subtree_ids
from aftersales.core import config_cache
from aftersales.core.errors import NotFound
from aftersales.core.scoping import scope_by_unit


def existing_unit_ids() -> frozenset[int]:
    """The ids of every org unit (per process until the org tree changes: core.config_cache)."""
    return config_cache.cached("units:all", lambda: frozenset(OrgUnit.objects.values_list("id", flat=True)))


def visible_unit_ids(actor: Any) -> frozenset[int] | None:
    """None for head-office scope (every unit), else the ids of the actor's units and their subtrees.

    Computed once per user object (i.e. once per request) and cached on it.
    """
    if actor is None or not getattr(actor, "is_authenticated", False):
        return frozenset()
    cached = actor.__dict__.get("_visible_unit_ids", False)
    if cached is not False:
        return cached

    def load() -> frozenset[int] | None:
        if actor.kind == UserKind.CUSTOMER:
            return frozenset()
        if actor.is_superuser or actor.has_perm("accounts.view_all_units"):
            return None
        units = [u for u in [actor.org_unit] if u is not None] if actor.org_unit_id else []
        units += list(actor.additional_units.all())
        return org_unit_subtree_ids(units)

    # Per person and process until the org tree, a role or the person changes (core.config_cache).
    result = config_cache.cached(f"units:{actor.pk}", load) if actor.pk else load()
    actor.__dict__["_visible_unit_ids"] = result
    return result


def every_unit_id() -> frozenset[int]:
    """The ids of every org unit, held per process until the org tree changes (core.config_cache)."""
    return config_cache.cached("units:every", lambda: frozenset(OrgUnit.objects.values_list("pk", flat=True)))


def org_unit_list(*, actor: Any, q: str = "", kind: str = "") -> QuerySet[OrgUnit]:
    qs = scope_by_unit(OrgUnit.objects.select_related("parent"), actor, field="id")
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(code__icontains=q))
    if kind:
        qs = qs.filter(kind=kind)
    return qs.order_by("path")


def org_unit_get(*, actor: Any, unit_id: int) -> OrgUnit:
    unit = scope_by_unit(OrgUnit.objects.select_related("parent"), actor, field="id").filter(pk=unit_id).first()
    if unit is None:
        raise NotFound()
    return unit


def user_list(
    *, actor: Any, q: str = "", role: str = "", unit_id: int | None = None, active: bool | None = None
) -> QuerySet[User]:
    """Staff members of the units the actor may see (portal customers are listed with customers)."""
    qs = scope_by_unit(User.objects.filter(kind=UserKind.STAFF), actor, field="org_unit")
    if q:
        qs = qs.filter(
            Q(username__icontains=q) | Q(full_name__icontains=q) | Q(phone__contains=q) | Q(employee_no__icontains=q)
        )
    if role:
        qs = qs.filter(groups__name=role)
    if unit_id:
        qs = qs.filter(org_unit_id=unit_id)
    if active is not None:
        qs = qs.filter(is_active=active)
    return qs.select_related("org_unit").prefetch_related(Prefetch("groups")).order_by("org_unit__path", "username")


def user_get(*, actor: Any, user_id: int) -> User:
    if actor is not None and getattr(actor, "pk", None) == user_id:
        return actor
    user = user_list(actor=actor).filter(pk=user_id).first()
    if user is None:
        raise NotFound()
    return user


def api_token_list(*, actor: Any) -> QuerySet[ApiToken]:
    """The actor's own tokens (tokens are personal; administrators revoke through the user page)."""
    return ApiToken.objects.filter(user=actor).order_by("-id")


def api_token_get(*, actor: Any, token_id: int) -> ApiToken:
    token = ApiToken.objects.select_related("user").filter(pk=token_id).first()
    if token is None:
        raise NotFound()
    if token.user_id != actor.pk:
        # Administrators may reach the tokens of users they may see.
        if not actor.has_perm("accounts.change_user") or token.user.kind != UserKind.STAFF:
            raise NotFound()
        visible = visible_unit_ids(actor)
        if visible is not None and token.user.org_unit_id not in visible:
            raise NotFound()
    return token


def role_codes(user: User) -> list[str]:
    return sorted(g.name for g in user.groups.all())
