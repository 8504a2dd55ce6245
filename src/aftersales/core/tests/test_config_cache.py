"""The per-process configuration cache (core.config_cache): exact across processes by a generation number.

"Another worker process" is simulated by keeping this process's cache and changing the data through the
ORM and the services: only the generation in the database can then tell the cache that its copy is old.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.apps import apps
from django.contrib.auth.models import Group, Permission
from django.core.management.sql import emit_post_migrate_signal
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from tests import factories

from aftersales.accounts import services as accounts
from aftersales.accounts.models import OrgUnit, OrgUnitKind, User
from aftersales.accounts.selectors import visible_unit_ids
from aftersales.core import config_cache
from aftersales.core.models import Sequence
from aftersales.core.versioning import save_versioned
from aftersales.notifications.models import NotificationTemplate
from aftersales.notifications.services import templates_for
from aftersales.service import services as service
from aftersales.service import timers
from aftersales.service.models import AssignmentRule, ServiceRequest, StaffAvailability
from aftersales.service.services import RequestData
from aftersales.sla.models import BusinessCalendar, SlaPolicy, SlaTarget


class Rollback(Exception):
    """Raised inside a transaction to roll it back."""


class Loader:
    """A loader that counts its calls and returns the value it is told to."""

    def __init__(self, value: Any = "v1") -> None:
        self.value = value
        self.calls = 0

    def __call__(self) -> Any:
        self.calls += 1
        return self.value


def generation_reads(queries: CaptureQueriesContext) -> int:
    """How many of the captured statements read the generation row."""
    return sum(
        1
        for q in queries.captured_queries
        if q["sql"].startswith("SELECT") and Sequence._meta.db_table in q["sql"] and "config" in q["sql"]
    )


@pytest.fixture
def in_request() -> Iterator[None]:
    """Run the test body as the middleware runs a web request."""
    token = config_cache.request_started()
    try:
        yield
    finally:
        config_cache.request_finished(token)


# --- the generation and cached() -------------------------------------------------------------


def test_a_database_has_a_generation_row_after_migrate(db: None) -> None:
    assert Sequence.objects.filter(name=config_cache.GENERATION_NAME).exists()
    assert config_cache.generation() == Sequence.objects.get(name=config_cache.GENERATION_NAME).value


def test_cached_serves_the_copy_while_the_generation_is_unchanged(db: None) -> None:
    load = Loader({"a": 1})
    first = config_cache.cached("k", load)
    assert config_cache.cached("k", load) is first
    assert config_cache.cached("k", load) is first
    assert load.calls == 1
    # Other keys are separate entries.
    other = Loader("other")
    assert config_cache.cached("k2", other) == "other" and other.calls == 1
    assert config_cache.cached("k", load) is first and load.calls == 1


def test_config_changed_gives_a_new_generation_and_cached_reloads(db: None) -> None:
    before = config_cache.generation()
    load = Loader("old")
    assert config_cache.cached("k", load) == "old"
    config_cache.config_changed()
    after = config_cache.generation()
    assert after is not None and after != before
    assert Sequence.objects.get(name=config_cache.GENERATION_NAME).value == after
    load.value = "new"
    assert config_cache.cached("k", load) == "new" and load.calls == 2
    assert config_cache.cached("k", load) == "new" and load.calls == 2


def test_each_change_gives_a_number_not_seen_before(db: None) -> None:
    seen = {config_cache.generation()}
    for _ in range(20):
        config_cache.config_changed()
        seen.add(config_cache.generation())
    assert len(seen) == 21


def test_another_process_changing_the_generation_row_invalidates_this_process(db: None) -> None:
    load = Loader("old")
    config_cache.cached("k", load)
    # What another worker's config_changed() leaves in the database (committed by it).
    Sequence.objects.filter(name=config_cache.GENERATION_NAME).update(value=12345)
    load.value = "new"
    assert config_cache.cached("k", load) == "new" and load.calls == 2
    assert config_cache.generation() == 12345


def test_without_a_generation_row_nothing_is_cached(db: None) -> None:
    Sequence.objects.filter(name=config_cache.GENERATION_NAME).delete()
    assert config_cache.generation() is None
    load = Loader("v")
    for _ in range(3):
        assert config_cache.cached("k", load) == "v"
    assert load.calls == 3
    # The first change creates the row again, and caching starts.
    config_cache.config_changed()
    assert config_cache.generation() is not None
    config_cache.cached("k", load)
    config_cache.cached("k", load)
    assert load.calls == 4


def test_clear_forgets_every_entry(db: None) -> None:
    load = Loader()
    config_cache.cached("k", load)
    config_cache.clear()
    config_cache.cached("k", load)
    assert load.calls == 2


def test_beyond_max_entries_the_cache_starts_afresh(db: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(config_cache, "MAX_ENTRIES", 3)
    loaders = [Loader(i) for i in range(4)]
    for i, load in enumerate(loaders):
        assert config_cache.cached(f"k{i}", load) == i
    assert len(config_cache._entries) == 1  # cleared when the fourth came
    config_cache.cached("k3", loaders[3])
    config_cache.cached("k0", loaders[0])
    assert loaders[3].calls == 1 and loaders[0].calls == 2


def test_outside_a_request_the_generation_is_read_at_every_use(db: None) -> None:
    config_cache.cached("k", Loader())
    with CaptureQueriesContext(connection) as queries:
        for _ in range(3):
            config_cache.cached("k", Loader())
    assert generation_reads(queries) == 3
    assert len(queries) == 3


# --- within a web request --------------------------------------------------------------------


def test_a_request_reads_the_generation_once(db: None, in_request: None) -> None:
    a, b = Loader("a"), Loader("b")
    with CaptureQueriesContext(connection) as queries:
        config_cache.cached("a", a)
        config_cache.cached("b", b)
        config_cache.cached("a", a)
        config_cache.generation()
    assert generation_reads(queries) == 1
    assert len(queries) == 1
    assert a.calls == 1 and b.calls == 1


def test_a_request_keeps_its_generation_even_if_another_process_changes_it(db: None, in_request: None) -> None:
    load = Loader("old")
    config_cache.cached("k", load)
    seen = config_cache.generation()
    Sequence.objects.filter(name=config_cache.GENERATION_NAME).update(value=999)
    assert config_cache.generation() == seen
    assert config_cache.cached("k", load) == "old" and load.calls == 1


def test_the_next_request_reads_the_generation_again(db: None) -> None:
    load = Loader("old")
    token = config_cache.request_started()
    config_cache.cached("k", load)
    config_cache.request_finished(token)
    Sequence.objects.filter(name=config_cache.GENERATION_NAME).update(value=999)
    token = config_cache.request_started()
    try:
        with CaptureQueriesContext(connection) as queries:
            load.value = "new"
            assert config_cache.cached("k", load) == "new"
        assert generation_reads(queries) == 1
    finally:
        config_cache.request_finished(token)
    # And outside requests again at every use.
    assert config_cache._request_memo.get() is None


def test_config_changed_inside_a_request_is_seen_by_the_next_cached(db: None, in_request: None) -> None:
    load = Loader("old")
    config_cache.cached("k", load)
    config_cache.config_changed()
    load.value = "new"
    with CaptureQueriesContext(connection) as queries:
        assert config_cache.cached("k", load) == "new"
    assert load.calls == 2
    assert config_cache.generation() == Sequence.objects.get(name=config_cache.GENERATION_NAME).value
    assert generation_reads(queries) <= 1


def test_a_change_committed_at_once_inside_a_request_updates_the_memo(transactional_db: None, in_request: None) -> None:
    """In autocommit the new number is committed with the statement: the memo takes it, no new read."""
    assert not connection.in_atomic_block
    load = Loader("old")
    config_cache.cached("k", load)
    with CaptureQueriesContext(connection) as queries:
        config_cache.config_changed()
        load.value = "new"
        assert config_cache.cached("k", load) == "new"
        assert config_cache.cached("k", load) == "new"
    assert load.calls == 2
    assert generation_reads(queries) == 0 and len(queries) == 1  # the INSERT … ON CONFLICT only
    assert config_cache.generation() == Sequence.objects.get(name=config_cache.GENERATION_NAME).value
    # A change inside a transaction that commits: still right afterwards.
    with transaction.atomic():
        config_cache.config_changed()
    load.value = "newer"
    assert config_cache.cached("k", load) == "newer"
    assert config_cache.generation() == Sequence.objects.get(name=config_cache.GENERATION_NAME).value


def test_the_middleware_reads_the_generation_at_most_once_per_page(
    org: Any, make_user: Any, ui_client_for: Any
) -> None:
    agent = make_user("agent", org["a"])
    client = ui_client_for(agent)
    assert client.get("/").status_code == 200  # warm
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/").status_code == 200
    assert generation_reads(queries) <= 1
    assert config_cache._request_memo.get() is None


# --- transactions ----------------------------------------------------------------------------


def test_a_rollback_restores_the_old_generation_and_drops_what_was_loaded_inside(db: None) -> None:
    before = config_cache.generation()
    load = Loader("committed")
    config_cache.cached("k", load)
    with contextlib.suppress(Rollback), transaction.atomic():
        config_cache.config_changed()
        assert config_cache.generation() != before
        load.value = "rolled back"
        assert config_cache.cached("k", load) == "rolled back"
        raise Rollback
    assert config_cache.generation() == before
    load.value = "committed"
    assert config_cache.cached("k", load) == "committed"
    assert load.calls == 3


def test_a_rollback_inside_a_request_is_not_served_later_in_that_request(db: None, in_request: None) -> None:
    before = config_cache.generation()
    load = Loader("committed")
    config_cache.cached("k", load)
    with contextlib.suppress(Rollback), transaction.atomic():
        config_cache.config_changed()
        load.value = "rolled back"
        assert config_cache.cached("k", load) == "rolled back"
        raise Rollback
    assert config_cache.generation() == before
    load.value = "committed"
    assert config_cache.cached("k", load) == "committed"


def test_a_rolled_back_model_change_is_not_served(org: Any, make_user: Any) -> None:
    user = make_user("agent", org["a"])
    assert not User.objects.get(pk=user.pk).has_perm("accounts.add_user")
    with contextlib.suppress(Rollback), transaction.atomic():
        user.groups.add(Group.objects.get(name="supervisor"))
        assert User.objects.get(pk=user.pk).has_perm("accounts.add_user")
        raise Rollback
    assert not User.objects.get(pk=user.pk).has_perm("accounts.add_user")


def test_a_role_granted_in_a_rolled_back_transaction_is_gone_for_the_rest_of_the_request(
    org: Any, make_user: Any, in_request: None
) -> None:
    user = make_user("agent", org["a"])
    assert not User.objects.get(pk=user.pk).has_perm("accounts.add_user")
    with contextlib.suppress(Rollback), transaction.atomic():
        user.groups.add(Group.objects.get(name="supervisor"))
        assert User.objects.get(pk=user.pk).has_perm("accounts.add_user")
        raise Rollback
    assert not user.groups.filter(name="supervisor").exists()
    assert not User.objects.get(pk=user.pk).has_perm("accounts.add_user")


# --- invalidation through the watched models -------------------------------------------------


@pytest.fixture
def world(org: dict[str, OrgUnit], make_user: Callable[..., User]) -> dict[str, Any]:
    manager = make_user("manager", org["hq"])
    agent = make_user("agent", org["a"])
    model = factories.product_model(manager)
    customer = factories.customer(agent, org["a"], name="陈先生", phone="13812345678")
    unit = factories.sold_unit(
        agent, model, customer, org["a"], serial="JS-0001", sale_date=timezone.localdate() - dt.timedelta(days=30)
    )
    return {"manager": manager, "agent": agent, "customer": customer, "unit": unit}


def create_request(world: dict[str, Any]) -> ServiceRequest:
    request, _created = service.request_create(
        actor=world["agent"],
        data=RequestData(
            type="repair",
            customer_id=world["customer"].pk,
            title="净水器漏水",
            description="厨房净水器底部漏水",
            channel="phone",
            unit_id=world["unit"].pk,
            auto_assign=True,
        ),
    )
    request.refresh_from_db()
    return request


@pytest.fixture
def count_assignment_loads(monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    calls = {"n": 0}
    original = service._assignment_config

    def counting() -> Any:
        calls["n"] += 1
        return original()

    monkeypatch.setattr(service, "_assignment_config", counting)
    return calls


def test_assignment_sees_a_technician_going_off_duty(
    world: dict[str, Any], org: dict[str, OrgUnit], make_user: Any, count_assignment_loads: dict[str, int]
) -> None:
    tech = make_user("technician", org["a1"])  # the only person of the team
    availability = StaffAvailability.objects.create(user=tech, on_duty=True)
    AssignmentRule.objects.create(name="徐汇", request_type="repair", within_unit=org["a"], target_unit=org["a1"])
    first = create_request(world)
    second = create_request(world)
    assert first.assignee == tech and first.status == "dispatched"
    assert second.assignee == tech
    assert count_assignment_loads["n"] == 1  # the second create was served from the cache

    availability.on_duty = False
    availability.save()
    third = create_request(world)
    assert third.assignee is None and third.status == "registered"
    assert count_assignment_loads["n"] == 2


def test_assignment_sees_a_new_technician_and_a_deactivated_rule(
    world: dict[str, Any], org: dict[str, OrgUnit], make_user: Any
) -> None:
    rule = AssignmentRule.objects.create(
        name="徐汇", request_type="repair", within_unit=org["a"], target_unit=org["a1"]
    )
    assert create_request(world).assignee is None  # nobody in the team yet: cached as such
    tech = make_user("technician", org["a1"])
    assert create_request(world).assignee == tech
    rule.is_active = False
    rule.save()
    assert create_request(world).assignee is None


def test_assignment_rule_progress_does_not_renew_the_configuration(
    world: dict[str, Any], org: dict[str, OrgUnit], make_user: Any
) -> None:
    tech = make_user("technician", org["a"])
    rule = AssignmentRule.objects.create(name="轮派", within_unit=org["a"], target_unit=org["a"])
    before = config_cache.generation()
    rule.last_assigned = tech
    rule.save(update_fields=["last_assigned"])
    assert config_cache.generation() == before
    rule.priority = 5
    rule.save(update_fields=["priority", "last_assigned"])
    assert config_cache.generation() != before


def test_a_change_that_bypasses_signals_is_not_seen_until_config_changed(org: Any, make_user: Any) -> None:
    """The proof that permissions really come from the cache (and so that the tests below mean something)."""
    user = make_user("agent", org["a"])
    assert not User.objects.get(pk=user.pk).has_perm("accounts.add_user")
    User.groups.through.objects.bulk_create(
        [User.groups.through(user_id=user.pk, group_id=Group.objects.get(name="supervisor").pk)]
    )
    assert not User.objects.get(pk=user.pk).has_perm("accounts.add_user")  # the cached set
    config_cache.config_changed()
    assert User.objects.get(pk=user.pk).has_perm("accounts.add_user")


def test_permissions_follow_a_group_change(org: Any, make_user: Any) -> None:
    user = make_user("agent", org["a"])
    supervisor = Group.objects.get(name="supervisor")
    assert not User.objects.get(pk=user.pk).has_perm("accounts.add_user")
    user.groups.add(supervisor)
    assert User.objects.get(pk=user.pk).has_perm("accounts.add_user")
    user.groups.remove(supervisor)
    assert not User.objects.get(pk=user.pk).has_perm("accounts.add_user")
    supervisor.user_set.add(user)  # from the other side of the relation
    assert User.objects.get(pk=user.pk).has_perm("accounts.add_user")
    user.groups.clear()
    assert not User.objects.get(pk=user.pk).has_perm("service.add_servicerequest")


def test_permissions_follow_a_role_change_through_the_service(org: Any, make_user: Any) -> None:
    admin = make_user("admin", org["hq"])
    user = make_user("agent", org["a"])
    assert User.objects.get(pk=user.pk).has_perm("service.add_servicerequest")
    assert not User.objects.get(pk=user.pk).has_perm("accounts.add_user")
    accounts.user_set_roles(actor=admin, user=user, roles=["supervisor"])
    assert User.objects.get(pk=user.pk).has_perm("accounts.add_user")
    accounts.user_set_roles(actor=admin, user=user, roles=["parts_clerk"])
    fresh = User.objects.get(pk=user.pk)
    assert not fresh.has_perm("accounts.add_user") and not fresh.has_perm("service.add_servicerequest")


def test_permissions_follow_a_change_of_the_groups_permissions(org: Any, make_user: Any) -> None:
    user = make_user("agent", org["a"])
    agent = Group.objects.get(name="agent")
    perm = Permission.objects.get(content_type__app_label="service", codename="add_servicerequest")
    assert User.objects.get(pk=user.pk).has_perm("service.add_servicerequest")
    agent.permissions.remove(perm)
    assert not User.objects.get(pk=user.pk).has_perm("service.add_servicerequest")
    agent.permissions.add(perm)
    assert User.objects.get(pk=user.pk).has_perm("service.add_servicerequest")


def test_permissions_follow_a_deleted_permission(org: Any, make_user: Any) -> None:
    # remove_stale_contenttypes deletes permissions; the grants go with them without m2m signals.
    user = make_user("agent", org["a"])
    assert User.objects.get(pk=user.pk).has_perm("service.add_servicerequest")
    Permission.objects.get(content_type__app_label="service", codename="add_servicerequest").delete()
    assert not User.objects.get(pk=user.pk).has_perm("service.add_servicerequest")


def test_permissions_follow_a_direct_user_permission(org: Any, make_user: Any) -> None:
    user = make_user("agent", org["a"])
    perm = Permission.objects.get(content_type__app_label="accounts", codename="add_user")
    assert not User.objects.get(pk=user.pk).has_perm("accounts.add_user")
    user.user_permissions.add(perm)
    assert User.objects.get(pk=user.pk).has_perm("accounts.add_user")


def test_scope_follows_an_additional_unit(org: Any, make_user: Any) -> None:
    user = make_user("agent", org["b"])
    assert visible_unit_ids(User.objects.get(pk=user.pk)) == {org["b"].pk}
    user.additional_units.add(org["a"])
    assert visible_unit_ids(User.objects.get(pk=user.pk)) == {org["b"].pk, org["a"].pk, org["a1"].pk}
    user.additional_units.remove(org["a"])
    assert visible_unit_ids(User.objects.get(pk=user.pk)) == {org["b"].pk}


def test_scope_follows_a_new_child_unit(org: Any, make_user: Any) -> None:
    admin = make_user("admin", org["hq"])
    user = make_user("agent", org["b"])
    assert visible_unit_ids(User.objects.get(pk=user.pk)) == {org["b"].pk}
    team = accounts.org_unit_create(actor=admin, name="天河维修组", code="T-B1", kind=OrgUnitKind.TEAM, parent=org["b"])
    assert visible_unit_ids(User.objects.get(pk=user.pk)) == {org["b"].pk, team.pk}


def test_scope_follows_a_move_to_another_unit_and_a_new_role(org: Any, make_user: Any) -> None:
    user = make_user("agent", org["b"])
    assert visible_unit_ids(User.objects.get(pk=user.pk)) == {org["b"].pk}
    user.org_unit = org["east"]
    user.save(update_fields=["org_unit"])
    assert visible_unit_ids(User.objects.get(pk=user.pk)) == {org["east"].pk, org["a"].pk, org["a1"].pk}
    user.groups.add(Group.objects.get(name="manager"))  # head-office scope
    assert visible_unit_ids(User.objects.get(pk=user.pk)) is None


@pytest.fixture
def policy(db: None) -> SlaPolicy:
    calendar = BusinessCalendar.objects.create(name="测试日历", intervals=[[540, 1080]])
    policy = SlaPolicy.objects.create(name="测试维修时限", request_type="repair", calendar=calendar, priority=1)
    SlaTarget.objects.create(policy=policy, metric="resolution", amount=24, unit="working_hours")
    return policy


def targets_of(name: str) -> dict[str, int] | None:
    found = [p for p in timers._active_policies() if p.name == name]
    if not found:
        return None
    return {t.metric: t.amount for t in found[0].targets.all()}


def test_sla_policies_follow_target_and_policy_changes(policy: SlaPolicy) -> None:
    assert targets_of(policy.name) == {"resolution": 24}
    # Cached: a change that sends no signal is not seen...
    SlaTarget.objects.filter(policy=policy).update(amount=30)
    assert targets_of(policy.name) == {"resolution": 24}
    # ...a save is.
    target = SlaTarget.objects.get(policy=policy)
    target.amount = 48
    target.save()
    assert targets_of(policy.name) == {"resolution": 48}
    SlaTarget.objects.create(policy=policy, metric="first_response", amount=2, unit="working_hours")
    assert targets_of(policy.name) == {"resolution": 48, "first_response": 2}
    policy.is_active = False
    policy.save()
    assert targets_of(policy.name) is None


def calendar_intervals_of(policy: SlaPolicy) -> Any:
    calendar = next(p for p in timers._active_policies() if p.pk == policy.pk).calendar
    assert calendar is not None
    return calendar.intervals


def test_sla_policies_follow_a_calendar_change(policy: SlaPolicy) -> None:
    assert calendar_intervals_of(policy) == [[540, 1080]]
    calendar = BusinessCalendar.objects.get(slapolicy=policy)
    calendar.intervals = [[480, 1020]]
    calendar.save()
    assert calendar_intervals_of(policy) == [[480, 1020]]


def test_templates_follow_template_changes(db: None) -> None:
    template = NotificationTemplate.objects.create(event="test.event", channel="sms", body="第一版")
    assert templates_for(["test.event"])[("test.event", "sms")].body == "第一版"
    NotificationTemplate.objects.filter(pk=template.pk).update(body="不发信号")
    assert templates_for(["test.event"])[("test.event", "sms")].body == "第一版"  # cached
    template.body = "第二版"
    template.save()
    assert templates_for(["test.event"])[("test.event", "sms")].body == "第二版"
    template.is_active = False
    template.save()
    assert templates_for(["test.event"]) == {}
    template.delete()
    NotificationTemplate.objects.create(event="test.event", channel="email", body="邮件")
    assert set(templates_for(["test.event"])) == {("test.event", "email")}


def test_save_versioned_of_a_watched_model_renews_the_generation(org: Any) -> None:
    unit = OrgUnit.objects.get(pk=org["a"].pk)
    before = config_cache.generation()
    unit.name = "徐汇网点（新）"
    save_versioned(unit, expected_version=unit.version, fields=["name"])
    assert config_cache.generation() != before


def test_save_versioned_of_an_unwatched_model_keeps_the_generation(world: dict[str, Any]) -> None:
    customer = world["customer"]
    customer.refresh_from_db()
    before = config_cache.generation()
    customer.name = "陈先生（改）"
    save_versioned(customer, expected_version=customer.version, fields=["name"])
    assert config_cache.generation() == before


def test_org_unit_update_is_seen_by_cached_scope(org: Any, make_user: Any) -> None:
    """save_versioned (an UPDATE without signals) still renews cached values built from the org tree."""
    load = Loader("tree v1")
    config_cache.cached("tree", load)
    admin = make_user("admin", org["hq"])
    unit = OrgUnit.objects.get(pk=org["b"].pk)
    accounts.org_unit_update(
        actor=admin, unit=unit, expected_version=unit.version, name="广州网点", phone="", address="", is_active=True
    )
    config_cache.cached("tree", load)
    assert load.calls == 2


def test_deleting_a_watched_row_renews_the_generation(db: None) -> None:
    template = NotificationTemplate.objects.create(event="test.event", channel="sms", body="x")
    before = config_cache.generation()
    template.delete()
    assert config_cache.generation() != before


# --- what does and does not count as a change -------------------------------------------------


def test_a_sign_in_time_or_password_save_keeps_the_generation(org: Any, make_user: Any) -> None:
    user = make_user("agent", org["a"])
    before = config_cache.generation()
    user.last_login = timezone.now()
    user.save(update_fields=["last_login"])
    assert config_cache.generation() == before
    user.set_password("Another-Horse-43")
    user.save(update_fields=["password"])
    user.save(update_fields=["last_login", "password", "preferred_language"])
    assert config_cache.generation() == before


def test_is_active_or_a_full_save_of_a_user_renews_the_generation(org: Any, make_user: Any) -> None:
    user = make_user("agent", org["a"])
    before = config_cache.generation()
    user.is_active = False
    user.save(update_fields=["is_active"])
    after_is_active = config_cache.generation()
    assert after_is_active != before
    user.save(update_fields=["last_login", "is_active"])  # one field outside the ignored ones is enough
    after_mixed = config_cache.generation()
    assert after_mixed != after_is_active
    user.save()
    assert config_cache.generation() != after_mixed


def test_unwatched_models_do_not_renew_the_generation(world: dict[str, Any]) -> None:
    before = config_cache.generation()
    create_request(world)
    assert config_cache.generation() == before


def test_watched_models_are_the_configuration() -> None:
    for model in (
        OrgUnit,
        User,
        Group,
        Permission,
        AssignmentRule,
        StaffAvailability,
        SlaPolicy,
        SlaTarget,
        NotificationTemplate,
    ):
        assert config_cache.is_watched(model), model
    assert not config_cache.is_watched(ServiceRequest)
    assert not config_cache.is_watched(Sequence)


# --- migrate ----------------------------------------------------------------------------------


def test_after_migrate_writes_a_new_generation(db: None) -> None:
    before = config_cache.generation()
    config_cache.after_migrate(sender=apps.get_app_config("core"), using=connection.alias)
    assert config_cache.generation() not in (None, before)


def test_after_migrate_of_another_app_does_nothing(db: None) -> None:
    before = config_cache.generation()
    config_cache.after_migrate(sender=apps.get_app_config("service"), using=connection.alias)
    config_cache.after_migrate(sender=apps.get_app_config("core"), using="other")
    assert config_cache.generation() == before


def test_migrate_post_migrate_signal_creates_the_row_on_a_new_database(db: None) -> None:
    Sequence.objects.filter(name=config_cache.GENERATION_NAME).delete()
    assert config_cache.generation() is None
    emit_post_migrate_signal(verbosity=0, interactive=False, db=connection.alias)
    assert config_cache.generation() is not None


def test_migrate_post_migrate_signal_renews_the_generation(db: None) -> None:
    load = Loader()
    config_cache.cached("k", load)
    before = config_cache.generation()
    emit_post_migrate_signal(verbosity=0, interactive=False, db=connection.alias)
    assert config_cache.generation() != before
    config_cache.cached("k", load)
    assert load.calls == 2


def test_team_and_staff_choices_follow_people_roles_and_units(
    world: dict[str, Any], org: dict[str, OrgUnit], make_user: Any
) -> None:
    from aftersales.service import selectors

    def agent() -> User:  # as each request loads the person afresh (their scope is memoised on it)
        return User.objects.get(pk=world["agent"].pk)

    def staff() -> set[str]:
        return {u.username for u in selectors.staff_choices(actor=agent())}

    def teams() -> set[str]:
        return {t.name for t in selectors.team_choices(actor=agent())}

    before_staff, before_teams = staff(), teams()
    person = agent()
    with CaptureQueriesContext(connection) as queries:
        assert {u.username for u in selectors.staff_choices(actor=person)} == before_staff
        assert {t.name for t in selectors.team_choices(actor=person)} == before_teams
    assert generation_reads(queries) == len(queries.captured_queries)  # served from the copies

    tech = make_user("technician", org["a"])  # a new person who may work on requests
    assert tech.username in staff()
    tech.groups.clear()  # the role taken away
    assert tech.username not in staff()
    tech.groups.add(Group.objects.get(name="technician"))
    assert tech.username in staff()
    User.objects.filter(pk=tech.pk).update(is_active=False)  # behind the signals' back …
    config_cache.config_changed()  # … as the bulk paths do
    assert tech.username not in staff()

    from conftest import make_unit

    new_team = make_unit("徐汇安装组", "T-A2", OrgUnitKind.TEAM, org["a"])
    assert "徐汇安装组" in teams()
    new_team.is_active = False
    new_team.save()
    assert "徐汇安装组" not in teams()


def test_team_and_staff_choices_are_held_per_scope_never_shared_across_scopes(
    world: dict[str, Any], org: dict[str, OrgUnit], make_user: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from aftersales.service import selectors

    tech_a = make_user("technician", org["a"])
    tech_b = make_user("technician", org["b"])
    agent_a, colleague_a = world["agent"], make_user("agent", org["a"])
    agent_b = make_user("agent", org["b"])

    def staff(user: User) -> set[str]:
        return {u.username for u in selectors.staff_choices(actor=User.objects.get(pk=user.pk))}

    assert tech_a.username in staff(agent_a) and tech_b.username not in staff(agent_a)
    assert tech_b.username in staff(agent_b) and tech_a.username not in staff(agent_b)
    assert {tech_a.username, tech_b.username} <= staff(world["manager"])  # head office: every unit
    # The same scope shares one copy: the colleague's comes without loading.
    expected = staff(agent_a)
    calls: list[Any] = []
    original = selectors.assignable_staff
    monkeypatch.setattr(selectors, "assignable_staff", lambda **kw: calls.append(kw) or original(**kw))
    assert staff(colleague_a) == expected and calls == []
    assert staff(agent_b) != expected and calls == []
    assert {t.name for t in selectors.team_choices(actor=User.objects.get(pk=agent_b.pk))} == {org["b"].name}
