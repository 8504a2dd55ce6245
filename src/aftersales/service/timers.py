"""Time limits on requests: start timers from the matching SLA policy, pause and resume them, record
met and breached, and — in the periodic sweep — warn before and escalate at a breach, exactly once.

Reacts to the request events (core.events), so the lifecycle code does not know about SLAs.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Min, QuerySet, Subquery
from django.utils import timezone

from aftersales.accounts.models import OrgUnit, User
from aftersales.core import config_cache, events
from aftersales.notifications.models import MessageChannel
from aftersales.notifications.services import message_enqueue
from aftersales.service.models import EntryKind, RequestTimer, ServiceRequest, TimelineEntry
from aftersales.sla import rules as sla
from aftersales.sla.models import SlaPolicy
from aftersales.sla.selectors import calendar_spec, unit_calendar_name

logger = logging.getLogger(__name__)

# Which lifecycle step meets which metric.
MET_BY = {
    "register": ("first_response",),
    "dispatch": ("first_response",),
    "replied": ("first_response", "complaint_transfer"),
    "start": ("first_response", "on_site", "complaint_transfer"),
    "resolve": (
        "first_response",
        "on_site",
        "resolution",
        "complaint_transfer",
        "complaint_investigation",
        "complaint_result",
    ),
}


def request_facts(request: ServiceRequest) -> sla.RequestFacts:
    """What the policies match a request on."""
    line = request.product_model.product_line_id if request.product_model_id and request.product_model else None
    return sla.RequestFacts(
        request_type=request.type,
        urgency=request.urgency,
        customer_tier=request.customer.tier,
        product_line_id=line,
        channel=request.channel,
    )


def _active_policies() -> list[SlaPolicy]:
    """The active policies with their calendars and targets (cached per process until one changes:
    core.config_cache; read-only)."""
    return config_cache.cached(
        "sla-policies",
        lambda: list(SlaPolicy.objects.filter(is_active=True).select_related("calendar").prefetch_related("targets")),
    )


def _policy_matching(facts: sla.RequestFacts) -> SlaPolicy | None:
    policies = _active_policies()
    criteria = [
        sla.PolicyCriteria(
            policy_id=p.pk,
            priority=p.priority,
            request_type=p.request_type,
            urgency=p.urgency,
            customer_tier=p.customer_tier,
            product_line_id=p.product_line_id,
            channel=p.channel,
        )
        for p in policies
    ]
    match = sla.policy_match(criteria, facts)
    return next((p for p in policies if match and p.pk == match.policy_id), None)


def _policy_for(request: ServiceRequest) -> SlaPolicy | None:
    return _policy_matching(request_facts(request))


@dataclass(frozen=True)
class PlannedTimer:
    metric: str
    policy_id: int
    due_at: dt.datetime
    warn_at: dt.datetime


def timers_plan(*, facts: sla.RequestFacts, received_at: dt.datetime, unit_path: str) -> list[PlannedTimer]:
    """The time limits a new request gets from its matching policy, computed before anything is
    written (request_create stores them in its own transaction). Empty when no policy matches or the
    holiday schedule of the year is unknown (logged)."""
    policy = _policy_matching(facts)
    if policy is None:
        return []
    try:
        spec = _spec(policy, unit_path)
        planned = []
        for target in policy.targets.all():
            due, warn = _base_due(spec, target, received_at)
            planned.append(PlannedTimer(target.metric, policy.pk, due, warn))
    except sla.UncoveredYear as exc:
        logger.error("no holiday schedule for a due time", extra={"year": exc.year})
        return []
    return planned


def timers_for_new(
    planned: list[PlannedTimer], *, received_at: dt.datetime, steps: list[str], now: dt.datetime
) -> list[RequestTimer]:
    """Unsaved timers of a new request; the metrics its first steps (register, dispatch, resolve)
    already meet are met now — late ones breached, as timers_meet would record them."""
    met = {metric for step in steps for metric in MET_BY.get(step, ())}
    timers = []
    for p in planned:
        done = p.metric in met
        timers.append(
            RequestTimer(
                metric=p.metric,
                policy_id=p.policy_id,
                started_at=received_at,
                due_at=p.due_at,
                warn_at=p.warn_at,
                met_at=now if done else None,
                breached_at=now if done and p.due_at < now else None,
            )
        )
    return timers


def soonest(timers: list[RequestTimer]) -> tuple[dt.datetime | None, dt.datetime | None]:
    """(due, warning) of the running timers, as request_due_sync stores them."""
    running = [t for t in timers if t.met_at is None and t.paused_at is None]
    return min((t.due_at for t in running), default=None), min((t.warn_at for t in running), default=None)


def _spec(policy: SlaPolicy, unit_path: str) -> sla.CalendarSpec:
    """The policy's own calendar if it names one, else the owner team's working hours (or the default)."""
    if policy.calendar_id and policy.calendar:
        return calendar_spec(policy.calendar.name)
    return calendar_spec(unit_calendar_name(unit_path=unit_path))


def _shift(spec: sla.CalendarSpec, unit: str, due: dt.datetime, paused: dt.timedelta) -> dt.datetime:
    if not paused:
        return due
    return due + paused if unit == "clock_minutes" else sla.add_working_time(spec, due, paused)


def _base_due(spec: sla.CalendarSpec, target: object, start: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    amount, unit, mode = target.amount, target.unit, target.days_mode  # type: ignore[attr-defined]
    due = sla.due_at(spec, start, amount=amount, unit=unit, days_mode=mode)
    allowed = (due - start) * target.warn_percent / 100  # type: ignore[attr-defined]
    return due, start + allowed


def timers_start(*, request_id: int) -> int:
    """(Re)compute the unmet timers of a request from its matching policy; met ones are kept."""
    request = (
        ServiceRequest.objects.select_related("customer", "product_model", "org_unit").filter(pk=request_id).first()
    )
    if request is None or request.status in {"closed", "cancelled"}:
        return 0
    policy = _policy_for(request)
    existing = {t.metric: t for t in RequestTimer.objects.filter(request=request)}
    if policy is None:
        RequestTimer.objects.filter(request=request, met_at__isnull=True).delete()
        request_due_sync(request_id=request.pk)
        return 0
    try:
        spec = _spec(policy, request.org_unit.path)
        rows = []
        for target in policy.targets.all():
            timer = existing.get(target.metric)
            if timer is not None and timer.met_at is not None:
                continue
            due, warn = _base_due(spec, target, request.received_at)
            paused = timer.paused_total if timer else dt.timedelta(0)
            rows.append(
                (target.metric, _shift(spec, target.unit, due, paused), _shift(spec, target.unit, warn, paused), paused)
            )
    except sla.UncoveredYear as exc:
        logger.error("no holiday schedule for a due time", extra={"year": exc.year, "request": request.number})
        return 0
    wanted = {metric for metric, *_ in rows}
    with transaction.atomic():
        RequestTimer.objects.filter(request=request, met_at__isnull=True).exclude(metric__in=wanted).delete()
        for metric, due, warn, paused in rows:
            RequestTimer.objects.update_or_create(
                request=request,
                metric=metric,
                defaults={
                    "policy": policy,
                    "started_at": request.received_at,
                    "due_at": due,
                    "warn_at": warn,
                    "paused_total": paused,
                },
            )
        request_due_sync(request_id=request.pk)
    return len(rows)


def timers_meet(*, request_id: int, step: str) -> None:
    """Record the metrics a lifecycle step meets; a late one is marked breached at its due time."""
    now = timezone.now()
    metrics = MET_BY.get(step, ())
    if not metrics:
        return
    open_timers = RequestTimer.objects.filter(request_id=request_id, metric__in=metrics, met_at__isnull=True)
    with transaction.atomic():
        open_timers.filter(due_at__lt=now, breached_at__isnull=True).update(breached_at=now)
        if not open_timers.update(met_at=now, paused_at=None):
            return
        request_due_sync(request_id=request_id)
        if "resolution" in metrics:
            breached = list(
                RequestTimer.objects.filter(request_id=request_id, metric="resolution", met_at=now).values_list(
                    "breached_at", flat=True
                )
            )
            if breached:
                ServiceRequest.objects.filter(pk=request_id).update(resolved_in_time=breached[0] is None)


def timers_pause(*, request_id: int) -> None:
    with transaction.atomic():
        RequestTimer.objects.filter(request_id=request_id, met_at__isnull=True, paused_at__isnull=True).update(
            paused_at=timezone.now()
        )
        request_due_sync(request_id=request_id)


def timers_resume(*, request_id: int) -> None:
    """Add the time spent waiting (in each target's own measure) and move the due times on."""
    now = timezone.now()
    for timer in RequestTimer.objects.select_related("policy", "policy__calendar", "request__org_unit").filter(
        request_id=request_id, met_at__isnull=True, paused_at__isnull=False
    ):
        target = timer.policy.targets.filter(metric=timer.metric).first() if timer.policy else None
        unit = target.unit if target else "clock_minutes"
        spec = _spec(timer.policy, timer.request.org_unit.path) if timer.policy else sla.CalendarSpec(always_open=True)
        assert timer.paused_at is not None
        try:
            waited = (
                now - timer.paused_at
                if unit == "clock_minutes"
                else sla.working_time_between(spec, timer.paused_at, now)
            )
            due = _shift(spec, unit, timer.due_at, waited)
            warn = _shift(spec, unit, timer.warn_at, waited)
        except sla.UncoveredYear:
            waited, due, warn = now - timer.paused_at, timer.due_at + (now - timer.paused_at), timer.warn_at
        RequestTimer.objects.filter(pk=timer.pk, paused_at=timer.paused_at).update(
            paused_at=None, paused_total=timer.paused_total + waited, due_at=due, warn_at=warn
        )
    request_due_sync(request_id=request_id)


def request_due_sync(*, request_id: int) -> None:
    """Copy the soonest running limit (due and warning time) onto the request row, in one UPDATE, so
    that queues sort and colour by it without touching the timers."""
    running = RequestTimer.objects.filter(request_id=request_id, met_at__isnull=True, paused_at__isnull=True)
    soonest = running.values("request_id").annotate(due=Min("due_at"), warn=Min("warn_at"))
    ServiceRequest.objects.filter(pk=request_id).update(
        sla_due_at=Subquery(soonest.values("due")[:1]), sla_warn_at=Subquery(soonest.values("warn")[:1])
    )


# --- the periodic sweep -----------------------------------------------------------------------


def _escalation_recipients(request: ServiceRequest, level: int) -> list[User]:
    """Level 1: supervisors of the request's unit; 2: of the unit above; 3 and up: managers."""
    unit: OrgUnit | None = request.org_unit
    for _ in range(level - 1):
        unit = unit.parent if unit is not None and unit.parent_id else unit
    role = "manager" if level >= 3 else "supervisor"
    staff = User.objects.filter(is_active=True, groups__name=role)
    if role == "supervisor" and unit is not None:
        staff = staff.filter(org_unit=unit)
    return list(staff.distinct()[:20])


def _notify_staff(users: list[User], *, subject: str, body: str, key: str, request: ServiceRequest) -> None:
    for user in users:
        if user.email:
            message_enqueue(
                channel=MessageChannel.EMAIL,
                recipient=user.email,
                subject=subject,
                body=body,
                event="sla",
                dedupe_key=f"{key}:{user.pk}",
                related_type="service.servicerequest",
                related_id=request.pk,
            )


def _running() -> QuerySet[RequestTimer]:
    """The timers running on requests being worked on: open (met_at IS NULL, which the open-timer index
    holds) and not paused."""
    return RequestTimer.objects.filter(met_at__isnull=True, paused_at__isnull=True).filter(
        request__status__in=["received", "registered", "dispatched", "in_progress"]
    )


def timers_to_warn(now: dt.datetime) -> QuerySet[RequestTimer]:
    """Running timers past their warning time, not yet due and not yet warned about."""
    return _running().filter(warned_at__isnull=True, warn_at__lte=now, due_at__gt=now)


def timers_to_escalate(now: dt.datetime) -> QuerySet[RequestTimer]:
    """Running timers due by now and not yet recorded as breached."""
    return _running().filter(breached_at__isnull=True, due_at__lte=now)


def timers_to_escalate_further(now: dt.datetime) -> QuerySet[RequestTimer]:
    """Running timers breached before now and not yet at the top of the escalation matrix."""
    return _running().filter(breached_at__lt=now, escalation_level__gte=1, escalation_level__lt=3)


def sla_sweep(*, now: dt.datetime | None = None) -> dict[str, int]:
    """Warn at the warning time and escalate at a breach. Each step is claimed with one conditional
    UPDATE, so running the sweep twice — or in two workers at once — acts only once."""
    now = now or timezone.now()
    counts = {"warned": 0, "breached": 0}
    for timer in timers_to_warn(now).select_related("request__assignee"):
        if RequestTimer.objects.filter(pk=timer.pk, warned_at__isnull=True).update(warned_at=now) != 1:
            continue
        counts["warned"] += 1
        request = timer.request
        assignees = [request.assignee] if request.assignee else _escalation_recipients(request, 1)
        _notify_staff(
            assignees,
            subject=f"服务单 {request.number} 即将超时",
            body=(
                f"服务单 {request.number}（{request.title}）的时限将于 "
                f"{timezone.localtime(timer.due_at):%m-%d %H:%M} 到期，请及时处理。"
            ),
            key=f"sla-warn:{timer.pk}",
            request=request,
        )
    for timer in timers_to_escalate(now).select_related("request__org_unit__parent"):
        if (
            RequestTimer.objects.filter(pk=timer.pk, breached_at__isnull=True).update(
                breached_at=now, escalation_level=1
            )
            != 1
        ):
            continue
        counts["breached"] += 1
        request = timer.request
        TimelineEntry.objects.create(
            request=request,
            kind=EntryKind.ESCALATION,
            author_label="系统",
            body="已超过时限，自动上报",
            data={"metric": timer.metric, "level": 1},
        )
        ServiceRequest.objects.filter(pk=request.pk).update(is_escalated=True)
        _notify_staff(
            _escalation_recipients(request, 1),
            subject=f"服务单 {request.number} 已超时",
            body=(
                f"服务单 {request.number}（{request.title}）已超过时限"
                f"（{timezone.localtime(timer.due_at):%m-%d %H:%M}），已自动上报给您。"
            ),
            key=f"sla-breach:{timer.pk}:1",
            request=request,
        )
    # Up the escalation matrix: a breach not met after another allowed period goes one level higher
    # (unit supervisor → the supervisor above → managers), each level claimed once.
    # (A breach recorded by this very sweep waits for the next one.)
    for timer in timers_to_escalate_further(now).select_related("request__org_unit__parent"):
        allowed = timer.due_at - timer.started_at
        if now < timer.due_at + allowed * timer.escalation_level:
            continue
        level = timer.escalation_level + 1
        claimed = RequestTimer.objects.filter(pk=timer.pk, escalation_level=timer.escalation_level).update(
            escalation_level=level
        )
        if claimed != 1:
            continue
        counts["escalated"] = counts.get("escalated", 0) + 1
        request = timer.request
        TimelineEntry.objects.create(
            request=request,
            kind=EntryKind.ESCALATION,
            author_label="系统",
            body=f"仍未达成时限，升级至第 {level} 级",
            data={"metric": timer.metric, "level": level},
        )
        _notify_staff(
            _escalation_recipients(request, level),
            subject=f"服务单 {request.number} 超时未处理（第 {level} 级上报）",
            body=f"服务单 {request.number}（{request.title}）超过时限后仍未处理，已升级上报给您。",
            key=f"sla-breach:{timer.pk}:{level}",
            request=request,
        )
    return counts


def register() -> None:
    # "request.received" needs no reaction: request_create stores the timers in its own transaction.
    events.subscribe("request.judged", "sla", lambda request_id: timers_start(request_id=request_id))
    for step in ("register", "start", "resolve"):
        events.subscribe(
            f"request.{step}", "sla", lambda request_id, step=step: timers_meet(request_id=request_id, step=step)
        )
    events.subscribe(
        "request.dispatched", "sla", lambda request_id: timers_meet(request_id=request_id, step="dispatch")
    )
    events.subscribe(
        "request.replied", "sla", lambda request_id, entry_id: timers_meet(request_id=request_id, step="replied")
    )
    for step in ("wait_customer", "wait_parts"):
        events.subscribe(f"request.{step}", "sla", lambda request_id: timers_pause(request_id=request_id))
    events.subscribe("request.resume", "sla", lambda request_id: timers_resume(request_id=request_id))
