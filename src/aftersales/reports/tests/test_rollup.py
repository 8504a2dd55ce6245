"""The monthly rollup: its triggers keep it equal to live counts of the requests after every kind of write,
a random run of service calls, compaction, the migration's filling and the bench loader."""

from __future__ import annotations

import datetime as dt
import importlib
import random
from collections import Counter
from types import SimpleNamespace
from typing import Any

import pytest
from django.db import connection
from django.db.models import Count, Sum
from django.utils import timezone
from tests import factories

from aftersales.reports import rollup, selectors
from aftersales.reports.models import ReceivedCount, ResolvedCount
from aftersales.service import rules as service_rules
from aftersales.service import services
from aftersales.service.models import OpenLoad, RequestType, ServiceRequest
from aftersales.service.services import RequestChanges, RequestData
from aftersales.sla.rules import SHANGHAI
from aftersales.sla.services import sla_presets_load

Key = tuple[Any, ...]


def month_of(instant: dt.datetime) -> dt.date:
    return timezone.localtime(instant, SHANGHAI).date().replace(day=1)


def live() -> tuple[dict[Key, int], dict[Key, int]]:
    """What the rollup must sum to, counted in Python from the requests themselves."""
    received: Counter[Key] = Counter()
    resolved: Counter[Key] = Counter()
    rows = ServiceRequest.objects.values_list(
        "received_at", "org_unit_id", "type", "status", "resolved_at", "resolved_in_time"
    )
    for received_at, unit, kind, status, resolved_at, in_time in rows:
        received[(month_of(received_at), unit, kind, status)] += 1
        if resolved_at is not None and in_time is not None:
            resolved[(month_of(resolved_at), unit, in_time)] += 1
    return dict(received), dict(resolved)


def summed() -> tuple[dict[Key, int], dict[Key, int]]:
    """The rollup's sums by key, keys summing to 0 left out (a negative sum would be a bug: it stays)."""
    received: Counter[Key] = Counter()
    resolved: Counter[Key] = Counter()
    for month, unit, kind, status, n in ReceivedCount.objects.values_list(
        "month", "org_unit_id", "type", "status", "n"
    ):
        received[(month, unit, kind, status)] += n
    for month, unit, in_time, n in ResolvedCount.objects.values_list("month", "org_unit_id", "in_time", "n"):
        resolved[(month, unit, in_time)] += n
    return {k: v for k, v in received.items() if v}, {k: v for k, v in resolved.items() if v}


def live_held() -> dict[int, int]:
    """The open requests each person holds, counted from the requests themselves."""
    rows = ServiceRequest.objects.filter(assignee__isnull=False, status__in=service_rules.OPEN)
    return dict(rows.values("assignee_id").annotate(c=Count("id")).values_list("assignee_id", "c"))


def assert_exact(step: str = "") -> None:
    """The dashboard's rollup and the open requests each person holds (service.OpenLoad, kept by the
    same kind of triggers and merged by the same job) both equal what the requests say."""
    assert summed() == live(), step
    assert held() == live_held(), step


def row_count() -> int:
    return ReceivedCount.objects.count() + ResolvedCount.objects.count() + OpenLoad.objects.count()


def held() -> dict[int, int]:
    """The open requests each person holds, by the sums of service.OpenLoad (merged by the same job)."""
    sums = OpenLoad.objects.values("user_id").annotate(s=Sum("n")).values_list("user_id", "s")
    return {user_id: n for user_id, n in sums if n}


@pytest.fixture
def world(org, make_user):
    admin = make_user("admin", org["hq"])
    sla_presets_load(actor=admin)  # resolution limits, so that resolving sets resolved_in_time
    agent = make_user("agent", org["hq"])  # head office: may write for every team
    dispatcher = make_user("agent", org["hq"])
    tech = make_user("technician", org["b"])
    customers = [
        factories.customer(agent, org["a"], name="陈先生", phone="13812345678"),
        factories.customer(agent, org["a1"], name="王女士", phone="13812345679"),
        factories.customer(admin, org["b"], name="林女士", phone="13912345678"),
    ]
    return {"org": org, "admin": admin, "agent": agent, "dispatcher": dispatcher, "tech": tech, "customers": customers}


@pytest.fixture
def run(django_capture_on_commit_callbacks):
    """Call a service with its on-commit work done (the time limits set resolved_in_time there)."""

    def call(fn: Any, **kw: Any) -> Any:
        with django_capture_on_commit_callbacks(execute=True):
            return fn(**kw)

    return call


def create(run, actor, customer, **kw) -> ServiceRequest:
    data = {
        "type": "repair",
        "customer_id": customer.pk,
        "title": "空调不制冷",
        "channel": "phone",
        "auto_assign": False,
    }
    request, _ = run(services.request_create, actor=actor, data=RequestData(**{**data, **kw}))
    return ServiceRequest.objects.get(pk=request.pk)


def move(run, actor, request, action, **kw) -> ServiceRequest:
    if action == "resolve":
        kw.setdefault("resolution", "已修好")
    if action in {"cancel", "reopen", "wait_customer", "wait_parts"}:
        kw.setdefault("reason", "客户要求")
    run(
        services.request_transition, actor=actor, request=request, action=action, expected_version=request.version, **kw
    )
    return ServiceRequest.objects.get(pk=request.pk)


def assign(run, actor, request, **kw) -> ServiceRequest:
    run(services.request_assign, actor=actor, request=request, expected_version=request.version, reason="调整", **kw)
    return ServiceRequest.objects.get(pk=request.pk)


def retype(run, actor, request, kind) -> ServiceRequest:
    changes = RequestChanges(
        type=kind,
        urgency=request.urgency,
        title=request.title,
        description=request.description,
        fault_category_id=request.fault_category_id,
        unit_id=request.unit_id,
        product_model_id=request.product_model_id,
        promised_at=request.promised_at,
        promise_note=request.promise_note,
        contact_name=request.contact_name,
        contact_phone=request.contact_phone,
    )
    run(services.request_update, actor=actor, request=request, expected_version=request.version, changes=changes)
    return ServiceRequest.objects.get(pk=request.pk)


def test_every_kind_of_write_keeps_the_rollup_exact(world, run):
    agent, dispatcher, org = world["agent"], world["dispatcher"], world["org"]
    ca, ca1, cb = world["customers"]
    now = timezone.now()
    assert_exact("empty")
    first = create(run, agent, ca, register_now=False)
    assert first.status == "received"
    assert_exact("created as received")
    old = create(run, agent, ca1, type="installation", received_at=now - dt.timedelta(days=5))
    assert_exact("created registered, five days ago")
    answered = create(run, agent, ca, type="consultation", resolve_now=True, resolution="已解答")
    assert answered.resolved_at is not None
    assert_exact("created resolved")
    first = move(run, agent, first, "register")
    assert_exact("register")
    first = assign(run, dispatcher, first, assignee_id=world["agent"].pk)
    assert first.status == "dispatched"
    assert_exact("dispatch")
    for action in ("start", "wait_customer", "resume", "wait_parts", "resume"):
        first = move(run, agent, first, action)
        assert_exact(action)
    first = move(run, agent, first, "resolve")
    assert first.resolved_in_time is True
    assert_exact("resolved in time")
    first = move(run, agent, first, "close")
    assert_exact("close")
    first = move(run, agent, first, "reopen")
    assert first.resolved_at is None
    assert_exact("reopen")
    first = move(run, agent, first, "resolve")
    assert_exact("resolved again")
    old = assign(run, dispatcher, old, team_id=org["b"].pk)
    assert old.org_unit_id == org["b"].pk
    assert_exact("another owner team")
    old = retype(run, dispatcher, old, "repair")
    assert_exact("another type")
    old = move(run, dispatcher, old, "resolve")
    assert old.resolved_in_time is False
    assert_exact("resolved late")
    resolved_before = summed()[1]
    ServiceRequest.objects.filter(pk=old.pk).update(org_unit=org["a"])  # its resolution moves with it
    assert summed()[1] != resolved_before
    assert_exact("resolved request moved to another team (QuerySet.update)")
    doomed = create(run, dispatcher, cb)
    doomed = move(run, agent, doomed, "cancel") if doomed.status in service_rules.OPEN else doomed
    assert_exact("cancel")
    ServiceRequest.objects.filter(pk=doomed.pk).update(received_at=now - dt.timedelta(days=400))
    assert_exact("received time moved a year back")
    ServiceRequest.objects.filter(pk=doomed.pk).update(resolved_in_time=None)
    ServiceRequest.objects.filter(pk=answered.pk).update(resolved_in_time=None)
    assert_exact("outcome unknown again")
    ServiceRequest.objects.filter(pk=answered.pk).update(
        resolved_in_time=False, resolved_at=now - dt.timedelta(days=40)
    )
    assert_exact("outcome and time of resolution set together")
    ServiceRequest.objects.get(pk=old.pk).delete()
    assert_exact("delete")
    ServiceRequest.objects.filter(pk=first.pk).update(title="只改标题")
    rows = row_count()
    ServiceRequest.objects.filter(pk=first.pk).update(status=first.status, org_unit=first.org_unit)
    assert row_count() == rows  # nothing the rollup counts changed: no rows written


def test_the_months_follow_the_shanghai_calendar(world, run):
    # 2026-03-31 16:30 UTC is 2026-04-01 00:30 in Shanghai; 15:59 UTC is still March there.
    for minute in (16 * 60 + 30, 15 * 60 + 59):
        received_at = dt.datetime(2026, 3, 31, tzinfo=dt.UTC) + dt.timedelta(minutes=minute)
        create(run, world["agent"], world["customers"][0], received_at=received_at)
    months = sorted(ReceivedCount.objects.values_list("month", flat=True))
    assert months == [dt.date(2026, 3, 1), dt.date(2026, 4, 1)]
    assert_exact()


def _actions(request: ServiceRequest) -> list[str]:
    actions = [a for a in service_rules.allowed_actions(request.status) if a != "dispatch"]
    if request.status in service_rules.OPEN:
        actions.append("dispatch")  # an assignment, from any open state
    return actions


def _random_step(rng: random.Random, run, world, created: list[int]) -> str:
    """One random write through the services (or, now and then, behind them): what it did."""
    org, agent, dispatcher = world["org"], world["agent"], world["dispatcher"]
    requests = list(ServiceRequest.objects.filter(pk__in=created))
    op = rng.choices(["create", "move", "team", "type", "outcome", "delete"], [25, 45, 10, 8, 6, 6])[0]
    movable = [r for r in requests if _actions(r)]
    open_ones = [r for r in requests if r.status in service_rules.OPEN]
    editable = [r for r in requests if r.status not in {"closed", "cancelled"}]
    candidates = {"move": movable, "team": open_ones, "type": editable, "outcome": requests, "delete": requests}
    if op == "create" or not candidates[op]:
        customer = rng.choice(world["customers"])
        kind = rng.choice(RequestType.values)
        days = rng.choice([0, 0, 1, 3, 20, 45, 200, 380, 500])
        received_at = timezone.now() - dt.timedelta(days=days, minutes=rng.randint(1, 600))
        extra: dict[str, Any] = {"type": kind, "received_at": received_at}
        if rng.random() < 0.2:
            extra["register_now"] = False
        elif kind == "consultation" and rng.random() < 0.5:
            extra |= {"resolve_now": True, "resolution": "已解答"}
        created.append(create(run, dispatcher, customer, **extra).pk)
        return f"create {kind} {days}d"
    request = rng.choice(candidates[op])
    if op == "move":
        action = rng.choice(_actions(request))
        if action == "dispatch":
            assign(run, dispatcher, request, assignee_id=rng.choice([agent.pk, dispatcher.pk]))
        else:
            move(run, dispatcher, request, action)
        return f"{action} {request.pk}"
    if op == "team":
        team = rng.choice([org["a"], org["a1"], org["b"], org["east"]])
        assign(run, dispatcher, request, team_id=team.pk)
        return f"team {request.pk} → {team.code}"
    if op == "type":
        kind = rng.choice(RequestType.values)
        retype(run, dispatcher, request, kind)
        return f"type {request.pk} → {kind}"
    if op == "outcome":
        ServiceRequest.objects.filter(pk=request.pk).update(resolved_in_time=rng.choice([None, True, False]))
        return f"outcome {request.pk}"
    pk = request.pk
    request.delete()
    created.remove(pk)
    return f"delete {pk}"


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_a_random_run_of_service_calls_keeps_the_rollup_exact(world, run, seed):
    rng = random.Random(seed)
    created: list[int] = []
    done = []
    for _ in range(45):
        done.append(_random_step(rng, run, world, created))
        assert_exact(" / ".join(done[-5:]))
    # The dashboard reads the same figures as a live count over the actor's scope.
    figures = selectors.dashboard(actor=world["admin"], months=24)
    since = figures["since"]
    live_cells = Counter(ServiceRequest.objects.filter(received_at__gte=since).values_list("type", "status"))
    assert {(c["type"], c["status"]): c["count"] for c in figures["by_type_status"]} == dict(live_cells)
    resolved = ServiceRequest.objects.filter(resolved_at__gte=since, resolved_in_time__isnull=False)
    assert figures["timely"]["resolved"] == resolved.count()
    assert figures["timely"]["timely"] == resolved.filter(resolved_in_time=True).count()


def test_compaction_keeps_the_sums_and_drops_the_keys_that_sum_to_nothing(world, run):
    agent, dispatcher, org = world["agent"], world["dispatcher"], world["org"]
    ca = world["customers"][0]
    kept = create(run, agent, ca)
    for action in ("start", "wait_customer", "resume", "resolve", "close", "reopen"):
        kept = move(
            run, agent, assign(run, dispatcher, kept, assignee_id=agent.pk) if action == "start" else kept, action
        )
    gone = create(run, agent, ca, type="complaint")
    gone = assign(run, dispatcher, gone, team_id=org["b"].pk)
    gone.delete()
    sums, holding = summed(), held()
    assert holding == {agent.pk: 1}  # the kept request, open again, is the agent's
    before = row_count()
    now = timezone.now()
    figures = selectors.dashboard(actor=world["admin"], now=now)
    result = rollup.compact()
    assert (result.rows_before, result.rows_after) == (before, row_count())
    assert summed() == sums == live() and held() == holding
    keys = len(sums[0]) + len(sums[1]) + len(holding)
    assert row_count() == keys < before  # one row per key, none for a key that sums to 0
    assert not ReceivedCount.objects.filter(n=0).exists() and not ResolvedCount.objects.filter(n=0).exists()
    assert not ReceivedCount.objects.filter(type="complaint").exists()
    assert selectors.dashboard(actor=world["admin"], now=now) == figures
    assert rollup.compact() == rollup.Compacted(rows_before=keys, rows_after=keys)
    # Writes after a compaction add deltas to the merged rows again.
    move(run, agent, kept, "cancel")
    assert_exact("after compaction")


def test_the_nightly_task_compacts(world, run):
    from aftersales.reports.tasks import rollup_compact

    request = create(run, world["agent"], world["customers"][0])
    move(run, world["agent"], request, "cancel")
    assert row_count() > len(summed()[0])
    rollup_compact.call_local()
    assert row_count() == len(summed()[0]) + len(summed()[1]) + len(held())
    assert_exact()


def run_filling(migration: str) -> None:
    """Run a migration's `fill` on the test database's rows, as the migration did on the first ones."""

    def execute(sql: str) -> None:
        with connection.cursor() as cursor:
            cursor.execute(sql)

    importlib.import_module(migration).fill(None, SimpleNamespace(connection=connection, execute=execute))


def test_the_migrations_filling_equals_the_live_counts(world, run):
    agent = world["agent"]
    for i, customer in enumerate(world["customers"] * 3):
        request = create(
            run, agent, customer, type=RequestType.values[i % 4], received_at=timezone.now() - dt.timedelta(days=37 * i)
        )
        if i % 2:
            move(run, agent, request, "resolve")
    ReceivedCount.objects.all().delete()
    ResolvedCount.objects.all().delete()
    run_filling("aftersales.reports.migrations.0001_rollup")
    assert ResolvedCount.objects.exists()
    assert row_count() - OpenLoad.objects.count() == len(summed()[0]) + len(summed()[1])  # one row per key
    assert_exact()


def test_the_open_load_migrations_filling_equals_the_live_counts(world, run):
    agent, dispatcher = world["agent"], world["dispatcher"]
    for i, customer in enumerate(world["customers"] * 2):
        request = assign(run, dispatcher, create(run, agent, customer), assignee_id=(agent, dispatcher)[i % 2].pk)
        if i % 3 == 0:
            move(run, agent, request, "resolve")
    expected = live_held()
    assert len(expected) == 2
    OpenLoad.objects.all().delete()
    run_filling("aftersales.service.migrations.0010_open_load")
    assert OpenLoad.objects.count() == 2 and held() == expected  # one grouped row per person


def test_the_open_load_triggers_know_the_open_states():
    migration = importlib.import_module("aftersales.service.migrations.0010_open_load")
    # A state added to rules.OPEN needs a migration that makes the triggers again with it.
    assert set(migration.OPEN_STATES) == service_rules.OPEN


def test_deleting_every_request_leaves_nothing_to_count(world, run):
    for customer in world["customers"]:
        move(run, world["agent"], create(run, world["agent"], customer), "resolve")
    ServiceRequest.objects.all().delete()
    assert summed() == ({}, {}) and held() == {}
    if connection.vendor == "sqlite":  # a flush empties the tables in any order: the last delete clears it
        assert row_count() == 0


@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite has no TRUNCATE")
def test_truncating_the_requests_empties_the_rollup(world, run):
    move(run, world["agent"], create(run, world["agent"], world["customers"][0]), "resolve")
    assign(run, world["dispatcher"], create(run, world["agent"], world["customers"][1]), assignee_id=world["agent"].pk)
    assert held() == {world["agent"].pk: 1}
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # TRUNCATE refuses pending foreign key checks
        cursor.execute("TRUNCATE service_servicerequest CASCADE")  # the tests' flush on PostgreSQL
    assert row_count() == 0


def test_the_bench_loader_ends_with_an_exact_compact_rollup(db):
    """The bench scale writes requests behind the ORM (executemany on SQLite, COPY on PostgreSQL): the
    triggers count them all the same, and the reports' demo step merges what they wrote."""
    from aftersales.accounts.services import roles_sync
    from aftersales.service.tests.test_demo_bench import _load

    roles_sync()
    out = _load()
    assert "rollup rows" in out
    assert ServiceRequest.objects.count() == 2500
    assert row_count() == len(summed()[0]) + len(summed()[1]) + len(held())
    assert_exact()
    assert held() != {}
