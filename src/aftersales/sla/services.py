"""Writes of the calendar: loading the package's schedule, entering a new year's official schedule."""

from __future__ import annotations

import datetime as dt
from typing import Any

import chinese_calendar
from django.db import transaction
from django.utils.translation import gettext as _

from aftersales.accounts.models import OrgUnit
from aftersales.accounts.policies import require_perm, unit_visible
from aftersales.core.audit import audit_record
from aftersales.core.config_cache import config_changed
from aftersales.core.errors import FieldError, ValidationFailed
from aftersales.core.models import AuditAction
from aftersales.sla.models import (
    BusinessCalendar,
    CoveredYear,
    DayKind,
    DaySource,
    PublicDay,
    SlaPolicy,
    SlaTarget,
    UnitCalendar,
)


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
        if apps is None:  # a migration runs before any process caches the calendar
            config_changed()  # bulk_create sends no signals
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
        config_changed()  # bulk_create sends no signals
    return covered


# --- SLA presets ------------------------------------------------------------------------------

# The limits the source documents name (DOMAIN §4); [X] placeholders of the documents get common values.
# 特级 (critical) requests win ties against type policies (priority 10 < 100).
PRESETS: list[tuple[str, dict[str, object], list[tuple[str, int, str]]]] = [
    (
        "维修：30分钟响应、24小时到场、24小时修复（售后服务保障措施）",
        {"request_type": "repair"},
        [
            ("first_response", 30, "clock_minutes"),
            ("on_site", 24 * 60, "clock_minutes"),
            ("resolution", 48 * 60, "clock_minutes"),
        ],
    ),
    (
        "门店问题：24小时首次反馈、48小时处理结果",
        {"request_type": "consultation"},
        [("first_response", 24 * 60, "clock_minutes"), ("resolution", 48 * 60, "clock_minutes")],
    ),
    (
        "投诉处理时限",
        {"request_type": "complaint"},
        [
            ("complaint_transfer", 30, "clock_minutes"),
            ("complaint_investigation", 3, "working_days"),
            ("complaint_result", 5, "working_days"),
            ("revisit", 3, "working_days"),
            ("first_response", 24 * 60, "clock_minutes"),
        ],
    ),
    (
        "退货处理时限",
        {"request_type": "return"},
        [
            ("return_review", 2, "working_days"),
            ("return_inspection", 3, "working_days"),
            ("return_refund", 5, "working_days"),
        ],
    ),
    (
        "换货处理时限",
        {"request_type": "exchange"},
        [
            ("return_review", 2, "working_days"),
            ("return_inspection", 3, "working_days"),
            ("return_refund", 5, "working_days"),
        ],
    ),
    (
        "特级紧急：1小时响应",
        {"urgency": "critical", "priority": 10},
        [("first_response", 60, "clock_minutes"), ("resolution", 24 * 60, "clock_minutes")],
    ),
    (
        "默认：24小时响应（质量问题24小时内答复）",
        {},
        [("first_response", 24 * 60, "clock_minutes"), ("resolution", 5, "working_days")],
    ),
]


def sla_presets_load(*, actor: Any) -> int:
    """Load the documents' default policies (once; existing policies of the same name are kept)."""
    require_perm(actor, "sla.add_slapolicy")
    created = 0
    with transaction.atomic():
        for name, criteria, targets in PRESETS:
            policy, was_created = SlaPolicy.objects.get_or_create(name=name, defaults=criteria)
            if not was_created:
                continue
            created += 1
            SlaTarget.objects.bulk_create([SlaTarget(policy=policy, metric=m, amount=a, unit=u) for m, a, u in targets])
            config_changed()  # bulk_create sends no signals
            audit_record(actor=actor, action=AuditAction.CREATE, target=policy, changes={"name": [None, name]})
    return created


def unit_calendar_set(*, actor: Any, org_unit_id: int, calendar_id: int | None) -> UnitCalendar | None:
    """Give an org unit (and the units below it without their own) its working hours; None removes
    them, so the unit counts on its parent's calendar again. New and re-judged requests use it."""
    require_perm(actor, "sla.change_businesscalendar")
    unit = OrgUnit.objects.filter(pk=org_unit_id).first()
    if unit is None or not unit_visible(actor, unit.pk):
        raise ValidationFailed(errors=[FieldError("org_unit", _("Unknown org unit."))])
    if calendar_id is not None and not BusinessCalendar.objects.filter(pk=calendar_id).exists():
        raise ValidationFailed(errors=[FieldError("calendar", _("Unknown business calendar."))])
    with transaction.atomic():
        current = UnitCalendar.objects.select_for_update().filter(org_unit=unit).first()
        before = current.calendar_id if current else None
        if calendar_id is None:
            if current is not None:
                current.delete()
            result = None
        else:
            result, _created = UnitCalendar.objects.update_or_create(
                org_unit=unit, defaults={"calendar_id": calendar_id}
            )
        if before != calendar_id:
            audit_record(
                actor=actor,
                action=AuditAction.UPDATE,
                target=unit,
                changes={"calendar": [before, calendar_id]},
                note=_("working hours"),
            )
    return result
