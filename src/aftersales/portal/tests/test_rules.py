"""The portal's pure rules: customer-facing states, progress, label-sheet input, scan titles."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from aftersales.portal import rules
from aftersales.service.models import Status


def test_every_state_has_customer_words_and_a_progress_step():
    assert set(rules.CUSTOMER_STATUS) == set(Status.values)
    for status in Status.values:
        assert str(rules.customer_status(status).label)
        assert 0 <= rules.progress_step(status) < len(rules.PROGRESS_STEPS)


@pytest.mark.parametrize(
    ("status", "reached"),
    [("received", 1), ("registered", 1), ("dispatched", 2), ("in_progress", 3), ("resolved", 4), ("closed", 4)],
)
def test_progress_reads_like_a_parcel(status, reached):
    steps = rules.progress(status)
    assert [r for _label, r, _current in steps] == [True] * reached + [False] * (4 - reached)
    assert [c for _label, _r, c in steps].index(True) == reached - 1


def test_parse_ids_and_serials():
    assert rules.parse_ids("3, 1,2 3 x") == [3, 1, 2]
    assert rules.parse_ids("") == []
    assert rules.parse_serials(" SN1，SN2;SN3\nSN1 、SN4 ") == ["SN1", "SN2", "SN3", "SN4"]


@given(st.lists(st.integers(min_value=0, max_value=10**9)))
def test_parse_ids_keeps_order_without_repeats(ids):
    assert rules.parse_ids(" , ".join(map(str, ids))) == list(dict.fromkeys(ids))


def test_scan_title_is_the_first_line_cut_short():
    assert rules.scan_title("\n  漏水  \n第二行") == "漏水"
    assert rules.scan_title("长" * 50) == "长" * 39 + "…"
    assert rules.scan_title("") == ""


@given(st.text())
def test_scan_title_never_exceeds_the_limit(text):
    assert len(rules.scan_title(text)) <= 40
