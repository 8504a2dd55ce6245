"""Writes of the calendar: loading the package's schedule, entering a new year's official schedule."""

from __future__ import annotations

import datetime as dt
from typing import Any

import chinese_calendar
from django.db import transaction
from django.utils.translation import gettext as _

from aftersales.accounts.policies import require_perm
from aftersales.core.audit import audit_record
from aftersales.core.errors import FieldError, ValidationFailed
from aftersales.core.models import AuditAction
from aftersales.sla.models import CoveredYear, DayKind, DaySource, PublicDay
from aftersales.sla.selectors import clear_cache


def package_years() -> range:
    """The years the installed chinesecalendar release covers (it raises for any other year)."""
    years = sorted({d.year for d in chinese_calendar.holidays})
    return range(years[0], years[-1] + 1)


def public_days_load_package(*, apps: Any = None) -> int:
    """Insert the package's holidays and make-up days for the years it covers (idempotent)."""
    day_model = apps.get_model("sla", "PublicDay") if apps else PublicDay
    year_model = apps.get_model("sla", "CoveredYear") if apps else CoveredYear
    rows = [day_model(date=d, kind=DayKind.HOLIDAY, name=str(n or "")) for d, n in chinese_calendar.holidays.items()]
    rows += [day_model(date=d, kind=DayKind.WORKDAY, name=str(n or "")) for d, n in chinese_calendar.workdays.items()]
    with transaction.atomic():
        day_model.objects.bulk_create(rows, ignore_conflicts=True, batch_size=1000)
        year_model.objects.bulk_create(
            [year_model(year=y, source=DaySource.PACKAGE) for y in package_years()], ignore_conflicts=True
        )
    clear_cache()
    return len(rows)


def public_year_enter(
    *, actor: Any, year: int, holidays: list[tuple[dt.date, str]], workdays: list[tuple[dt.date, str]], note: str = ""
) -> CoveredYear:
    """Enter the State Council's schedule of a year the package does not know yet; replaces earlier entries."""
    require_perm(actor, "sla.add_publicday")
    errors = [
        FieldError("dates", _("%(date)s is not in %(year)s.") % {"date": d, "year": year})
        for d, _n in [*holidays, *workdays]
        if d.year != year
    ]
    both = {d for d, _n in holidays} & {d for d, _n in workdays}
    errors += [
        FieldError("dates", _("%(date)s cannot be a holiday and a working day.") % {"date": d}) for d in sorted(both)
    ]
    if not holidays:
        errors.append(FieldError("holidays", _("A year has statutory holidays.")))
    if errors:
        raise ValidationFailed(errors=errors)
    with transaction.atomic():
        PublicDay.objects.filter(date__year=year).delete()
        PublicDay.objects.bulk_create(
            [PublicDay(date=d, kind=DayKind.HOLIDAY, name=n, source=DaySource.MANUAL) for d, n in holidays]
            + [PublicDay(date=d, kind=DayKind.WORKDAY, name=n, source=DaySource.MANUAL) for d, n in workdays]
        )
        covered, _created = CoveredYear.objects.update_or_create(
            year=year, defaults={"source": DaySource.MANUAL, "note": note}
        )
        audit_record(
            actor=actor,
            action=AuditAction.UPDATE,
            target=covered,
            changes={"holidays": [None, len(holidays)], "workdays": [None, len(workdays)]},
            note=note,
        )
    clear_cache()
    return covered
