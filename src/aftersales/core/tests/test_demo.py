"""`manage.py demo` and `manage.py bootstrap`."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from aftersales.accounts.models import OrgUnit, User
from aftersales.accounts.services import roles_sync
from aftersales.catalog.selectors import unit_warranty
from aftersales.core.demo import SCALES, DemoContext
from aftersales.service.demo import NO_WARRANTY
from aftersales.service.models import ServiceRequest


def test_demo_creates_staff_of_every_role_and_is_deterministic(db):
    roles_sync()
    call_command("demo", stdout=io.StringIO())
    roles = set(User.objects.values_list("groups__name", flat=True))
    assert {"agent", "technician", "supervisor", "manager", "auditor", "qa", "parts_clerk", "sales", "expert"} <= roles
    assert OrgUnit.objects.filter(kind="outlet").count() >= 10
    # every unit's path is consistent with its parent's
    for unit in OrgUnit.objects.select_related("parent"):
        if unit.parent:
            assert unit.path == f"{unit.parent.path}{unit.pk}/"
    with pytest.raises(CommandError):
        call_command("demo", stdout=io.StringIO())
    # The demo's requests say "in warranty when received" as intake would have (the page shows it
    # beside today's answer for the unit).
    checked = 0
    for request in ServiceRequest.objects.select_related("unit__product_model__warranty_policy").exclude(unit=None):
        day = timezone.localtime(request.received_at).date()
        expected = None if request.type in NO_WARRANTY else unit_warranty(unit=request.unit, on=day).covered
        assert request.warranty_covered == expected, request.number
        checked += 1
    assert checked > 50


def test_demo_randomness_depends_only_on_the_seed():
    a, b, c = (DemoContext(seed=s, scale=SCALES["small"], out=io.StringIO()) for s in (7, 7, 8))
    draw = [(ctx.faker.name(), ctx.faker.phone_number(), ctx.rng.random()) for ctx in (a, b, c)]
    assert draw[0] == draw[1] != draw[2]


def test_bootstrap_prints_the_password_once_and_loads_demo(db, monkeypatch):
    roles_sync()
    monkeypatch.setenv("AFTERSALES_DEMO", "1")
    out = io.StringIO()
    call_command("bootstrap", stdout=out)
    assert "password" in out.getvalue()
    assert User.objects.filter(is_superuser=True).count() == 1
    assert User.objects.count() > 50
    again = io.StringIO()
    call_command("bootstrap", stdout=again)
    assert "password" not in again.getvalue()


def test_bootstrap_without_demo(db, monkeypatch):
    roles_sync()
    monkeypatch.setenv("AFTERSALES_DEMO", "0")
    call_command("bootstrap", stdout=io.StringIO())
    assert User.objects.count() == 1


def test_demo_requests_have_the_time_limits_a_live_intake_would_plan(db):
    """The first-start demo shows the time limits at work: timers from the loaded policies (the same
    planning as a live intake), met at the history's steps, paused while waiting, the soonest running
    one copied onto the request, and the timeline at the times of that history."""
    from aftersales.service import timers
    from aftersales.service.models import RequestTimer, TimelineEntry

    roles_sync()
    call_command("demo", stdout=io.StringIO())
    requests = list(ServiceRequest.objects.select_related("customer", "product_model", "org_unit"))
    by_request: dict[int, list[RequestTimer]] = {}
    for timer in RequestTimer.objects.all():
        by_request.setdefault(timer.request_id, []).append(timer)
    planned_somewhere = 0
    for request in requests:
        mine = by_request.get(request.pk, [])
        if request.status == "cancelled":
            assert mine == []
            continue
        planned = timers.timers_plan(
            facts=timers.request_facts(request), received_at=request.received_at, unit_path=request.org_unit.path
        )
        assert {(p.metric, p.due_at) for p in planned} == {(t.metric, t.due_at) for t in mine}, request.number
        planned_somewhere += bool(planned)
        assert (request.sla_due_at, request.sla_warn_at) == timers.soonest(mine), request.number
        for timer in mine:
            if timer.met_at is not None:
                assert timer.paused_at is None
                assert (timer.breached_at is not None) == (timer.met_at > timer.due_at)
            if request.status in {"waiting_parts", "waiting_customer"} and timer.met_at is None:
                assert timer.paused_at is not None
        if request.status in {"resolved", "closed"}:
            resolution = next((t for t in mine if t.metric == "resolution"), None)
            if resolution is not None:
                assert resolution.met_at == request.resolved_at
                assert request.resolved_in_time is (resolution.breached_at is None)
    assert planned_somewhere > 200
    assert RequestTimer.objects.filter(met_at=None, paused_at=None).exists()
    assert not RequestTimer.objects.filter(met_at__gt=timezone.now()).exists()
    # The timeline follows the history, not the moment the demo was loaded.
    for entry in TimelineEntry.objects.select_related("request").filter(data__action="resolve"):
        assert entry.created_at == entry.request.resolved_at
    received = TimelineEntry.objects.select_related("request").filter(data__event="received")
    assert all(entry.created_at == entry.request.received_at for entry in received)
