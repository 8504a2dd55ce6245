"""Building a `CalendarSpec` from the database (cached per process until a calendar changes:
core.config_cache)."""

from __future__ import annotations

import datetime as dt

from django.db.models import Q

from aftersales.core import config_cache
from aftersales.core.errors import NotFound
from aftersales.sla.models import BusinessCalendar, CalendarOverride, CoveredYear, DayKind, PublicDay, UnitCalendar
from aftersales.sla.rules import CalendarSpec


def calendar_spec(name: str = "", *, fresh: bool = False) -> CalendarSpec:
    """The named business calendar (or the default one) with the PRC schedule and overrides."""
    if fresh:
        return _calendar_spec_load(name)
    return config_cache.cached(f"calendar:{name}", lambda: _calendar_spec_load(name))


def _calendar_spec_load(name: str) -> CalendarSpec:
    calendar = (
        BusinessCalendar.objects.filter(name=name).first()
        if name
        else BusinessCalendar.objects.filter(is_default=True).first()
    )
    if name and calendar is None:
        raise NotFound(message=f"no business calendar named {name!r}")
    days = list(PublicDay.objects.values_list("date", "kind"))
    overrides = list(
        CalendarOverride.objects.filter(Q(calendar__isnull=True) | Q(calendar=calendar)).values_list(
            "date", "is_working"
        )
    )
    spec = CalendarSpec(
        intervals=tuple(tuple(i) for i in calendar.intervals)
        if calendar and calendar.intervals
        else CalendarSpec().intervals,  # type: ignore[misc]
        always_open=bool(calendar and calendar.always_open),
        weekend_working=bool(calendar and calendar.weekend_working),
        public_holidays=frozenset(d for d, k in days if k == DayKind.HOLIDAY),
        public_workdays=frozenset(d for d, k in days if k == DayKind.WORKDAY),
        extra_closed=frozenset(d for d, working in overrides if not working),
        extra_open=frozenset(d for d, working in overrides if working),
        covered_years=frozenset(CoveredYear.objects.values_list("year", flat=True)),
    )
    return spec


def calendar_gaps(*, today: dt.date) -> list[int]:
    """Years that working-time arithmetic will need soon but the official schedule does not cover:
    this year, and next year from November (when the State Council usually publishes it)."""
    covered = set(CoveredYear.objects.values_list("year", flat=True))
    needed = [today.year] + ([today.year + 1] if today.month >= 11 else [])
    return [year for year in needed if year not in covered]


def unit_calendar_name(*, unit_path: str) -> str:
    """The business calendar of an org unit (by its tree path "/1/5/9/"): its own, else its nearest
    parent's; "" (the default calendar) when none of them has one."""
    ancestors = [int(p) for p in unit_path.strip("/").split("/") if p]
    if not ancestors:
        return ""
    found = config_cache.cached(
        "unit-calendars", lambda: dict(UnitCalendar.objects.values_list("org_unit_id", "calendar__name"))
    )
    for unit_id in reversed(ancestors):
        if unit_id in found:
            return found[unit_id]
    return ""
