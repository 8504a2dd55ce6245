"""Pure rules of service requests: the state machine, required fields, request numbers, assignment."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

OPEN = frozenset({"received", "registered", "dispatched", "in_progress", "waiting_customer", "waiting_parts"})
WAITING = frozenset({"waiting_customer", "waiting_parts"})
DONE = frozenset({"resolved", "closed", "cancelled"})


@dataclass(frozen=True)
class Transition:
    action: str
    sources: frozenset[str]
    target: str


# The whole lifecycle in one table: action → (from which states, to which state).
TRANSITIONS: dict[str, Transition] = {
    t.action: t
    for t in (
        Transition("register", frozenset({"received"}), "registered"),
        Transition("dispatch", frozenset({"received", "registered", "dispatched", "in_progress"}), "dispatched"),
        Transition("start", frozenset({"registered", "dispatched"}), "in_progress"),
        Transition("wait_customer", frozenset({"registered", "dispatched", "in_progress"}), "waiting_customer"),
        Transition("wait_parts", frozenset({"dispatched", "in_progress"}), "waiting_parts"),
        Transition("resume", WAITING, "in_progress"),
        Transition(
            "resolve",
            frozenset({"received", "registered", "dispatched", "in_progress", "waiting_customer"}),
            "resolved",
        ),
        Transition("close", frozenset({"resolved"}), "closed"),
        Transition("reopen", frozenset({"resolved", "closed"}), "in_progress"),
        Transition("cancel", OPEN, "cancelled"),
    )
}


def target_of(action: str, current: str) -> str | None:
    """The state `action` leads to from `current`, or None when the move is not allowed."""
    transition = TRANSITIONS.get(action)
    if transition is None or current not in transition.sources:
        return None
    return transition.target


def allowed_actions(current: str) -> list[str]:
    return [a for a, t in TRANSITIONS.items() if current in t.sources]


# Fields a request must have, by type, once it has left "received" (the record-completeness KPI).
_ALWAYS = ("customer", "title", "channel", "received_at", "urgency")
REQUIRED_AFTER_REGISTER: Mapping[str, tuple[str, ...]] = {
    "consultation": (),
    "repair": ("unit_or_model", "fault_category", "promised_at"),
    "maintenance": ("unit_or_model", "promised_at"),
    "installation": ("unit_or_model", "promised_at"),
    "delivery": ("promised_at",),
    "return": ("unit_or_model",),
    "exchange": ("unit_or_model",),
    "complaint": ("promised_at",),
    "suggestion": (),
}
REQUIRED_WHEN_DONE = ("resolution",)


def missing_fields(*, type: str, status: str, values: Mapping[str, object]) -> list[str]:  # noqa: A002 (domain word)
    """The required fields a request lacks in its current state (empty list = complete)."""
    required: list[str] = list(_ALWAYS)
    if status != "received" and status != "cancelled":
        required += REQUIRED_AFTER_REGISTER.get(type, ())
    if status in {"resolved", "closed"}:
        required += REQUIRED_WHEN_DONE
    missing = []
    for name in required:
        if name == "unit_or_model":
            if not values.get("unit") and not values.get("product_model"):
                missing.append(name)
        elif values.get(name) in (None, ""):
            missing.append(name)
    return missing


_NUMBER = re.compile(r"^SR\d{8}-\d{4,}$")


def number_in_query(query: str) -> str:
    """The request number a search box holds (SR20261202-000123, any case), else ""."""
    candidate = query.strip().upper()
    return candidate if _NUMBER.match(candidate) else ""


def request_number(received_on: dt.date, sequence: int) -> str:
    """SR20261122-000123: the day it was received and that day's running number."""
    return f"SR{received_on:%Y%m%d}-{sequence:06d}"


@dataclass(frozen=True)
class Candidate:
    user_id: int
    open_count: int
    cap: int
    on_duty: bool
    skills: frozenset[str]


def skill_tags(text: str) -> frozenset[str]:
    """The skills in a comma-separated list as people type it ("空调，净水, 安装": full-width commas too)."""
    return frozenset(tag.strip() for tag in text.replace("，", ",").split(",") if tag.strip())


def eligible(candidates: Iterable[Candidate], *, required_skills: Iterable[str] = ()) -> list[Candidate]:
    """Staff who are on duty, below their cap of open requests, and have every required skill."""
    needed = frozenset(required_skills)
    return [c for c in candidates if c.on_duty and c.open_count < c.cap and needed <= c.skills]


def pick_least_load(candidates: Sequence[Candidate]) -> Candidate | None:
    """Fewest open requests; ties by lowest id so the choice is stable."""
    return min(candidates, key=lambda c: (c.open_count, c.user_id), default=None)


def pick_round_robin(candidates: Sequence[Candidate], *, last_user_id: int | None) -> Candidate | None:
    """The next candidate after the last one assigned (by id), wrapping around."""
    ordered = sorted(candidates, key=lambda c: c.user_id)
    if not ordered:
        return None
    if last_user_id is None:
        return ordered[0]
    return next((c for c in ordered if c.user_id > last_user_id), ordered[0])


# --- the time-limit cell of a queue row -------------------------------------------------------


def limit_state(*, status: str, due_at: dt.datetime | None, warn_at: dt.datetime | None, now: dt.datetime) -> str:
    """How a request stands against its soonest running limit: "overdue", "at_risk", "running", or
    "paused" (waiting: the clocks stand still), "" when there is no running limit or it is done."""
    if status not in OPEN:
        return ""
    if status in WAITING:
        return "paused"
    if due_at is None:
        return ""
    if due_at < now:
        return "overdue"
    if warn_at is not None and warn_at <= now:
        return "at_risk"
    return "running"


def duration_parts(delta: dt.timedelta) -> tuple[int, int, int]:
    """A duration as (days, hours, minutes), rounded down to the minute; negative becomes its size."""
    minutes = int(abs(delta.total_seconds()) // 60)
    return minutes // (24 * 60), minutes // 60 % 24, minutes % 60
