"""The calendar in the database: the package's schedule, entering a new year, overrides, the command."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.management import CommandError, call_command

from aftersales.core.errors import PermissionDenied, ValidationFailed
from aftersales.core.models import AuditEntry
from aftersales.sla import rules
from aftersales.sla.models import BusinessCalendar, CalendarOverride, CoveredYear, PublicDay, SlaPolicy
from aftersales.sla.selectors import calendar_spec
from aftersales.sla.services import public_year_enter

SH = rules.SHANGHAI


def test_the_package_schedule_is_loaded_by_the_migration(db):
    assert CoveredYear.objects.filter(year=2026).exists() and not CoveredYear.objects.filter(year=2027).exists()
    assert PublicDay.objects.get(date=dt.date(2026, 2, 14)).kind == "workday"
    assert PublicDay.objects.get(date=dt.date(2026, 10, 1)).kind == "holiday"
    spec = calendar_spec(fresh=True)
    assert spec.intervals == ((540, 720), (810, 1080))
    assert BusinessCalendar.objects.get(name="7×24小时").always_open


def test_entering_2027_makes_it_usable(org, make_user):
    admin = make_user("", org["hq"], superuser=True)
    with pytest.raises(rules.UncoveredYear):
        rules.add_working_minutes(calendar_spec(fresh=True), dt.datetime(2026, 12, 31, 17, tzinfo=SH), 120)
    public_year_enter(
        actor=admin, year=2027, holidays=[(dt.date(2027, 1, 1), "元旦")], workdays=[], note="国办发明电〔2026〕"
    )
    end = rules.add_working_minutes(calendar_spec(fresh=True), dt.datetime(2026, 12, 31, 17, tzinfo=SH), 120)
    assert end == dt.datetime(2027, 1, 4, 10, tzinfo=SH)
    assert AuditEntry.objects.filter(target_type="sla.coveredyear", object_id="2027").exists()


def test_entering_a_year_is_validated_and_needs_permission(org, make_user):
    admin = make_user("", org["hq"], superuser=True)
    with pytest.raises(ValidationFailed):
        public_year_enter(actor=admin, year=2027, holidays=[(dt.date(2028, 1, 1), "x")], workdays=[])
    with pytest.raises(ValidationFailed):
        public_year_enter(
            actor=admin, year=2027, holidays=[(dt.date(2027, 1, 1), "")], workdays=[(dt.date(2027, 1, 1), "")]
        )
    with pytest.raises(PermissionDenied):
        public_year_enter(
            actor=make_user("agent", org["a"]), year=2027, holidays=[(dt.date(2027, 1, 1), "")], workdays=[]
        )


def test_company_overrides_apply(db):
    CalendarOverride.objects.create(date=dt.date(2026, 11, 23), is_working=False, note="公司年会")
    spec = calendar_spec(fresh=True)
    assert not rules.is_working_day(spec, dt.date(2026, 11, 23))


def test_the_workdays_command(org, make_user):
    out = io.StringIO()
    call_command("workdays", "add", "--start", "2026-09-30 17:00", "--hours", "2", stdout=out)
    assert out.getvalue().strip() == "2026-10-08T10:00:00+08:00"
    out = io.StringIO()
    call_command("workdays", "add", "--start", "2026-11-23 16:00", "--days", "3", stdout=out)
    assert out.getvalue().strip() == "2026-11-26T18:00:00+08:00"
    out = io.StringIO()
    call_command("workdays", "between", "--start", "2026-09-30 17:00", "--end", "2026-10-08 10:00", stdout=out)
    assert out.getvalue().strip() == "120"
    out = io.StringIO()
    call_command(
        "workdays", "add", "--start", "2026-05-01 12:00", "--minutes", "90", "--calendar", "7×24小时", stdout=out
    )
    assert out.getvalue().strip() == "2026-05-01T13:30:00+08:00"
    with pytest.raises(CommandError, match="2027"):
        call_command("workdays", "add", "--start", "2026-12-31 17:00", "--hours", "2", stdout=io.StringIO())
    with pytest.raises(CommandError, match="not a date"):
        call_command("workdays", "add", "--start", "yesterday", "--hours", "2", stdout=io.StringIO())
    make_user("", org["hq"], superuser=True, username="admin")
    call_command(
        "workdays", "year", "2027", "--holiday", "2027-01-01:元旦", "--workday", "2027-02-06:春节", stdout=io.StringIO()
    )
    assert PublicDay.objects.get(date=dt.date(2027, 2, 6)).kind == "workday"


def test_calendar_gaps_are_reported_from_november(db):
    from aftersales.sla.selectors import calendar_gaps

    assert calendar_gaps(today=dt.date(2026, 6, 1)) == []
    assert calendar_gaps(today=dt.date(2026, 11, 22)) == [2027]
    assert calendar_gaps(today=dt.date(2027, 2, 1)) == [2027]


def test_the_home_page_warns_about_a_missing_year(org, make_user, client):
    from django.utils import timezone

    year = timezone.localdate().year
    CoveredYear.objects.filter(year=year).delete()
    client.force_login(make_user("admin", org["hq"]))
    html = client.get("/").content.decode()
    assert 'data-testid="calendar-gap"' in html and str(year) in html


def test_admin_lists_policies_in_the_order_requests_try_them(org, make_user, client):
    from aftersales.sla.services import sla_presets_load

    admin_user = make_user("admin", org["hq"], superuser=True)
    sla_presets_load(actor=admin_user)
    SlaPolicy.objects.create(name="全局加急通道", priority=1)  # no criteria: tried last despite priority 1
    client.force_login(admin_user)
    html = client.get("/admin/sla/slapolicy/").content.decode()
    # the 1-criterion critical preset (priority 10) comes before the 1-criterion type presets, the default last
    assert (
        html.index("特级紧急")
        < html.index("维修：30分钟响应")
        < html.index("全局加急通道")
        < html.index("默认：24小时响应")
    )
