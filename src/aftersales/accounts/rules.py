"""Pure rules of the accounts app: sign-in lock-out and the org-unit tree path."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass


@dataclass(frozen=True)
class ThrottleState:
    failures: int
    window_started_at: dt.datetime | None
    locked_until: dt.datetime | None


def is_locked(state: ThrottleState, now: dt.datetime) -> bool:
    return state.locked_until is not None and now < state.locked_until


def after_failure(
    state: ThrottleState, now: dt.datetime, *, max_failures: int, window: dt.timedelta, lock: dt.timedelta
) -> ThrottleState:
    """The throttle after one more failed sign-in.

    Failures count within a window that starts at the first failure; reaching `max_failures` inside
    it locks the name for `lock`. A failure after the window (or after a lock ran out) starts a new
    window. Attempts during a lock do not extend it, so an attacker cannot keep a user out forever
    by guessing slower than the lock time.
    """
    if is_locked(state, now):
        return state
    if state.window_started_at is None or now - state.window_started_at >= window or state.locked_until is not None:
        failures, started = 1, now
    else:
        failures, started = state.failures + 1, state.window_started_at
    locked_until = now + lock if failures >= max_failures else None
    return ThrottleState(failures=failures, window_started_at=started, locked_until=locked_until)


def minutes_left(state: ThrottleState, now: dt.datetime) -> int:
    """Whole minutes (rounded up) until the lock ends; 0 if not locked."""
    if not is_locked(state, now):
        return 0
    assert state.locked_until is not None
    seconds = (state.locked_until - now).total_seconds()
    return max(1, int(-(-seconds // 60)))


def child_path(parent_path: str, unit_id: int) -> str:
    """Tree path of a unit under a parent ("" for a root): "/1/" + "5" → "/1/5/"."""
    return f"{parent_path or '/'}{unit_id}/"


def is_in_subtree(path: str, root_path: str) -> bool:
    return path.startswith(root_path)
