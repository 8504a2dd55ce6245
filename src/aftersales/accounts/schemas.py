"""API schemas of the accounts app: separate In and Out shapes per operation."""

from __future__ import annotations

import datetime as dt

from ninja import Field, Schema


class OrgUnitRef(Schema):
    id: int
    name: str
    code: str
    kind: str


class OrgUnitOut(Schema):
    id: int
    name: str
    code: str
    kind: str
    parent_id: int | None
    depth: int
    phone: str
    address: str
    is_active: bool
    version: int


class OrgUnitCreateIn(Schema):
    name: str = Field(..., min_length=1, max_length=100)
    code: str = Field(..., min_length=1, max_length=32)
    kind: str
    parent_id: int | None = None
    phone: str = Field("", max_length=32)
    address: str = Field("", max_length=200)


class OrgUnitUpdateIn(Schema):
    version: int = Field(..., description="the version you read; a stale one answers 409")
    name: str = Field(..., min_length=1, max_length=100)
    phone: str = Field("", max_length=32)
    address: str = Field("", max_length=200)
    is_active: bool = True


class RoleOut(Schema):
    code: str
    label: str


class UserOut(Schema):
    id: int
    username: str
    full_name: str
    kind: str
    email: str
    phone: str
    employee_no: str
    is_active: bool
    org_unit: OrgUnitRef | None
    roles: list[RoleOut]


class MeOut(UserOut):
    language: str
    permissions: list[str]
    sees_all_units: bool
    units: list[OrgUnitRef]


class UserCreateIn(Schema):
    username: str = Field(..., min_length=1, max_length=150)
    password: str = Field(..., min_length=1, max_length=128)
    full_name: str = Field("", max_length=100)
    email: str = Field("", max_length=254)
    phone: str = Field("", max_length=32)
    employee_no: str = Field("", max_length=32)
    org_unit_id: int | None = None
    roles: list[str] = Field(default_factory=list)
    kind: str = "staff"


class UserUpdateIn(Schema):
    full_name: str = Field("", max_length=100)
    email: str = Field("", max_length=254)
    phone: str = Field("", max_length=32)
    employee_no: str = Field("", max_length=32)
    org_unit_id: int | None = None
    is_active: bool = True


class UserRolesIn(Schema):
    roles: list[str]


class ApiTokenOut(Schema):
    id: int
    name: str
    prefix: str
    created_at: dt.datetime
    last_used_at: dt.datetime | None
    expires_at: dt.datetime | None
    revoked_at: dt.datetime | None


class ApiTokenCreateIn(Schema):
    name: str = Field(..., min_length=1, max_length=100)
    expires_at: dt.datetime | None = None


class ApiTokenCreatedOut(ApiTokenOut):
    token: str = Field(..., description="shown once; store it now")
