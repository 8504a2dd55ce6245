"""The lifecycle table, exhaustively; required fields; numbers; choosing an assignee."""

from __future__ import annotations

import datetime as dt

import pytest

from aftersales.service import rules
from aftersales.service.models import Status

STATES = [s.value for s in Status]
EXPECTED = {
    ("register", "received"): "registered",
    **{("dispatch", s): "dispatched" for s in ("received", "registered", "dispatched", "in_progress")},
    ("start", "registered"): "in_progress",
    ("start", "dispatched"): "in_progress",
    **{("wait_customer", s): "waiting_customer" for s in ("registered", "dispatched", "in_progress")},
    ("wait_parts", "dispatched"): "waiting_parts",
    ("wait_parts", "in_progress"): "waiting_parts",
    ("resume", "waiting_customer"): "in_progress",
    ("resume", "waiting_parts"): "in_progress",
    **{("resolve", s): "resolved" for s in ("received", "registered", "dispatched", "in_progress", "waiting_customer")},
    ("close", "resolved"): "closed",
    ("reopen", "resolved"): "in_progress",
    ("reopen", "closed"): "in_progress",
    **{("cancel", s): "cancelled" for s in rules.OPEN},
}


@pytest.mark.parametrize("action", list(rules.TRANSITIONS))
@pytest.mark.parametrize("state", STATES)
def test_every_action_from_every_state(action, state):
    assert rules.target_of(action, state) == EXPECTED.get((action, state))


def test_unknown_action_is_refused():
    assert rules.target_of("teleport", "received") is None


def test_final_states_allow_only_reopen():
    assert rules.allowed_actions("cancelled") == []
    assert rules.allowed_actions("closed") == ["reopen"]


def test_every_state_is_reachable_from_received():
    reached, frontier = {"received"}, ["received"]
    while frontier:
        state = frontier.pop()
        for action in rules.allowed_actions(state):
            target = rules.target_of(action, state)
            if target not in reached:
                reached.add(target)
                frontier.append(target)
    assert reached == set(STATES)


def test_required_fields():
    base = {"customer": 1, "title": "不制冷", "channel": "phone", "received_at": 1, "urgency": "normal"}
    assert rules.missing_fields(type="repair", status="received", values=base) == []
    assert rules.missing_fields(type="repair", status="registered", values=base) == [
        "unit_or_model",
        "fault_category",
        "promised_at",
    ]
    full = {**base, "unit": 3, "fault_category": 2, "promised_at": 1}
    assert rules.missing_fields(type="repair", status="in_progress", values=full) == []
    assert rules.missing_fields(type="repair", status="resolved", values=full) == ["resolution"]
    assert rules.missing_fields(type="consultation", status="resolved", values={**base, "resolution": "已解答"}) == []
    assert rules.missing_fields(type="repair", status="cancelled", values=base) == []
    assert rules.missing_fields(type="complaint", status="registered", values={**base, "title": ""}) == [
        "title",
        "promised_at",
    ]


def test_request_number():
    assert rules.request_number(dt.date(2026, 11, 22), 123) == "SR20261122-000123"


def C(uid, n, cap=10, duty=True, skills=()):
    return rules.Candidate(user_id=uid, open_count=n, cap=cap, on_duty=duty, skills=frozenset(skills))


def test_eligibility_and_balancing():
    pool = [C(1, 5), C(2, 2), C(3, 2), C(4, 0, duty=False), C(5, 10, cap=10), C(6, 1, skills=("空调",))]
    eligible = rules.eligible(pool)
    assert [c.user_id for c in eligible] == [1, 2, 3, 6]
    assert [c.user_id for c in rules.eligible(pool, required_skills=["空调"])] == [6]
    assert rules.pick_least_load(eligible).user_id == 6
    assert rules.pick_least_load(eligible[:3]).user_id == 2
    assert rules.pick_least_load([]) is None
    assert rules.pick_round_robin(eligible, last_user_id=None).user_id == 1
    assert rules.pick_round_robin(eligible, last_user_id=2).user_id == 3
    assert rules.pick_round_robin(eligible, last_user_id=6).user_id == 1
    assert rules.pick_round_robin([], last_user_id=1) is None


# --- the time-limit cell of a queue row -------------------------------------------------------

NOW = dt.datetime(2026, 11, 16, 10, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("status", "due", "warn", "expected"),
    [
        ("registered", None, None, ""),
        ("registered", NOW + dt.timedelta(hours=2), NOW + dt.timedelta(hours=1), "running"),
        ("registered", NOW + dt.timedelta(hours=2), NOW, "at_risk"),  # the warning time itself counts
        ("in_progress", NOW + dt.timedelta(hours=2), None, "running"),
        ("dispatched", NOW - dt.timedelta(seconds=1), NOW - dt.timedelta(hours=1), "overdue"),
        ("in_progress", NOW, NOW - dt.timedelta(hours=1), "at_risk"),  # due this very instant: not yet late
        ("waiting_customer", NOW - dt.timedelta(hours=1), None, "paused"),
        ("waiting_parts", None, None, "paused"),
        ("resolved", NOW - dt.timedelta(hours=1), None, ""),
        ("closed", None, None, ""),
        ("cancelled", NOW - dt.timedelta(days=1), None, ""),
    ],
)
def test_limit_state(status, due, warn, expected):
    assert rules.limit_state(status=status, due_at=due, warn_at=warn, now=NOW) == expected


@pytest.mark.parametrize(
    ("delta", "parts"),
    [
        (dt.timedelta(0), (0, 0, 0)),
        (dt.timedelta(seconds=59), (0, 0, 0)),
        (dt.timedelta(minutes=45), (0, 0, 45)),
        (dt.timedelta(hours=2, minutes=15, seconds=30), (0, 2, 15)),
        (dt.timedelta(days=1, hours=3), (1, 3, 0)),
        (-dt.timedelta(days=2, minutes=1), (2, 0, 1)),
    ],
)
def test_duration_parts(delta, parts):
    assert rules.duration_parts(delta) == parts


@pytest.mark.parametrize(
    ("query", "number"),
    [
        ("SR20261202-000123", "SR20261202-000123"),
        (" sr20261202-000123 ", "SR20261202-000123"),
        ("SR20261202-1234567", "SR20261202-1234567"),
        ("SR2026-000123", ""),
        ("漏水 SR20261202-000123", ""),
        ("20261202", ""),
        ("", ""),
    ],
)
def test_a_request_number_in_the_search_box(query, number):
    assert rules.number_in_query(query) == number


@pytest.mark.parametrize(
    ("text", "tags"),
    [
        ("", set()),
        ("空调", {"空调"}),
        ("空调，净水, 安装", {"空调", "净水", "安装"}),
        (" 空调 ,, ，净水 ", {"空调", "净水"}),
        ("空调,空调", {"空调"}),
    ],
)
def test_skill_tags_read_ascii_and_full_width_commas(text, tags):
    assert rules.skill_tags(text) == frozenset(tags)
