"""`manage.py workdays add|between|year` — working-time arithmetic and the holiday schedule for support staff.

workdays add --start "2026-09-30 17:00" (--minutes N | --hours N | --days N [--mode end_of_day|hours]) [--calendar NAME]
workdays between --start "2026-09-30 17:00" --end "2026-10-08 10:00" [--calendar NAME]
workdays year 2027 --holiday 2027-01-01:元旦 ... --workday 2027-02-06:春节 ...   (enter a new year's schedule)
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from aftersales.accounts.models import User
from aftersales.core.errors import DomainError
from aftersales.sla import rules
from aftersales.sla.selectors import calendar_spec
from aftersales.sla.services import public_year_enter


def _instant(text: str) -> dt.datetime:
    try:
        value = dt.datetime.fromisoformat(text)
    except ValueError as exc:
        raise CommandError(f"not a date and time: {text!r} (use 2026-09-30 17:00)") from exc
    return value if value.tzinfo else value.replace(tzinfo=rules.SHANGHAI)


def _days(values: list[str]) -> list[tuple[dt.date, str]]:
    result = []
    for value in values:
        date, _sep, name = value.partition(":")
        try:
            result.append((dt.date.fromisoformat(date), name))
        except ValueError as exc:
            raise CommandError(f"not a date: {date!r}") from exc
    return result


class Command(BaseCommand):
    help = "Working-time arithmetic on the PRC calendar, and entering a year's official schedule."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        add = sub.add_parser("add", help="start + an amount of working time")
        add.add_argument("--start", required=True)
        amount = add.add_mutually_exclusive_group(required=True)
        amount.add_argument("--minutes", type=int)
        amount.add_argument("--hours", type=float)
        amount.add_argument("--days", type=int)
        add.add_argument("--mode", choices=["end_of_day", "hours"], default="end_of_day")
        add.add_argument("--calendar", default="")
        between = sub.add_parser("between", help="working time between two instants, in minutes")
        between.add_argument("--start", required=True)
        between.add_argument("--end", required=True)
        between.add_argument("--calendar", default="")
        year = sub.add_parser("year", help="enter the official schedule of a year")
        year.add_argument("year", type=int)
        year.add_argument("--holiday", action="append", default=[], help="DATE[:NAME]")
        year.add_argument("--workday", action="append", default=[], help="DATE[:NAME] (调休上班)")
        year.add_argument("--as-user", default="admin", help="the administrator the change is recorded for")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            if options["action"] == "year":
                user = User.objects.filter(username=options["as_user"]).first()
                if user is None:
                    raise CommandError(f"no user {options['as_user']!r}")
                public_year_enter(
                    actor=user,
                    year=options["year"],
                    holidays=_days(options["holiday"]),
                    workdays=_days(options["workday"]),
                )
                self.stdout.write(f"{options['year']}: schedule entered")
                return
            spec = calendar_spec(options["calendar"], fresh=True)
            start = _instant(options["start"])
            if options["action"] == "between":
                self.stdout.write(str(rules.working_minutes_between(spec, start, _instant(options["end"]))))
                return
            if options["days"] is not None:
                end = rules.add_working_days(spec, start, options["days"], mode=options["mode"])
            elif options["hours"] is not None:
                end = rules.add_working_time(spec, start, dt.timedelta(hours=options["hours"]))
            else:
                end = rules.add_working_minutes(spec, start, options["minutes"])
            self.stdout.write(end.astimezone(rules.SHANGHAI).isoformat())
        except rules.UncoveredYear as exc:
            raise CommandError(
                f"{exc.year} 年的法定节假日安排尚未录入 (no holiday schedule for {exc.year}): "
                f"enter it with `manage.py workdays year {exc.year} --holiday … --workday …`"
            ) from exc
        except DomainError as exc:
            raise CommandError(f"{exc.message} {[e.message for e in exc.errors]}") from exc
