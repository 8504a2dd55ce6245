"""Fixtures shared by the whole suite: an org tree with two outlets, users of several roles, API clients."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.models import Group
from django.test import Client

from aftersales.accounts import rules
from aftersales.accounts.models import OrgUnit, OrgUnitKind, User, UserKind
from aftersales.accounts.services import api_token_create, roles_sync

PASSWORD = "Correct-Horse-42"


def make_unit(name: str, code: str, kind: str, parent: OrgUnit | None = None) -> OrgUnit:
    unit = OrgUnit.objects.create(name=name, code=code, kind=kind, parent=parent)
    unit.path = rules.child_path(parent.path if parent else "", unit.pk)
    unit.depth = parent.depth + 1 if parent else 0
    unit.save(update_fields=["path", "depth"])
    return unit


@pytest.fixture
def org(db: Any) -> dict[str, OrgUnit]:
    """HQ → 华东大区 → outlet A (+ team A1); HQ → 华南大区 → outlet B."""
    roles_sync()
    hq = make_unit("总部", "HQ", OrgUnitKind.COMPANY)
    east = make_unit("华东大区", "R-EC", OrgUnitKind.REGION, hq)
    south = make_unit("华南大区", "R-SC", OrgUnitKind.REGION, hq)
    a = make_unit("上海徐汇服务网点", "O-A", OrgUnitKind.OUTLET, east)
    a1 = make_unit("徐汇维修组", "T-A1", OrgUnitKind.TEAM, a)
    b = make_unit("广州天河服务网点", "O-B", OrgUnitKind.OUTLET, south)
    return {"hq": hq, "east": east, "south": south, "a": a, "a1": a1, "b": b}


@pytest.fixture
def make_user(db: Any) -> Callable[..., User]:
    counter = {"n": 0}

    def make(
        role: str = "agent",
        unit: OrgUnit | None = None,
        *,
        username: str | None = None,
        kind: str = UserKind.STAFF,
        superuser: bool = False,
        **fields: Any,
    ) -> User:
        counter["n"] += 1
        user = User(
            username=username or f"{role}{counter['n']}",
            full_name=fields.pop("full_name", f"测试{role}{counter['n']}"),
            org_unit=unit,
            kind=kind,
            is_superuser=superuser,
            is_staff=superuser,
            **fields,
        )
        user.set_password(PASSWORD)
        user.save()
        if role:
            user.groups.add(Group.objects.get(name=role))
        return user

    return make


@pytest.fixture
def api_client_for() -> Callable[[User], Client]:
    """A Django test client that authenticates with a fresh API token of the given user."""

    def make(user: User) -> Client:
        _token, raw = api_token_create(actor=user, name="test")
        return Client(HTTP_AUTHORIZATION=f"Bearer {raw}")

    return make


@pytest.fixture
def ui_client_for() -> Callable[[User], Client]:
    """A Django test client signed in (session) as the given user."""

    def make(user: User) -> Client:
        client = Client()
        client.force_login(user)
        return client

    return make
