"""The request badges and queue rows rendered in Python (service_tags): their markup, escaping, every
state of each cell, and the labels in the active language."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace
from typing import Any

import pytest
from django.template import Context, Template
from django.urls import reverse
from django.utils import timezone, translation

from aftersales.service.templatetags import service_tags as tags

WHEN = dt.datetime(2026, 3, 4, 5, 6, tzinfo=dt.UTC)  # 13:06 in Asia/Shanghai


def request(**kw: Any) -> SimpleNamespace:
    values: dict[str, Any] = {
        "pk": 42,
        "number": "SR2026030400001",
        "version": 3,
        "title": "空调不制冷",
        "type": "repair",
        "status": "in_progress",
        "urgency": "urgent",
        "is_escalated": False,
        "warranty_covered": None,
        "received_at": WHEN,
        "promised_at": None,
        "customer": SimpleNamespace(name="陈先生"),
        "assignee_id": 7,
        "assignee": SimpleNamespace(display_name="王师傅"),
        "org_unit": SimpleNamespace(name="昆明服务网点"),
    }
    values.update(kw)
    return SimpleNamespace(**values)


def row(r: SimpleNamespace, *, overdue: bool = False, limit: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"r": r, "overdue": overdue, "limit": limit or {"state": "", "due": None, "text": ""}}


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def test_status_badge_colour_state_and_label():
    html = tags.status_badge(request(status="waiting_parts"))
    assert (
        html
        == '<span class="badge bg-yellow-lt" data-testid="status" data-status="waiting_parts">Waiting for parts</span>'
    )


@pytest.mark.parametrize(
    ("status", "colour"),
    [
        ("received", "bg-azure-lt"),
        ("registered", "bg-blue-lt"),
        ("dispatched", "bg-indigo-lt"),
        ("in_progress", "bg-cyan-lt"),
        ("waiting_customer", "bg-yellow-lt"),
        ("resolved", "bg-green-lt"),
        ("closed", "bg-secondary-lt"),
        ("cancelled", "bg-secondary-lt"),
    ],
)
def test_status_badge_colours(status, colour):
    assert f'class="badge {colour}"' in tags.status_badge(request(status=status))


def test_an_unknown_value_shows_as_it_is_and_escaped():
    html = tags.status_badge(request(status="<x>"))
    assert "<x>" not in html
    assert 'data-status="&lt;x&gt;">&lt;x&gt;</span>' in html


def test_urgency_badge():
    html = tags.urgency_badge(request(urgency="critical"))
    assert html == (
        '<span class="badge badge-urgency-critical" data-testid="urgency" data-urgency="critical">Critical</span>'
    )


def test_labels_follow_the_active_language():
    with translation.override("zh-hans"):
        assert tags.urgency_badge(request(urgency="urgent")).endswith(">紧急</span>")
        assert "保内" in tags.warranty_badge(request(warranty_covered=True))
        assert ">维修<" in tags.queue_rows([row(request(type="repair"))])


@pytest.mark.parametrize(
    ("covered", "expected"),
    [
        (True, ("bg-green-lt", "ti-shield-check", "In warranty", 'title="Under warranty when received"')),
        (False, ("bg-red-lt", "ti-shield-x", "Out of warranty", 'title="Not under warranty when received"')),
    ],
)
def test_warranty_badge(covered, expected):
    html = tags.warranty_badge(request(warranty_covered=covered))
    assert 'data-testid="warranty"' in html
    for part in expected:
        assert part in html


def test_warranty_unknown_is_a_dash():
    assert tags.warranty_badge(request(warranty_covered=None)) == '<span class="text-secondary">—</span>'


def test_limit_cell_paused():
    html = tags.limit_cell({"state": "paused", "due": WHEN, "text": ""})
    assert 'data-testid="limit-paused"' in html and "ti-player-pause" in html and "Paused" in html


@pytest.mark.parametrize(("state", "icon"), [("overdue", "ti-alarm"), ("at_risk", "ti-hourglass-high"), ("ok", None)])
def test_limit_cell_due(state, icon):
    html = tags.limit_cell({"state": state, "due": WHEN, "text": "2h 5m left"})
    assert f'class="limit limit-{state}" data-testid="limit-{state}"' in html
    assert 'title="due 2026-03-04 13:06"' in html  # local time (Asia/Shanghai)
    assert ">03-04 13:06<" in html or "03-04 13:06<small" in html
    assert '<small class="d-block">2h 5m left</small>' in html
    if icon:
        assert icon in html
    else:
        assert "<i " not in html


def test_limit_cell_without_a_limit_is_a_dash():
    assert tags.limit_cell({"state": "", "due": None, "text": ""}) == '<span class="text-secondary">—</span>'


def test_queue_row_cells():
    html = tags.queue_rows([row(request())])
    url = reverse("service:request_detail", args=[42])
    assert html.count(f'href="{url}"') == 2
    assert '<tr class="row-urgent" data-testid="queue-row" data-number="SR2026030400001">' in html
    assert 'value="42:3"' in html
    for text in ("空调不制冷", "陈先生", "王师傅", "昆明服务网点", ">Repair<", ">03-04 13:06<"):
        assert text in html
    assert html.count("<td") == 13
    assert "ti-alert-triangle" not in html


def test_queue_row_escapes_what_people_typed():
    evil = '<script>alert("x")</script>&\''
    html = tags.queue_rows(
        [row(request(title=evil, customer=SimpleNamespace(name=evil), org_unit=SimpleNamespace(name=evil)))]
    )
    assert "<script>" not in html
    assert html.count("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&#x27;") == 5  # title, name ×2, team ×2


def test_queue_row_escalated_unassigned_and_promised():
    promised = timezone.now() - dt.timedelta(hours=1)
    html = tags.queue_rows(
        [row(request(is_escalated=True, assignee_id=None, assignee=None, promised_at=promised), overdue=True)]
    )
    assert "ti-alert-triangle text-red" in html and 'title="Escalated"' in html
    assert "<td>—</td>" in html
    assert 'data-testid="overdue"' in html and 'title="Past the promised time"' in html


def test_queue_row_promised_in_time():
    promised = timezone.now() + dt.timedelta(hours=1)
    html = tags.queue_rows([row(request(promised_at=promised), overdue=False)])
    assert 'data-testid="overdue"' not in html
    assert timezone.localtime(promised).strftime("%m-%d %H:%M") in html


def test_no_rows_says_so():
    html = tags.queue_rows([])
    assert 'data-testid="queue-empty"' in html and "No requests in this queue." in html


def test_the_tags_work_from_a_template():
    rendered = Template("{% load service_tags %}{% status_badge r %}|{% queue_rows rows %}").render(
        Context({"r": request(), "rows": [row(request())]})
    )
    assert rendered.startswith('<span class="badge bg-cyan-lt"')
    assert 'data-testid="queue-row"' in rendered


def test_the_bulk_bar_options_name_people_with_their_unit_and_escape():
    staff = [
        SimpleNamespace(pk=7, display_name="王<师傅>", org_unit="昆明网点"),
        SimpleNamespace(pk=8, display_name="李四", org_unit=None),
    ]
    html = tags.staff_options(staff)
    assert html == ('<option value="7">王&lt;师傅&gt; · 昆明网点</option><option value="8">李四 · </option>')
    teams = [SimpleNamespace(pk=3, name="A&B 服务部")]
    assert tags.team_options(teams) == '<option value="3">A&amp;B 服务部</option>'
    assert tags.staff_options([]) == "" and tags.team_options([]) == ""


def test_badges_built_once_a_page_are_the_same_on_every_row():
    rows = [row(request(pk=i, status=s, urgency=u)) for i, (s, u) in enumerate([("resolved", "urgent")] * 3)]
    html = tags.queue_rows(rows)
    assert html.count('data-status="resolved">Resolved</span>') == 3
    assert html.count('data-urgency="urgent">Urgent</span>') == 3
    assert [f'value="{i}:3"' in html for i in range(3)] == [True] * 3
