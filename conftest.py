"""Fixtures shared by the whole suite: an org tree with two outlets, users of several roles, API clients."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.apps import apps as global_apps
from django.contrib.auth.models import Group
from django.db import connection
from django.test import Client
from hypothesis import settings as hypothesis_settings

from aftersales.accounts import rules
from aftersales.accounts.models import OrgUnit, OrgUnitKind, User, UserKind
from aftersales.accounts.services import api_token_create, roles_sync
from aftersales.core import config_cache
from aftersales.service import search as service_search

PASSWORD = "Correct-Horse-42"

# Property tests judge correctness, not speed: no per-example deadline on a shared 2-core machine.
hypothesis_settings.register_profile("aftersales", deadline=None)
hypothesis_settings.load_profile("aftersales")


@pytest.fixture(autouse=True)
def _fresh_config_cache() -> None:
    """Each test starts with an empty per-process configuration cache (core.config_cache) and without
    what service.search holds per process (the search-count window's start, filter-first answers)."""
    config_cache.clear()
    service_search.clear_held()


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


# Data migrations that load reference data; a transactional test's flush empties those tables too.
REFERENCE_DATA_MIGRATIONS = (
    "aftersales.core.migrations.0004_load_regions",
    "aftersales.sla.migrations.0002_load_calendar",
    "aftersales.notifications.migrations.0002_default_templates",
)


def reference_data_reload() -> None:
    """Load the reference data again after a flush, so later tests of the process find it."""
    for name in REFERENCE_DATA_MIGRATIONS:
        importlib.import_module(name).load(global_apps, None)
    roles_sync()


@pytest.fixture
def _database_triggers_off(django_db_setup: None, django_db_blocker: Any) -> Iterator[None]:
    """Switch the database's own triggers off for a transactional test, and on again after its flush.

    The audit trail is append-only in the database (triggers refuse UPDATE, DELETE and TRUNCATE), but a
    transactional test (which the live server needs) ends by flushing every table, which they refuse.
    """
    triggers: list[tuple[str, ...]] = []
    with django_db_blocker.unblock(), connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(
                "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'core_auditentry'"
            )
            triggers = cursor.fetchall()
            for name, _sql in triggers:
                cursor.execute(f'DROP TRIGGER "{name}"')
        elif connection.vendor == "postgresql":
            triggers = [("core_auditentry",)]
            for (table,) in triggers:
                cursor.execute(f'ALTER TABLE "{table}" DISABLE TRIGGER USER')
    yield
    with django_db_blocker.unblock(), connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            for _name, sql in triggers:
                cursor.execute(sql)
        elif connection.vendor == "postgresql":
            for (table,) in triggers:
                cursor.execute(f'ALTER TABLE "{table}" ENABLE TRIGGER USER')
    with django_db_blocker.unblock():
        reference_data_reload()
    # pytest-django has already closed the test's connections; close the one opened here again, or it
    # outlives the session and PostgreSQL refuses to drop the test database ("being accessed by other users").
    connection.close()


@pytest.fixture
def transactional_db(_database_triggers_off: None, transactional_db: None) -> None:
    """pytest-django's `transactional_db`, set up after (so torn down before) `_database_triggers_off`.

    Overridden rather than autouse because pytest-django's own autouse `_live_server_helper` requests
    `transactional_db` before any autouse fixture of ours could run.
    """
