"""The lock-out rule and the tree-path rule, exhaustively and by property."""

from __future__ import annotations

import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from aftersales.accounts import rules
from aftersales.accounts.rules import ThrottleState

T0 = dt.datetime(2026, 11, 22, 9, 0, tzinfo=dt.UTC)
WINDOW = dt.timedelta(minutes=15)
LOCK = dt.timedelta(minutes=15)


def fail(state: ThrottleState, at: dt.datetime, max_failures: int = 5) -> ThrottleState:
    return rules.after_failure(state, at, max_failures=max_failures, window=WINDOW, lock=LOCK)


EMPTY = ThrottleState(0, None, None)


def test_first_failure_starts_a_window():
    state = fail(EMPTY, T0)
    assert state == ThrottleState(1, T0, None)


def test_fifth_failure_within_the_window_locks():
    state = EMPTY
    for i in range(4):
        state = fail(state, T0 + dt.timedelta(minutes=i))
        assert state.locked_until is None
    state = fail(state, T0 + dt.timedelta(minutes=4))
    assert state.failures == 5
    assert state.locked_until == T0 + dt.timedelta(minutes=4) + LOCK
    assert rules.is_locked(state, T0 + dt.timedelta(minutes=5))


def test_failures_spread_beyond_the_window_never_lock():
    state = EMPTY
    for i in range(20):
        state = fail(state, T0 + i * (WINDOW / 4 + dt.timedelta(seconds=1)) * 4)
        assert state.locked_until is None
        assert state.failures == 1


def test_window_boundary_is_exclusive():
    state = fail(EMPTY, T0)
    state = fail(state, T0 + WINDOW)  # exactly at the end: a new window
    assert state == ThrottleState(1, T0 + WINDOW, None)


def test_attempts_during_a_lock_do_not_extend_it():
    state = ThrottleState(5, T0, T0 + LOCK)
    later = fail(state, T0 + dt.timedelta(minutes=10))
    assert later == state


def test_lock_ends_exactly_at_locked_until():
    state = ThrottleState(5, T0, T0 + LOCK)
    assert rules.is_locked(state, T0 + LOCK - dt.timedelta(seconds=1))
    assert not rules.is_locked(state, T0 + LOCK)


def test_failure_after_a_lock_starts_afresh():
    state = ThrottleState(5, T0, T0 + LOCK)
    after = fail(state, T0 + LOCK + dt.timedelta(seconds=1))
    assert after == ThrottleState(1, T0 + LOCK + dt.timedelta(seconds=1), None)


def test_minutes_left_rounds_up_and_is_zero_when_unlocked():
    state = ThrottleState(5, T0, T0 + LOCK)
    assert rules.minutes_left(state, T0) == 15
    assert rules.minutes_left(state, T0 + dt.timedelta(minutes=14, seconds=1)) == 1
    assert rules.minutes_left(state, T0 + LOCK) == 0
    assert rules.minutes_left(EMPTY, T0) == 0


def test_max_failures_of_one_locks_at_once():
    assert fail(EMPTY, T0, max_failures=1).locked_until == T0 + LOCK


@given(st.lists(st.integers(min_value=0, max_value=3600), min_size=1, max_size=40), st.integers(1, 8))
def test_locked_only_after_max_failures_inside_one_window(gaps: list[int], max_failures: int):
    state, now = EMPTY, T0
    for gap in gaps:
        now = now + dt.timedelta(seconds=gap)
        before = state
        state = fail(state, now, max_failures)
        assert 1 <= state.failures <= max(max_failures, before.failures)
        if state.locked_until is not None and state != before:
            assert state.failures >= max_failures
            assert now - state.window_started_at < WINDOW or state.failures == 1


def test_child_path_and_subtree():
    assert rules.child_path("", 1) == "/1/"
    assert rules.child_path("/1/", 5) == "/1/5/"
    assert rules.is_in_subtree("/1/5/9/", "/1/5/")
    assert rules.is_in_subtree("/1/5/", "/1/5/")
    assert not rules.is_in_subtree("/1/50/", "/1/5/")
