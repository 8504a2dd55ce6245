"""API of the accounts app: /me, org units, users and roles, personal API tokens."""

from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Schema
from ninja.pagination import paginate

from aftersales.accounts import selectors, services
from aftersales.accounts.models import OrgUnit, User
from aftersales.accounts.roles import ROLES, role_label
from aftersales.accounts.schemas import (
    ApiTokenCreatedOut,
    ApiTokenCreateIn,
    ApiTokenOut,
    MeOut,
    OrgUnitCreateIn,
    OrgUnitOut,
    OrgUnitUpdateIn,
    RoleOut,
    UserCreateIn,
    UserOut,
    UserRolesIn,
    UserUpdateIn,
)
from aftersales.core.pagination import PagePagination, Shaped

router = Router(tags=["accounts"])


def user_out(user: User) -> dict[str, Any]:
    unit = user.org_unit
    return {
        "id": user.pk,
        "username": user.username,
        "full_name": user.full_name,
        "kind": user.kind,
        "email": user.email,
        "phone": user.phone,
        "employee_no": user.employee_no,
        "is_active": user.is_active,
        "org_unit": unit,
        "roles": [{"code": c, "label": role_label(c)} for c in selectors.role_codes(user)],
    }


class PingOut(Schema):
    ok: bool
    user_id: int


@router.get("/ping", response=PingOut, summary="Is my token or session valid? (the cheapest authenticated call)")
def ping(request: HttpRequest) -> dict[str, Any]:
    # Also the benchmarks' floor (bench/perf.py): authentication plus a JSON response, no other work.
    return {"ok": True, "user_id": request.user.pk}


@router.get("/me", response=MeOut, summary="The caller: roles, permissions and org units")
def me(request: HttpRequest) -> dict[str, Any]:
    user: User = request.user  # type: ignore[assignment]
    visible = selectors.visible_unit_ids(user)
    units = [u for u in [user.org_unit] if u is not None] + list(user.additional_units.all())
    return {
        **user_out(user),
        "language": request.LANGUAGE_CODE,
        "permissions": sorted(user.get_all_permissions()),
        "sees_all_units": visible is None,
        "units": units,
    }


@router.get("/roles", response=list[RoleOut], summary="The roles a user can have")
def role_list(request: HttpRequest) -> list[dict[str, str]]:
    return [{"code": r.code, "label": str(r.label)} for r in ROLES]


class OrgUnitFilter(Schema):
    q: str = ""
    kind: str = ""


@router.get("/org-units", response=list[OrgUnitOut], summary="Org units the caller may see")
@paginate(PagePagination)
def org_unit_list(request: HttpRequest, filters: Query[OrgUnitFilter]) -> Any:
    return selectors.org_unit_list(actor=request.user, q=filters.q, kind=filters.kind)


@router.get("/org-units/{unit_id}", response=OrgUnitOut)
def org_unit_detail(request: HttpRequest, unit_id: int) -> OrgUnit:
    return selectors.org_unit_get(actor=request.user, unit_id=unit_id)


@router.post("/org-units", response={201: OrgUnitOut})
def org_unit_create(request: HttpRequest, payload: OrgUnitCreateIn) -> OrgUnit:
    parent = selectors.org_unit_get(actor=request.user, unit_id=payload.parent_id) if payload.parent_id else None
    unit = services.org_unit_create(
        actor=request.user,
        name=payload.name,
        code=payload.code,
        kind=payload.kind,
        parent=parent,
        phone=payload.phone,
        address=payload.address,
    )
    return unit


@router.put("/org-units/{unit_id}", response=OrgUnitOut)
def org_unit_update(request: HttpRequest, unit_id: int, payload: OrgUnitUpdateIn) -> OrgUnit:
    unit = selectors.org_unit_get(actor=request.user, unit_id=unit_id)
    return services.org_unit_update(
        actor=request.user,
        unit=unit,
        expected_version=payload.version,
        name=payload.name,
        phone=payload.phone,
        address=payload.address,
        is_active=payload.is_active,
    )


class UserFilter(Schema):
    q: str = ""
    role: str = ""
    org_unit_id: int | None = None
    is_active: bool | None = None


@router.get("/users", response=list[UserOut], summary="Staff of the units the caller may see")
@paginate(PagePagination)
def user_list(request: HttpRequest, filters: Query[UserFilter]) -> Any:
    users = selectors.user_list(
        actor=request.user, q=filters.q, role=filters.role, unit_id=filters.org_unit_id, active=filters.is_active
    )
    return Shaped(users, user_out)


@router.get("/users/{user_id}", response=UserOut)
def user_detail(request: HttpRequest, user_id: int) -> dict[str, Any]:
    return user_out(selectors.user_get(actor=request.user, user_id=user_id))


@router.post("/users", response={201: UserOut})
def user_create(request: HttpRequest, payload: UserCreateIn) -> dict[str, Any]:
    unit = selectors.org_unit_get(actor=request.user, unit_id=payload.org_unit_id) if payload.org_unit_id else None
    user = services.user_create(
        actor=request.user,
        username=payload.username,
        password=payload.password,
        full_name=payload.full_name,
        email=payload.email,
        phone=payload.phone,
        employee_no=payload.employee_no,
        org_unit=unit,
        roles=payload.roles,
        kind=payload.kind,
    )
    return user_out(user)


@router.put("/users/{user_id}", response=UserOut)
def user_update(request: HttpRequest, user_id: int, payload: UserUpdateIn) -> dict[str, Any]:
    user = selectors.user_get(actor=request.user, user_id=user_id)
    unit = selectors.org_unit_get(actor=request.user, unit_id=payload.org_unit_id) if payload.org_unit_id else None
    services.user_update(
        actor=request.user,
        user=user,
        full_name=payload.full_name,
        email=payload.email,
        phone=payload.phone,
        employee_no=payload.employee_no,
        org_unit=unit,
        is_active=payload.is_active,
    )
    return user_out(user)


@router.post("/users/{user_id}/roles", response=UserOut, summary="Replace a user's roles")
def user_set_roles(request: HttpRequest, user_id: int, payload: UserRolesIn) -> dict[str, Any]:
    user = selectors.user_get(actor=request.user, user_id=user_id)
    services.user_set_roles(actor=request.user, user=user, roles=payload.roles)
    return user_out(user)


@router.get("/tokens", response=list[ApiTokenOut], summary="The caller's API tokens")
@paginate(PagePagination)
def api_token_list(request: HttpRequest) -> Any:
    return selectors.api_token_list(actor=request.user)


@router.post("/tokens", response={201: ApiTokenCreatedOut}, summary="Create an API token (shown once)")
def api_token_create(request: HttpRequest, payload: ApiTokenCreateIn) -> dict[str, Any]:
    token, raw = services.api_token_create(actor=request.user, name=payload.name, expires_at=payload.expires_at)
    data = ApiTokenOut.from_orm(token).dict()
    data["token"] = raw
    return data


@router.post("/tokens/{token_id}/revoke", response=ApiTokenOut)
def api_token_revoke(request: HttpRequest, token_id: int) -> Any:
    token = selectors.api_token_get(actor=request.user, token_id=token_id)
    return services.api_token_revoke(actor=request.user, token=token)
