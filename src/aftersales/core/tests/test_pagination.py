"""Totals counted up to a cap: exact below it, "more than" at it, for querysets, shaped lists and lists."""

from __future__ import annotations

import pytest

from aftersales.accounts.models import OrgUnit
from aftersales.core import pagination


@pytest.mark.parametrize(("rows", "cap", "expected"), [(0, 3, (0, False)), (3, 3, (3, False)), (4, 3, (3, True))])
def test_capped_count(org, rows, cap, expected):
    base = OrgUnit.objects.filter(code__startswith="CAP-")
    for i in range(rows):
        OrgUnit.objects.create(name=f"u{i}", code=f"CAP-{i}", kind="team", parent=org["a"])
    assert pagination.capped_count(base, cap) == expected
    assert pagination.capped_count(pagination.Shaped(base, str), cap) == expected
    assert pagination.capped_count(list(base), cap) == (rows, False)


def test_the_paginator_and_the_api_pages_say_when_they_stopped_counting(org, monkeypatch):
    monkeypatch.setattr(pagination, "COUNT_CAP", 2)
    for i in range(3):
        OrgUnit.objects.create(name=f"u{i}", code=f"CAP-{i}", kind="team", parent=org["a"])
    paginator = pagination.CappedPaginator(OrgUnit.objects.filter(code__startswith="CAP-").order_by("id"), 1)
    assert (paginator.count, paginator.capped, paginator.num_pages) == (2, True, 2)


def test_a_list_can_count_to_a_lower_cap(org):
    for i in range(3):
        OrgUnit.objects.create(name=f"u{i}", code=f"CAP-{i}", kind="team", parent=org["a"])
    base = OrgUnit.objects.filter(code__startswith="CAP-").order_by("id")
    assert pagination.capped_count(pagination.Shaped(base, str, cap=2)) == (2, True)
    assert pagination.Shaped(base, str, cap=2).count() == 2
    assert pagination.CappedPaginator(base, 1, cap=2).count == 2
    assert pagination.CappedPaginator(base, 1).count == 3
