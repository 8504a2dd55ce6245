"""Working-time arithmetic on the PRC calendar, as pure functions (no database).

Time zone: Asia/Shanghai has had no daylight-saving time since 1991, so local time is UTC+8 all year;
the functions convert aware datetimes to local wall-clock time, compute there, and convert back.

A working day is a weekday that is not a statutory holiday, or an announced make-up working day
(调休上班, often a Saturday or Sunday), adjusted by the company's own overrides. Working time is the
calendar's intervals of such days (e.g. 09:00-12:00 and 13:30-18:00). A date in a year the official
schedule does not cover raises `UncoveredYear`: it is never silently treated as a plain weekday.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")
_MAX_DAYS = 3660  # a computation never looks more than ten years ahead


class UncoveredYear(Exception):
    """The official holiday schedule of this year is not known (enter or import it first)."""

    def __init__(self, year: int) -> None:
        super().__init__(f"no PRC holiday schedule for {year}")
        self.year = year


@dataclass(frozen=True)
class CalendarSpec:
    """Everything the arithmetic needs to know about one business calendar."""

    intervals: tuple[tuple[int, int], ...] = ((9 * 60, 12 * 60), (13 * 60 + 30, 18 * 60))  # minutes of the day
    always_open: bool = False  # 24×7: clock time
    weekend_working: bool = False  # a team that works every day except holidays
    public_holidays: frozenset[dt.date] = field(default_factory=frozenset)
    public_workdays: frozenset[dt.date] = field(default_factory=frozenset)
    extra_closed: frozenset[dt.date] = field(default_factory=frozenset)  # company closing days
    extra_open: frozenset[dt.date] = field(default_factory=frozenset)  # company extra working days
    covered_years: frozenset[int] = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        previous_end = -1
        for start, end in self.intervals:
            if not 0 <= start < end <= 24 * 60 or start < previous_end:
                raise ValueError(f"intervals must be ordered, non-overlapping, within a day: {self.intervals}")
            previous_end = end

    @property
    def minutes_per_day(self) -> int:
        return 24 * 60 if self.always_open else sum(e - s for s, e in self.intervals)


def is_working_day(spec: CalendarSpec, day: dt.date) -> bool:
    if spec.always_open:
        return True
    if day in spec.extra_open:
        return True
    if day in spec.extra_closed:
        return False
    if day.year not in spec.covered_years:
        raise UncoveredYear(day.year)
    if day in spec.public_holidays:
        return False
    if day in spec.public_workdays:
        return True
    return spec.weekend_working or day.weekday() < 5


def _local(t: dt.datetime) -> dt.datetime:
    if t.tzinfo is None:
        raise ValueError("an aware datetime is required")
    return t.astimezone(SHANGHAI).replace(tzinfo=None)


def _aware(t: dt.datetime) -> dt.datetime:
    return t.replace(tzinfo=SHANGHAI)


def _windows(spec: CalendarSpec, day: dt.date) -> list[tuple[dt.datetime, dt.datetime]]:
    midnight = dt.datetime.combine(day, dt.time())
    if spec.always_open:
        return [(midnight, midnight + dt.timedelta(days=1))]
    if not is_working_day(spec, day):
        return []
    return [(midnight + dt.timedelta(minutes=s), midnight + dt.timedelta(minutes=e)) for s, e in spec.intervals]


def add_working_time(spec: CalendarSpec, start: dt.datetime, amount: dt.timedelta) -> dt.datetime:
    """The instant when `amount` of working time has passed after `start` (inside working time)."""
    if amount < dt.timedelta(0):
        raise ValueError("the amount must not be negative")
    t = _local(start)
    remaining = amount
    day = t.date()
    for _ in range(_MAX_DAYS):
        for begin, end in _windows(spec, day):
            if t >= end:
                continue
            begin = max(begin, t)
            available = end - begin
            if remaining <= available:
                return _aware(begin + remaining)
            remaining -= available
            t = end
        day += dt.timedelta(days=1)
        t = max(t, dt.datetime.combine(day, dt.time()))
    raise ValueError("no working time within ten years")


def add_working_minutes(spec: CalendarSpec, start: dt.datetime, minutes: int) -> dt.datetime:
    return add_working_time(spec, start, dt.timedelta(minutes=minutes))


def next_working_instant(spec: CalendarSpec, t: dt.datetime) -> dt.datetime:
    """`t` itself if it is in working time, else the start of the next working interval."""
    return add_working_time(spec, t, dt.timedelta(0))


def working_time_between(spec: CalendarSpec, a: dt.datetime, b: dt.datetime) -> dt.timedelta:
    """How much working time lies between two instants (negative when b is before a)."""
    if b < a:
        return -working_time_between(spec, b, a)
    start, stop = _local(a), _local(b)
    total = dt.timedelta(0)
    day = start.date()
    while day <= stop.date():
        for begin, end in _windows(spec, day):
            lo, hi = max(begin, start), min(end, stop)
            if hi > lo:
                total += hi - lo
        day += dt.timedelta(days=1)
    return total


def working_minutes_between(spec: CalendarSpec, a: dt.datetime, b: dt.datetime) -> int:
    return int(working_time_between(spec, a, b).total_seconds() // 60)


def add_working_days(spec: CalendarSpec, start: dt.datetime, days: int, *, mode: str = "end_of_day") -> dt.datetime:
    """N working days after `start`.

    mode "end_of_day": the end of the N-th working day after the day of `start` (received on Monday,
    "3 working days" → the end of Thursday's working time); the day of `start` itself does not count.
    mode "hours": N × the calendar's working time per day, counted from `start`.
    """
    if days < 0:
        raise ValueError("days must not be negative")
    if mode == "hours":
        return add_working_time(spec, start, dt.timedelta(minutes=spec.minutes_per_day * days))
    if mode != "end_of_day":
        raise ValueError(f"unknown mode {mode!r}")
    if days == 0:
        return next_working_instant(spec, start)
    day = _local(start).date()
    counted = 0
    for _ in range(_MAX_DAYS):
        day += dt.timedelta(days=1)
        windows = _windows(spec, day)
        if windows:
            counted += 1
            if counted == days:
                return _aware(windows[-1][1])
    raise ValueError("no working day within ten years")


# --- SLA policy matching ----------------------------------------------------------------------


@dataclass(frozen=True)
class PolicyCriteria:
    """What a policy applies to; an empty criterion matches anything."""

    policy_id: int
    priority: int  # the administrator's order: lower wins among equally specific policies
    request_type: str = ""
    urgency: str = ""
    customer_tier: str = ""
    product_line_id: int | None = None
    channel: str = ""


@dataclass(frozen=True)
class RequestFacts:
    request_type: str
    urgency: str
    customer_tier: str = ""
    product_line_id: int | None = None
    channel: str = ""


def policy_applies(policy: PolicyCriteria, facts: RequestFacts) -> bool:
    return (
        (not policy.request_type or policy.request_type == facts.request_type)
        and (not policy.urgency or policy.urgency == facts.urgency)
        and (not policy.customer_tier or policy.customer_tier == facts.customer_tier)
        and (policy.product_line_id is None or policy.product_line_id == facts.product_line_id)
        and (not policy.channel or policy.channel == facts.channel)
    )


def specificity(policy: PolicyCriteria) -> int:
    return sum(
        bool(x)
        for x in (policy.request_type, policy.urgency, policy.customer_tier, policy.product_line_id, policy.channel)
    )


def policy_order(policies: list[PolicyCriteria]) -> list[PolicyCriteria]:
    """The order in which policies are tried (and shown to the administrator): most specific first,
    then by priority, then by id."""
    return sorted(policies, key=lambda p: (-specificity(p), p.priority, p.policy_id))


def policy_match(policies: list[PolicyCriteria], facts: RequestFacts) -> PolicyCriteria | None:
    """The most specific policy that applies; ties go to the lower priority number, then the older policy."""
    return next((p for p in policy_order(policies) if policy_applies(p, facts)), None)


def due_at(
    spec: CalendarSpec, start: dt.datetime, *, amount: int, unit: str, days_mode: str = "end_of_day"
) -> dt.datetime:
    """The due time of a target: `amount` clock minutes, working hours or working days after `start`."""
    if unit == "clock_minutes":
        return start + dt.timedelta(minutes=amount)
    if unit == "working_minutes":
        return add_working_minutes(spec, start, amount)
    if unit == "working_hours":
        return add_working_time(spec, start, dt.timedelta(hours=amount))
    if unit == "working_days":
        return add_working_days(spec, start, amount, mode=days_mode)
    raise ValueError(f"unknown unit {unit!r}")
