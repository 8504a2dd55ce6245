"""Time limits on requests: policy matching, due times, met/breached, pause/resume, warn and escalate once."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from tests import factories

from aftersales.notifications.models import OutboxMessage
from aftersales.service import services, timers
from aftersales.service.models import RequestTimer, ServiceRequest
from aftersales.service.services import RequestData
from aftersales.sla.models import SlaPolicy, SlaTarget
from aftersales.sla.rules import SHANGHAI
from aftersales.sla.services import sla_presets_load

MONDAY_10 = dt.datetime(2026, 11, 16, 10, 0, tzinfo=SHANGHAI)


@pytest.fixture
def world(org, make_user):
    agent = make_user("agent", org["a"], email="agent@example.cn")
    supervisor = make_user("supervisor", org["a"], email="boss@example.cn")
    customer = factories.customer(agent, org["a"], name="陈先生", phone="13812345678")
    sla_presets_load(actor=make_user("admin", org["hq"]))
    return {"agent": agent, "supervisor": supervisor, "customer": customer}


def create(world, captured, **kw):
    data = {
        "type": "repair",
        "customer_id": world["customer"].pk,
        "title": "空调不制冷",
        "channel": "phone",
        "received_at": MONDAY_10,
        "register_now": False,
        "auto_assign": False,
        **kw,
    }
    with captured(execute=True):
        request, _ = services.request_create(actor=world["agent"], data=RequestData(**data))
    return request


def test_presets_need_permission(org, make_user):
    from aftersales.core.errors import PermissionDenied

    with pytest.raises(PermissionDenied):
        sla_presets_load(actor=make_user("agent", org["a"]))


def test_the_most_specific_policy_sets_stored_due_times(world, django_capture_on_commit_callbacks):
    repair = create(world, django_capture_on_commit_callbacks)
    due = {t.metric: t.due_at for t in repair.timers.all()}
    assert due["first_response"] == MONDAY_10 + dt.timedelta(minutes=30)
    assert due["on_site"] == MONDAY_10 + dt.timedelta(hours=24)
    critical = create(world, django_capture_on_commit_callbacks, urgency="critical", type="consultation")
    assert {t.metric for t in critical.timers.all()} == {"first_response", "resolution"}
    assert critical.timers.get(metric="first_response").due_at == MONDAY_10 + dt.timedelta(hours=1)
    complaint = create(world, django_capture_on_commit_callbacks, type="complaint")
    # 3 working days after Monday 16 Nov → end of Thursday 19 Nov
    assert complaint.timers.get(metric="complaint_investigation").due_at == dt.datetime(
        2026, 11, 19, 18, tzinfo=SHANGHAI
    )


def test_a_change_of_type_recomputes_the_unmet_timers(world, django_capture_on_commit_callbacks):
    request = create(world, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        services.request_update(
            actor=world["agent"],
            request=request,
            expected_version=request.version,
            changes=services.RequestChanges(
                type="complaint",
                urgency="normal",
                title=request.title,
                description="",
                fault_category_id=None,
                unit_id=None,
                product_model_id=None,
                promised_at=None,
                promise_note="",
                contact_name="",
                contact_phone="",
            ),
        )
    assert "complaint_result" in set(request.timers.values_list("metric", flat=True))
    assert "on_site" not in set(request.timers.values_list("metric", flat=True))


def test_steps_meet_metrics_and_late_ones_are_breached(world, django_capture_on_commit_callbacks):
    request = create(world, django_capture_on_commit_callbacks, received_at=timezone.now() - dt.timedelta(hours=2))
    with django_capture_on_commit_callbacks(execute=True):
        services.request_transition(
            actor=world["agent"], request=request, action="register", expected_version=request.version
        )
    first = request.timers.get(metric="first_response")
    assert first.met_at is not None and first.breached_at is not None  # 30 minutes allowed, 2 hours taken
    assert request.timers.get(metric="resolution").met_at is None


def test_waiting_pauses_the_clock_and_adds_the_waited_time(world, django_capture_on_commit_callbacks):
    request = create(world, django_capture_on_commit_callbacks, received_at=timezone.now(), register_now=True)
    before = request.timers.get(metric="resolution").due_at
    with django_capture_on_commit_callbacks(execute=True):
        services.request_transition(
            actor=world["agent"],
            request=request,
            action="wait_customer",
            expected_version=request.version,
            reason="客户出差",
        )
    paused = request.timers.get(metric="resolution")
    assert paused.paused_at is not None
    RequestTimer.objects.filter(pk=paused.pk).update(paused_at=paused.paused_at - dt.timedelta(hours=5))
    with django_capture_on_commit_callbacks(execute=True):
        services.request_transition(
            actor=world["agent"], request=request, action="resume", expected_version=request.version
        )
    resumed = request.timers.get(metric="resolution")
    assert resumed.paused_at is None
    assert dt.timedelta(hours=5) <= resumed.paused_total < dt.timedelta(hours=5, minutes=1)
    assert resumed.due_at - before == resumed.paused_total
    assert timers.sla_sweep(now=paused.paused_at + dt.timedelta(days=30)) is not None  # a paused timer is skipped


def test_sweep_warns_then_breaches_and_escalates_exactly_once(world, django_capture_on_commit_callbacks):
    request = create(world, django_capture_on_commit_callbacks, received_at=MONDAY_10, register_now=True)
    ServiceRequest.objects.filter(pk=request.pk).update(assignee=world["agent"])
    on_site = request.timers.get(metric="on_site")
    at_85 = on_site.started_at + (on_site.due_at - on_site.started_at) * 0.85
    with django_capture_on_commit_callbacks(execute=False):
        first = timers.sla_sweep(now=at_85)
        again = timers.sla_sweep(now=at_85)
    assert first["warned"] >= 1 and (again["warned"], again["breached"]) == (0, 0)
    assert OutboxMessage.objects.filter(recipient="agent@example.cn", subject__contains="即将超时").exists()
    after = on_site.due_at + dt.timedelta(minutes=1)
    with django_capture_on_commit_callbacks(execute=False):
        breached = timers.sla_sweep(now=after)
        twice = timers.sla_sweep(now=after)
    assert breached["breached"] >= 1 and twice["breached"] == 0
    request.refresh_from_db()
    assert request.is_escalated
    assert request.timeline.filter(kind="escalation", data__metric="on_site").count() == 1
    assert OutboxMessage.objects.filter(recipient="boss@example.cn", subject__contains="已超时").count() >= 1


def test_a_worker_that_loses_the_claim_does_nothing(world, django_capture_on_commit_callbacks, monkeypatch):
    request = create(world, django_capture_on_commit_callbacks, received_at=MONDAY_10, register_now=True)
    timer = request.timers.get(metric="on_site")
    # another worker claims the breach first
    RequestTimer.objects.filter(pk=timer.pk).update(breached_at=timer.due_at)
    with django_capture_on_commit_callbacks(execute=False):
        result = timers.sla_sweep(now=timer.due_at + dt.timedelta(minutes=5))
    assert not request.timeline.filter(kind="escalation", data__metric="on_site").exists()
    assert result["breached"] == sum(
        1 for t in request.timers.all() if t.breached_at == timer.due_at + dt.timedelta(minutes=5)
    )


def test_no_policy_no_timers(world, django_capture_on_commit_callbacks):
    SlaTarget.objects.all().delete()
    SlaPolicy.objects.all().delete()
    request = create(world, django_capture_on_commit_callbacks)
    assert not request.timers.exists()


def test_the_request_page_shows_its_time_limits(world, django_capture_on_commit_callbacks, client):
    request = create(world, django_capture_on_commit_callbacks, received_at=MONDAY_10, register_now=True)
    client.force_login(world["agent"])
    html = client.get(f"/service/{request.pk}/").content.decode()
    assert 'data-testid="timers-card"' in html and "上门到场" in html and "已超时" in html
    assert 'data-testid="time-left-on_site"' in html and "超时" in html  # how late, in days and hours


def test_overdue_and_at_risk_queues_follow_the_timers(world, django_capture_on_commit_callbacks):
    from aftersales.service import selectors

    late = create(
        world, django_capture_on_commit_callbacks, received_at=timezone.now() - dt.timedelta(days=3), register_now=True
    )
    fresh = create(
        world,
        django_capture_on_commit_callbacks,
        received_at=timezone.now() - dt.timedelta(minutes=1),
        register_now=True,
    )
    risky = create(
        world,
        django_capture_on_commit_callbacks,
        received_at=timezone.now() - dt.timedelta(minutes=1),
        register_now=True,
    )
    timer = risky.timers.get(metric="resolution")
    RequestTimer.objects.filter(request=risky).exclude(pk=timer.pk).update(met_at=timezone.now())
    RequestTimer.objects.filter(pk=timer.pk).update(warn_at=timezone.now() - dt.timedelta(minutes=1))
    timers.request_due_sync(request_id=risky.pk)  # the timers were changed behind the services' back
    now = timezone.now()
    scoped = selectors.scoped(world["agent"])
    assert set(scoped.filter(selectors.overdue_q(now)).values_list("pk", flat=True)) == {late.pk}
    assert set(scoped.filter(selectors.at_risk_q(now)).values_list("pk", flat=True)) == {risky.pk}
    counts = selectors.queue_counts(actor=world["agent"], now=now)
    assert counts["overdue"] == 1 and counts["at_risk"] == 1
    assert fresh.pk not in set(
        scoped.filter(selectors.overdue_q(now) | selectors.at_risk_q(now)).values_list("pk", flat=True)
    )


def test_timely_resolution_rate_by_team_type_and_month(world, django_capture_on_commit_callbacks, api_client_for):
    from aftersales.service import selectors

    on_time = create(
        world, django_capture_on_commit_callbacks, received_at=timezone.now() - dt.timedelta(hours=1), register_now=True
    )
    late = create(
        world, django_capture_on_commit_callbacks, received_at=timezone.now() - dt.timedelta(days=4), register_now=True
    )
    open_one = create(world, django_capture_on_commit_callbacks, register_now=True)
    for request in (on_time, late):
        with django_capture_on_commit_callbacks(execute=True):
            services.request_transition(
                actor=world["agent"],
                request=request,
                action="resolve",
                expected_version=request.version,
                resolution="修好了",
            )
    by_team = selectors.timely_resolution(actor=world["agent"], group_by="team")
    assert by_team == [{"key": world["customer"].org_unit.name, "resolved": 2, "timely": 1, "rate": 0.5}]
    by_type = selectors.timely_resolution(actor=world["agent"], group_by="type")
    assert by_type[0]["key"] == "维修"
    by_month = selectors.timely_resolution(actor=world["agent"], group_by="month")
    assert by_month[0]["key"] == timezone.localdate().strftime("%Y-%m")
    body = api_client_for(world["agent"]).get("/api/v1/reports/timely-resolution?group_by=assignee").json()
    assert sum(r["resolved"] for r in body) == 2
    assert api_client_for(world["agent"]).get("/api/v1/reports/timely-resolution?group_by=planet").status_code == 422
    assert open_one.pk


def test_the_timely_resolution_page(world, django_capture_on_commit_callbacks, client):
    request = create(
        world, django_capture_on_commit_callbacks, received_at=timezone.now() - dt.timedelta(hours=1), register_now=True
    )
    with django_capture_on_commit_callbacks(execute=True):
        services.request_transition(
            actor=world["agent"], request=request, action="resolve", expected_version=request.version, resolution="好"
        )
    client.force_login(world["supervisor"])
    html = client.get("/service/sla/?group_by=type").content.decode()
    assert 'data-testid="overall-rate">100.0%' in html and "维修" in html
    assert client.get("/service/sla/?group_by=bogus&days=x").status_code == 200


def test_a_breach_climbs_the_escalation_matrix_once_per_level(
    world, org, make_user, django_capture_on_commit_callbacks
):
    regional = make_user("supervisor", org["east"], email="region@example.cn")
    manager = make_user("manager", org["hq"], email="gm@example.cn")
    request = create(world, django_capture_on_commit_callbacks, received_at=MONDAY_10, register_now=True)
    timer = request.timers.get(metric="on_site")
    allowed = timer.due_at - timer.started_at
    with django_capture_on_commit_callbacks(execute=False):
        timers.sla_sweep(now=timer.due_at + dt.timedelta(minutes=1))  # level 1: outlet supervisor
        timers.sla_sweep(now=timer.due_at + allowed + dt.timedelta(minutes=1))  # level 2: the region's supervisor
        timers.sla_sweep(now=timer.due_at + allowed * 2 + dt.timedelta(minutes=1))  # level 3: managers
        timers.sla_sweep(now=timer.due_at + allowed * 5)  # nothing above level 3, nothing twice
        timers.sla_sweep(now=timer.due_at + allowed * 5)
    timer.refresh_from_db()
    assert timer.escalation_level == 3
    levels = sorted(
        request.timeline.filter(kind="escalation", data__metric="on_site").values_list("data__level", flat=True)
    )
    assert levels == [1, 2, 3]
    assert OutboxMessage.objects.filter(recipient=regional.email).exists()
    assert OutboxMessage.objects.filter(recipient=manager.email).exists()


def _soonest(request):
    running = [t for t in RequestTimer.objects.filter(request=request) if t.met_at is None and t.paused_at is None]
    return (
        min((t.due_at for t in running), default=None),
        min((t.warn_at for t in running), default=None),
    )


def test_the_request_row_carries_its_soonest_running_limit(world, django_capture_on_commit_callbacks):
    request = create(world, django_capture_on_commit_callbacks, received_at=timezone.now() - dt.timedelta(hours=2))
    request.refresh_from_db()
    assert (request.sla_due_at, request.sla_warn_at) == _soonest(request) != (None, None)
    first_due = request.sla_due_at
    steps = [
        ("register", {}),
        ("wait_customer", {"reason": "客户出差"}),
        ("resume", {}),
        ("resolve", {"resolution": "好"}),
    ]
    for action, extra in steps:
        with django_capture_on_commit_callbacks(execute=True):
            services.request_transition(
                actor=world["agent"], request=request, action=action, expected_version=request.version, **extra
            )
        request.refresh_from_db()
        assert (request.sla_due_at, request.sla_warn_at) == _soonest(request), action
        if action == "register":
            assert request.sla_due_at > first_due  # first response met: the next limit is later
        if action == "wait_customer":
            assert request.sla_due_at is None  # paused: nothing is running
    assert request.sla_due_at is None and request.resolved_in_time is True


def test_a_late_resolution_is_recorded_on_the_request(world, django_capture_on_commit_callbacks):
    request = create(world, django_capture_on_commit_callbacks, received_at=timezone.now() - dt.timedelta(days=5))
    with django_capture_on_commit_callbacks(execute=True):
        services.request_transition(
            actor=world["agent"], request=request, action="resolve", expected_version=request.version, resolution="好"
        )
    request.refresh_from_db()
    assert request.resolved_in_time is False


def test_time_limits_count_on_the_owner_teams_working_hours(world, org, make_user, django_capture_on_commit_callbacks):
    from aftersales.core.errors import PermissionDenied, ValidationFailed
    from aftersales.sla.models import BusinessCalendar, UnitCalendar
    from aftersales.sla.services import unit_calendar_set

    admin = make_user("admin", org["hq"])
    long_days = BusinessCalendar.objects.create(name="长班 08:00-20:00", intervals=[[480, 1200]])
    # Set on the region: the outlet below inherits it.
    unit_calendar_set(actor=admin, org_unit_id=org["east"].pk, calendar_id=long_days.pk)
    complaint = create(world, django_capture_on_commit_callbacks, type="complaint")
    # 3 working days after Monday 16 Nov → end of Thursday 19 Nov, at 20:00 on this team's hours
    assert complaint.timers.get(metric="complaint_investigation").due_at == dt.datetime(
        2026, 11, 19, 20, tzinfo=SHANGHAI
    )
    # The outlet's own calendar wins over its region's.
    short_days = BusinessCalendar.objects.create(name="短班 09:00-17:00", intervals=[[540, 1020]])
    unit_calendar_set(actor=admin, org_unit_id=org["a"].pk, calendar_id=short_days.pk)
    second = create(world, django_capture_on_commit_callbacks, type="complaint")
    assert second.timers.get(metric="complaint_investigation").due_at == dt.datetime(2026, 11, 19, 17, tzinfo=SHANGHAI)
    # Removing it falls back to the region's; a policy naming its own calendar still wins.
    unit_calendar_set(actor=admin, org_unit_id=org["a"].pk, calendar_id=None)
    assert not UnitCalendar.objects.filter(org_unit=org["a"]).exists()
    third = create(world, django_capture_on_commit_callbacks, type="complaint")
    assert third.timers.get(metric="complaint_investigation").due_at.hour == 12  # 20:00 Shanghai = 12:00 UTC
    policy = SlaPolicy.objects.get(pk=third.timers.get(metric="complaint_investigation").policy_id)
    policy.calendar = short_days
    policy.save()
    fourth = create(world, django_capture_on_commit_callbacks, type="complaint")
    assert fourth.timers.get(metric="complaint_investigation").due_at == dt.datetime(2026, 11, 19, 17, tzinfo=SHANGHAI)
    # Only administrators set working hours; a unit outside one's scope is unknown.
    with pytest.raises(PermissionDenied):
        unit_calendar_set(actor=world["agent"], org_unit_id=org["a"].pk, calendar_id=short_days.pk)
    south_admin = make_user("supervisor", org["south"])
    with pytest.raises(ValidationFailed):
        unit_calendar_set(actor=south_admin, org_unit_id=org["a"].pk, calendar_id=short_days.pk)
    with pytest.raises(ValidationFailed):
        unit_calendar_set(actor=admin, org_unit_id=org["a"].pk, calendar_id=999999)


@pytest.mark.parametrize(
    "select", [timers.timers_to_warn, timers.timers_to_escalate, timers.timers_to_escalate_further]
)
def test_the_sweeps_queries_match_the_condition_of_the_open_timers_index(select):
    """The index holds only open timers (WHERE met_at IS NULL). A planner uses a partial index only for
    a query whose WHERE clause has that very condition among the terms it ANDs (SQLite's rule, and what
    PostgreSQL proves most simply); without it the sweep would read every timer ever made."""
    where = str(select(timezone.now()).query).split(" WHERE ", 1)[1]
    assert '"service_requesttimer"."met_at" IS NULL AND ' in where
    assert " OR " not in where
    (index,) = RequestTimer._meta.indexes
    assert index.name == "timer_open_due_idx" and str(index.condition) == "(AND: ('met_at__isnull', True))"
