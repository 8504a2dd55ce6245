"""Reporting periods, age bands and rates."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from aftersales.reports import rules


@pytest.mark.parametrize(
    ("today", "months", "start"),
    [
        (dt.date(2026, 12, 1), 1, dt.date(2026, 12, 1)),
        (dt.date(2026, 12, 31), 12, dt.date(2026, 1, 1)),
        (dt.date(2026, 11, 15), 12, dt.date(2025, 12, 1)),
        (dt.date(2026, 1, 10), 2, dt.date(2025, 12, 1)),
        (dt.date(2026, 3, 31), 24, dt.date(2024, 4, 1)),
    ],
)
def test_months_back(today, months, start):
    assert rules.months_back(today, months) == start


@given(st.dates(min_value=dt.date(2001, 1, 1), max_value=dt.date(2099, 12, 31)), st.integers(1, 60))
def test_a_period_spans_exactly_that_many_months_and_starts_on_a_first(today, months):
    start = rules.months_back(today, months)
    assert start.day == 1 and start <= today
    assert (today.year - start.year) * 12 + today.month - start.month == months - 1


def test_months_must_be_positive():
    with pytest.raises(ValueError, match="at least 1"):
        rules.months_back(dt.date(2026, 1, 1), 0)


def test_rate():
    assert rules.rate(1, 3) == 0.3333
    assert rules.rate(0, 5) == 0.0
    assert rules.rate(0, 0) is None


def test_age_bands_cover_all_ages_without_gaps():
    now = dt.datetime(2026, 11, 16, 10, tzinfo=dt.UTC)
    edges = rules.band_edges(now)
    assert edges[0][2] == now and edges[-1][1] is None
    for (_c1, older, _n1), (_c2, _o2, newer) in zip(edges, edges[1:], strict=False):
        assert older == newer  # each band starts where the previous one ends
    assert [c for c, *_ in edges] == ["lt1d", "1to3d", "3to7d", "7to30d", "ge30d"]
