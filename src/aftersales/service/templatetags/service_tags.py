"""The request badges and the workbench's queue rows, rendered in Python.

The workbench is the page agents live in and the slowest one to render: a queue page of 25 rows
spent about two thirds of its 40 ms in Django's template engine (four includes and ~40 variable
lookups a row, each choice label through `get_FOO_display`, two URL reversals a row). The same markup
built here in Python costs about 2 ms. The badges are tags so that every page showing a
request's state, urgency, warranty or time limit uses one definition of their markup.
"""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from django import template
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext

from aftersales.customers.forms import options_html
from aftersales.service.models import RequestType, Status, Urgency

register = template.Library()

STATUS_COLOURS: dict[str, str] = {
    Status.RECEIVED: "bg-azure-lt",
    Status.REGISTERED: "bg-blue-lt",
    Status.DISPATCHED: "bg-indigo-lt",
    Status.IN_PROGRESS: "bg-cyan-lt",
    Status.WAITING_CUSTOMER: "bg-yellow-lt",
    Status.WAITING_PARTS: "bg-yellow-lt",
    Status.RESOLVED: "bg-green-lt",
}
_LABELS: dict[type, dict[str, Any]] = {
    choices: dict(choices.choices)
    for choices in (Status, Urgency, RequestType)  # type: ignore[misc]
}
_DASH = mark_safe('<span class="text-secondary">—</span>')  # noqa: S308 (constant markup)


def _label(choices: type, value: str) -> str:
    """A choice's label in the active language; an unknown value as it is (like get_FOO_display)."""
    label = _LABELS[choices].get(value)
    return str(label) if label is not None else value


def _e(value: Any) -> str:
    """Escaped text for markup (Django's `escape` without its lazy-string wrapper: the rows escape
    some 400 values a page); markup already safe is kept."""
    return value if isinstance(value, SafeString) else html.escape(str(value))


def _safe(markup: str) -> SafeString:
    """Markup built here from constants and `_e`-escaped values."""
    return mark_safe(markup)  # noqa: S308 (every value in it is escaped by _e)


class _PerPage(dict[Any, str]):
    """Markup that depends on one value only (a state's badge), built the first time a page needs it."""

    def __init__(self, build: Callable[[Any], str]) -> None:
        super().__init__()
        self.build = build

    def __missing__(self, key: Any) -> str:
        markup = self[key] = self.build(key)
        return markup


def _status_markup(status: str) -> str:
    colour = STATUS_COLOURS.get(status, "bg-secondary-lt")
    return (
        f'<span class="badge {colour}" data-testid="status" data-status="{_e(status)}">'
        f"{_e(_label(Status, status))}</span>"
    )


def _urgency_markup(urgency: str) -> str:
    code = _e(urgency)
    return (
        f'<span class="badge badge-urgency-{code}" data-testid="urgency" data-urgency="{code}">'
        f"{_e(_label(Urgency, urgency))}</span>"
    )


def _warranty_markup(covered: bool | None) -> str:
    if covered is True:
        title, label = _e(gettext("Under warranty when received")), _e(gettext("In warranty"))
        return (
            f'<span class="badge bg-green-lt" data-testid="warranty" title="{title}">'
            f'<i class="ti ti-shield-check"></i> {label}</span>'
        )
    if covered is False:
        title, label = _e(gettext("Not under warranty when received")), _e(gettext("Out of warranty"))
        return (
            f'<span class="badge bg-red-lt" data-testid="warranty" title="{title}">'
            f'<i class="ti ti-shield-x"></i> {label}</span>'
        )
    return _DASH


@register.simple_tag
def status_badge(r: Any) -> SafeString:
    """The request's state as a coloured badge."""
    return _safe(_status_markup(r.status))


@register.simple_tag
def urgency_badge(r: Any) -> SafeString:
    """The request's urgency as a badge."""
    return _safe(_urgency_markup(r.urgency))


@register.simple_tag
def warranty_badge(r: Any) -> SafeString:
    """In or out of warranty when received; a dash while unknown."""
    return _safe(_warranty_markup(r.warranty_covered))


_LIMIT_ICONS = {"overdue": '<i class="ti ti-alarm me-1"></i>', "at_risk": '<i class="ti ti-hourglass-high me-1"></i>'}


class _Words:
    """The cells' fixed words in the active language, translated once a page rather than once a row."""

    def __init__(self) -> None:
        self.due = _e(gettext("due"))
        self.paused = (
            '<span class="limit limit-paused" data-testid="limit-paused"><i class="ti ti-player-pause me-1"></i>'
            f"{_e(gettext('Paused'))}</span>"
        )
        self.late = _e(gettext("Past the promised time"))
        self.escalated = f'<i class="ti ti-alert-triangle text-red ms-1" title="{_e(gettext("Escalated"))}"></i>'


def _limit_markup(limit: Mapping[str, Any], words: _Words, tz: dt.tzinfo) -> str:
    state = _e(limit["state"])
    if state == "paused":
        return words.paused
    due = limit["due"]
    if not due:
        return _DASH
    local = due.astimezone(tz)
    return (
        f'<span class="limit limit-{state}" data-testid="limit-{state}" title="{words.due} {local:%Y-%m-%d %H:%M}">'
        f'{_LIMIT_ICONS.get(state, "")}{local:%m-%d %H:%M}<small class="d-block">{_e(limit["text"])}</small></span>'
    )


@register.simple_tag
def limit_cell(limit: Mapping[str, Any]) -> SafeString:
    """The time-limit cell of `service.views.limit_cell`: paused, due time with what is left, or a dash."""
    return _safe(_limit_markup(limit, _Words(), timezone.get_current_timezone()))


def _detail_url_maker() -> Any:
    """The request page's URL for a pk without a reversal per row (two per row cost 3 ms a page)."""
    marker = 987654321
    head, tail = reverse("service:request_detail", args=[marker]).split(str(marker))
    return lambda pk: f"{head}{pk}{tail}"


def _promised_markup(promised_at: dt.datetime | None, overdue: bool, words: _Words, tz: dt.tzinfo) -> str:
    if not promised_at:
        return _DASH
    when = f"{promised_at.astimezone(tz):%m-%d %H:%M}"
    if overdue:
        return (
            f'<span class="overdue" data-testid="overdue" title="{words.late}">'
            f'<i class="ti ti-clock-exclamation me-1"></i>{when}</span>'
        )
    return f'<span class="">{when}</span>'


_ROW = (
    '<tr class="row-{urgency_code}" data-testid="queue-row" data-number="{number}">'
    '<td><input type="checkbox" name="rows" value="{pk}:{version}" class="form-check-input m-0" data-row-check'
    ' aria-label="{number}"></td>'
    '<td><a href="{url}" class="sr-number" hx-boost="false" data-testid="request-link">{number}</a>{escalated}</td>'
    '<td class="title"><a href="{url}" class="text-reset" hx-boost="false" data-testid="row-title">{title}</a></td>'
    '<td><span class="d-inline-block text-truncate align-middle cell-customer" title="{customer}">'
    "{customer}</span></td>"
    '<td class="hide-sm">{type}</td>'
    "<td>{urgency}</td>"
    "<td>{status}</td>"
    "<td>{assignee}</td>"
    '<td class="hide-sm text-secondary"><span class="d-inline-block text-truncate align-middle cell-team"'
    ' title="{team}">{team}</span></td>'
    '<td class="hide-sm text-secondary">{received}</td>'
    "<td>{limit}</td>"
    "<td>{promised}</td>"
    '<td class="hide-sm">{warranty}</td>'
    "</tr>\n"
)


@register.simple_tag
def queue_rows(rows: Iterable[Mapping[str, Any]]) -> SafeString:
    """The workbench table's rows: `rows` as built by `service.views.workbench` ({r, overdue, limit}).

    What people typed (number, title, names) is escaped per row; everything that depends on a code
    only (badges, type labels, fixed words) is built once a page and reused."""
    url = _detail_url_maker()
    tz = timezone.get_current_timezone()
    words = _Words()
    statuses, urgencies, warranties = _PerPage(_status_markup), _PerPage(_urgency_markup), _PerPage(_warranty_markup)
    types = _PerPage(lambda code: _e(_label(RequestType, code)))
    out = []
    for row in rows:
        r = row["r"]
        number = _e(r.number)
        out.append(
            _ROW.format(
                urgency_code=_e(r.urgency),
                number=number,
                pk=int(r.pk),
                version=int(r.version),
                url=url(r.pk),
                escalated=words.escalated if r.is_escalated else "",
                title=_e(r.title),
                customer=_e(r.customer.name),
                type=types[r.type],
                urgency=urgencies[r.urgency],
                status=statuses[r.status],
                assignee=_e(r.assignee.display_name) if r.assignee_id else "—",
                team=_e(r.org_unit.name),
                received=f"{r.received_at.astimezone(tz):%m-%d %H:%M}" if r.received_at else "",
                limit=_limit_markup(row["limit"], words, tz),
                promised=_promised_markup(r.promised_at, row["overdue"], words, tz),
                warranty=warranties[r.warranty_covered],
            )
        )
    if not out:
        return format_html(
            '<tr><td colspan="13" class="text-center text-secondary py-5" data-testid="queue-empty">'
            '<i class="ti ti-inbox fs-1 d-block mb-2"></i>{}</td></tr>',
            gettext("No requests in this queue."),
        )
    return mark_safe("".join(out))  # noqa: S308 (every value above is escaped by _e or built here)


@register.simple_tag
def staff_options(staff: Iterable[Any]) -> SafeString:
    """The bulk bar's people as `<option>`s ("name · unit"): a team's whole staff, written in Python."""
    return options_html((u.pk, f"{u.display_name} · {u.org_unit or ''}") for u in staff)


@register.simple_tag
def team_options(teams: Iterable[Any]) -> SafeString:
    """The bulk bar's teams as `<option>`s."""
    return options_html((t.pk, t.name) for t in teams)
