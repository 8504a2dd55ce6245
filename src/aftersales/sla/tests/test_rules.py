"""Working-time arithmetic: hand-checked dates from the 2026 holiday notice, and properties."""

from __future__ import annotations

import datetime as dt

import chinese_calendar
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aftersales.sla import rules
from aftersales.sla.rules import SHANGHAI, CalendarSpec, UncoveredYear

SPEC = CalendarSpec(
    public_holidays=frozenset(d for d in chinese_calendar.holidays if d.year >= 2025),
    public_workdays=frozenset(d for d in chinese_calendar.workdays if d.year >= 2025),
    covered_years=frozenset({2025, 2026}),
)


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


# --- hand-checked against the State Council's 2026 schedule -----------------------------------


@pytest.mark.parametrize(
    ("day", "working"),
    [
        ("2026-02-14", True),  # Saturday, make-up working day before Spring Festival
        ("2026-02-15", False),  # Spring Festival holiday starts
        ("2026-02-23", False),  # last day of the Spring Festival holiday
        ("2026-02-24", True),
        ("2026-02-28", True),  # Saturday, make-up working day
        ("2026-09-20", True),  # Sunday, make-up working day (National Day)
        ("2026-09-25", False),  # Mid-Autumn
        ("2026-10-01", False),  # National Day
        ("2026-10-07", False),
        ("2026-10-08", True),
        ("2026-10-10", True),  # Saturday, make-up working day
        ("2026-11-21", False),  # an ordinary Saturday
    ],
)
def test_official_days(day, working):
    assert rules.is_working_day(SPEC, dt.date.fromisoformat(day)) is working


def test_national_day_week_is_skipped():
    # Wednesday 30 Sep 2026, 17:00 + 2 working hours: 1 h that day, the next hour on Thursday 8 Oct
    assert rules.add_working_minutes(SPEC, at("2026-09-30T17:00"), 120) == at("2026-10-08T10:00")


def test_spring_festival_and_make_up_saturday():
    # Friday 13 Feb 17:30 + 1 h: half an hour that day, the rest on the make-up Saturday 14 Feb
    assert rules.add_working_minutes(SPEC, at("2026-02-13T17:30"), 60) == at("2026-02-14T09:30")
    # Saturday 14 Feb 17:00 + 2 h → after the holiday, Tuesday 24 Feb
    assert rules.add_working_minutes(SPEC, at("2026-02-14T17:00"), 120) == at("2026-02-24T10:00")


def test_mid_autumn():
    # Thursday 24 Sep 18:00 + 30 min: Friday 25 is Mid-Autumn, the weekend is off → Monday 28 Sep
    assert rules.add_working_minutes(SPEC, at("2026-09-24T18:00"), 30) == at("2026-09-28T09:30")


def test_lunch_break_and_multi_interval_days():
    assert rules.add_working_minutes(SPEC, at("2026-11-23T11:30"), 60) == at("2026-11-23T14:00")
    assert rules.next_working_instant(SPEC, at("2026-11-23T12:10")) == at("2026-11-23T13:30")
    assert rules.next_working_instant(SPEC, at("2026-11-21T10:00")) == at("2026-11-23T09:00")
    assert rules.working_minutes_between(SPEC, at("2026-11-23T08:00"), at("2026-11-23T20:00")) == 7.5 * 60


def test_working_days_end_of_day_and_hours():
    # received Monday 23 Nov 2026 16:00; 3 working days → end of Thursday 26 Nov
    assert rules.add_working_days(SPEC, at("2026-11-23T16:00"), 3) == at("2026-11-26T18:00")
    # the same as hours: 3 × 7.5 h from Monday 16:00 → Thursday 16:00
    assert rules.add_working_days(SPEC, at("2026-11-23T16:00"), 3, mode="hours") == at("2026-11-26T16:00")
    # across National Day: received Tue 29 Sep; 2 working days → Wed 30 Sep, Thu 8 Oct
    assert rules.add_working_days(SPEC, at("2026-09-29T10:00"), 2) == at("2026-10-08T18:00")
    assert rules.add_working_days(SPEC, at("2026-11-21T10:00"), 0) == at("2026-11-23T09:00")
    with pytest.raises(ValueError, match="mode"):
        rules.add_working_days(SPEC, at("2026-11-23T10:00"), 1, mode="weeks")


def test_an_uncovered_year_is_an_error_not_a_guess():
    with pytest.raises(UncoveredYear) as exc:
        rules.add_working_minutes(SPEC, at("2026-12-31T17:00"), 120)
    assert exc.value.year == 2027


def test_a_2027_schedule_entered_as_overrides_is_honoured():
    # The 2027 notice is not in the package yet: an administrator enters its days (example dates).
    spec = CalendarSpec(
        public_holidays=SPEC.public_holidays | {dt.date(2027, 1, 1)},
        public_workdays=SPEC.public_workdays,
        covered_years=SPEC.covered_years | {2027},
    )
    # Thursday 31 Dec 2026 17:00 + 2 h: 1 h that day; Fri 1 Jan 2027 is a holiday → Mon 4 Jan 10:00
    assert rules.add_working_minutes(spec, at("2026-12-31T17:00"), 120) == at("2027-01-04T10:00")


def test_company_overrides_and_weekend_teams():
    spec = CalendarSpec(
        public_holidays=SPEC.public_holidays,
        public_workdays=SPEC.public_workdays,
        covered_years=SPEC.covered_years,
        extra_closed=frozenset({dt.date(2026, 11, 23)}),
        extra_open=frozenset({dt.date(2026, 11, 22)}),
    )
    assert rules.is_working_day(spec, dt.date(2026, 11, 22)) and not rules.is_working_day(spec, dt.date(2026, 11, 23))
    weekend_team = CalendarSpec(
        public_holidays=SPEC.public_holidays,
        public_workdays=SPEC.public_workdays,
        covered_years=SPEC.covered_years,
        weekend_working=True,
    )
    assert rules.is_working_day(weekend_team, dt.date(2026, 11, 21))
    assert not rules.is_working_day(weekend_team, dt.date(2026, 10, 3))


def test_24x7_is_clock_time_and_needs_no_schedule():
    spec = CalendarSpec(always_open=True)
    assert rules.add_working_minutes(spec, at("2027-05-01T23:30"), 60) == at("2027-05-02T00:30")
    assert rules.working_minutes_between(spec, at("2030-01-01T00:00"), at("2030-01-02T00:00")) == 1440


def test_bad_input():
    with pytest.raises(ValueError, match="negative"):
        rules.add_working_minutes(SPEC, at("2026-11-23T10:00"), -1)
    with pytest.raises(ValueError, match="aware"):
        rules.add_working_minutes(SPEC, dt.datetime(2026, 11, 23, 10), 1)
    with pytest.raises(ValueError, match="intervals"):
        CalendarSpec(intervals=((600, 500),))
    with pytest.raises(ValueError, match="intervals"):
        CalendarSpec(intervals=((540, 720), (700, 800)))


def test_times_in_other_zones_are_converted():
    utc = dt.datetime(2026, 11, 23, 1, 0, tzinfo=dt.UTC)  # 09:00 in Shanghai
    assert rules.add_working_minutes(SPEC, utc, 30) == at("2026-11-23T09:30")


# --- properties -------------------------------------------------------------------------------

instants = st.datetimes(min_value=dt.datetime(2025, 1, 1), max_value=dt.datetime(2026, 10, 31)).map(
    lambda t: t.replace(second=0, microsecond=0, tzinfo=SHANGHAI)
)
intervals = st.sampled_from(
    [((540, 720), (810, 1080)), ((480, 1200),), ((0, 1440),), ((540, 600), (660, 720), (780, 840), (900, 1020))]
)


def in_working_time(spec: CalendarSpec, t: dt.datetime) -> bool:
    """Inside (or on the edge of) a working interval; 24:00 belongs to the day it ends."""
    local = t.astimezone(SHANGHAI)
    if local.time() == dt.time(0) and spec.intervals[-1][1] == 24 * 60:
        previous = local.date() - dt.timedelta(days=1)
        if rules.is_working_day(spec, previous):
            return True
    if not rules.is_working_day(spec, local.date()):
        return False
    minute = local.hour * 60 + local.minute + local.second / 60
    return any(s <= minute <= e for s, e in spec.intervals)


@settings(max_examples=300, deadline=None)
@given(instants, st.integers(min_value=0, max_value=60 * 24 * 20), intervals)
def test_results_fall_inside_working_time_and_measure_back(start, minutes, ivs):
    spec = CalendarSpec(
        intervals=ivs,
        public_holidays=SPEC.public_holidays,
        public_workdays=SPEC.public_workdays,
        covered_years=frozenset({2025, 2026, 2027}),
    )
    end = rules.add_working_minutes(spec, start, minutes)
    assert end >= start
    assert in_working_time(spec, end)
    assert rules.working_minutes_between(spec, start, end) == minutes


@settings(max_examples=200, deadline=None)
@given(instants, instants)
def test_between_is_antisymmetric_and_additive(a, b):
    spec = SPEC.__class__(
        public_holidays=SPEC.public_holidays,
        public_workdays=SPEC.public_workdays,
        covered_years=frozenset({2025, 2026, 2027}),
    )
    assert rules.working_time_between(spec, a, b) == -rules.working_time_between(spec, b, a)
    middle = min(a, b) + (max(a, b) - min(a, b)) / 2
    lo, hi = min(a, b), max(a, b)
    assert rules.working_time_between(spec, lo, middle) + rules.working_time_between(
        spec, middle, hi
    ) == rules.working_time_between(spec, lo, hi)


@settings(max_examples=200, deadline=None)
@given(instants, st.integers(min_value=0, max_value=30))
def test_working_days_end_on_a_working_day_after_the_start(start, days):
    spec = CalendarSpec(
        public_holidays=SPEC.public_holidays,
        public_workdays=SPEC.public_workdays,
        covered_years=frozenset({2025, 2026, 2027}),
    )
    end = rules.add_working_days(spec, start, days)
    assert in_working_time(spec, end) and end >= start


# --- policy matching --------------------------------------------------------------------------

P = rules.PolicyCriteria


def test_most_specific_policy_wins():
    policies = [
        P(1, 100),
        P(2, 100, request_type="repair"),
        P(3, 100, request_type="repair", urgency="critical"),
        P(4, 100, customer_tier="A"),
        P(5, 100, request_type="complaint", channel="phone"),
    ]
    match = rules.policy_match
    assert match(policies, rules.RequestFacts("repair", "critical")).policy_id == 3
    assert match(policies, rules.RequestFacts("repair", "normal")).policy_id == 2
    assert match(policies, rules.RequestFacts("consultation", "normal", customer_tier="A")).policy_id == 4
    assert match(policies, rules.RequestFacts("complaint", "normal", channel="phone")).policy_id == 5
    assert match(policies, rules.RequestFacts("complaint", "normal", channel="email")).policy_id == 1
    assert match([], rules.RequestFacts("repair", "normal")) is None


def test_ties_go_to_the_priority_then_the_older_policy():
    a, b, c = P(7, 50, urgency="urgent"), P(8, 10, request_type="repair"), P(6, 10, request_type="install")
    assert rules.policy_match([a, b], rules.RequestFacts("repair", "urgent")).policy_id == 8
    assert [p.policy_id for p in rules.policy_order([a, b, c])] == [6, 8, 7]
    assert (
        rules.policy_match(
            [P(9, 10, request_type="repair"), P(3, 10, request_type="repair")], rules.RequestFacts("repair", "normal")
        ).policy_id
        == 3
    )


def test_product_line_criterion():
    policies = [P(1, 100), P(2, 100, product_line_id=4)]
    assert rules.policy_match(policies, rules.RequestFacts("repair", "normal", product_line_id=4)).policy_id == 2
    assert rules.policy_match(policies, rules.RequestFacts("repair", "normal", product_line_id=5)).policy_id == 1


def test_due_at_units():
    start = at("2026-11-23T17:00")
    assert rules.due_at(SPEC, start, amount=30, unit="clock_minutes") == at("2026-11-23T17:30")
    assert rules.due_at(SPEC, start, amount=90, unit="working_minutes") == at("2026-11-24T09:30")
    # Mon 1 h + Tue/Wed/Thu 7.5 h each = 23.5 h; the last half hour on Friday
    assert rules.due_at(SPEC, start, amount=24, unit="working_hours") == at("2026-11-27T09:30")
    assert rules.due_at(SPEC, start, amount=2, unit="working_days") == at("2026-11-25T18:00")
    assert rules.due_at(SPEC, start, amount=2, unit="working_days", days_mode="hours") == at("2026-11-25T17:00")
    with pytest.raises(ValueError, match="unit"):
        rules.due_at(SPEC, start, amount=1, unit="fortnights")
