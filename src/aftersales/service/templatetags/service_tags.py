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
from collections.abc import Iterable, Mapping
from typing import Any

from django import template
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext

from aftersales.service.models import RequestType, Status, Urgency

register = template.Library()

STATUS_COLOURS = {
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


def _short(value: dt.datetime | None) -> str:
    """The queue's compact local time, as the `date:"m-d H:i"` filter writes it."""
    return timezone.localtime(value).strftime("%m-%d %H:%M") if value else ""


def _e(value: Any) -> str:
    """Escaped text for markup (Django's `escape` without its lazy-string wrapper: the rows escape
    some 400 values a page); markup already safe is kept."""
    return value if isinstance(value, SafeString) else html.escape(str(value))


def _safe(markup: str) -> SafeString:
    """Markup built here from constants and `_e`-escaped values."""
    return mark_safe(markup)  # noqa: S308 (every value in it is escaped by _e)


@register.simple_tag
def status_badge(r: Any) -> SafeString:
    """The request's state as a coloured badge."""
    colour = STATUS_COLOURS.get(r.status, "bg-secondary-lt")
    return _safe(
        f'<span class="badge {colour}" data-testid="status" data-status="{_e(r.status)}">'
        f"{_e(_label(Status, r.status))}</span>"
    )


@register.simple_tag
def urgency_badge(r: Any) -> SafeString:
    """The request's urgency as a badge."""
    code = _e(r.urgency)
    return _safe(
        f'<span class="badge badge-urgency-{code}" data-testid="urgency" data-urgency="{code}">'
        f"{_e(_label(Urgency, r.urgency))}</span>"
    )


@register.simple_tag
def warranty_badge(r: Any) -> SafeString:
    """In or out of warranty when received; a dash while unknown."""
    if r.warranty_covered is True:
        title, label = _e(gettext("Under warranty when received")), _e(gettext("In warranty"))
        return _safe(
            f'<span class="badge bg-green-lt" data-testid="warranty" title="{title}">'
            f'<i class="ti ti-shield-check"></i> {label}</span>'
        )
    if r.warranty_covered is False:
        title, label = _e(gettext("Not under warranty when received")), _e(gettext("Out of warranty"))
        return _safe(
            f'<span class="badge bg-red-lt" data-testid="warranty" title="{title}">'
            f'<i class="ti ti-shield-x"></i> {label}</span>'
        )
    return _DASH


_LIMIT_ICONS = {"overdue": '<i class="ti ti-alarm me-1"></i>', "at_risk": '<i class="ti ti-hourglass-high me-1"></i>'}


@register.simple_tag
def limit_cell(limit: Mapping[str, Any]) -> SafeString:
    """The time-limit cell of `service.views.limit_cell`: paused, due time with what is left, or a dash."""
    state = _e(limit["state"])
    if state == "paused":
        paused = _e(gettext("Paused"))
        return _safe(
            '<span class="limit limit-paused" data-testid="limit-paused"><i class="ti ti-player-pause me-1"></i>'
            f"{paused}</span>"
        )
    due = limit["due"]
    if not due:
        return _DASH
    full = timezone.localtime(due).strftime("%Y-%m-%d %H:%M")
    due_word = _e(gettext("due"))
    return _safe(
        f'<span class="limit limit-{state}" data-testid="limit-{state}" title="{due_word} {full}">'
        f'{_LIMIT_ICONS.get(state, "")}{_short(due)}<small class="d-block">{_e(limit["text"])}</small></span>'
    )


def _detail_url_maker() -> Any:
    """The request page's URL for a pk without a reversal per row (two per row cost 3 ms a page)."""
    marker = 987654321
    head, tail = reverse("service:request_detail", args=[marker]).split(str(marker))
    return lambda pk: f"{head}{pk}{tail}"


def _promised_cell(r: Any, overdue: bool) -> SafeString:
    if not r.promised_at:
        return _DASH
    if overdue:
        title = _e(gettext("Past the promised time"))
        return _safe(
            f'<span class="overdue" data-testid="overdue" title="{title}">'
            f'<i class="ti ti-clock-exclamation me-1"></i>{_short(r.promised_at)}</span>'
        )
    return _safe(f'<span class="">{_short(r.promised_at)}</span>')


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
    """The workbench table's rows: `rows` as built by `service.views.workbench` ({r, overdue, limit})."""
    url = _detail_url_maker()
    escalated = format_html('<i class="ti ti-alert-triangle text-red ms-1" title="{}"></i>', gettext("Escalated"))
    out = []
    for row in rows:
        r = row["r"]
        values = {
            "urgency_code": r.urgency,
            "number": r.number,
            "pk": r.pk,
            "version": r.version,
            "url": url(r.pk),
            "escalated": escalated if r.is_escalated else "",
            "title": r.title,
            "customer": r.customer.name,
            "type": _label(RequestType, r.type),
            "urgency": urgency_badge(r),
            "status": status_badge(r),
            "assignee": r.assignee.display_name if r.assignee_id else "—",
            "team": r.org_unit.name,
            "received": _short(r.received_at),
            "limit": limit_cell(row["limit"]),
            "promised": _promised_cell(r, row["overdue"]),
            "warranty": warranty_badge(r),
        }
        out.append(_ROW.format_map({key: _e(value) for key, value in values.items()}))
    if not out:
        return format_html(
            '<tr><td colspan="13" class="text-center text-secondary py-5" data-testid="queue-empty">'
            '<i class="ti ti-inbox fs-1 d-block mb-2"></i>{}</td></tr>',
            gettext("No requests in this queue."),
        )
    return mark_safe("".join(out))  # noqa: S308 (every value above is escaped by _e)
