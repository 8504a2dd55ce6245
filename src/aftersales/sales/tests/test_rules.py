"""Order arithmetic, delivery status, the contract state machine and contract extensions."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from aftersales.sales import rules


def test_line_amount_and_total_are_exact_decimals():
    assert rules.line_amount(3, Decimal("19.99")) == Decimal("59.97")
    assert rules.order_total([(3, Decimal("19.99")), (1, Decimal("0.01"))]) == Decimal("59.98")
    assert rules.order_total([]) == Decimal("0.00")


@pytest.mark.parametrize(
    ("pairs", "status"),
    [
        ([(2, 0), (1, 0)], "pending"),
        ([(2, 1), (1, 0)], "partial"),
        ([(2, 2), (1, 0)], "partial"),
        ([(2, 2), (1, 1)], "delivered"),
    ],
)
def test_delivery_status(pairs, status):
    assert rules.delivery_status(pairs) == status


ALL = ["draft", "active", "expired", "terminated"]
ALLOWED = {("draft", "active"), ("draft", "terminated"), ("active", "expired"), ("active", "terminated")}


@pytest.mark.parametrize("current", ALL)
@pytest.mark.parametrize("target", ALL)
def test_contract_state_machine_exhaustively(current, target):
    assert rules.contract_can_move(current, target) == ((current, target) in ALLOWED)


def test_contract_extension():
    kw = {"starts_on": dt.date(2025, 1, 1), "ends_on": dt.date(2027, 12, 31), "standard_end": dt.date(2026, 3, 14)}
    assert rules.contract_extension_until(status="active", extended_months=12, **kw) == dt.date(2027, 3, 14)
    assert rules.contract_extension_until(status="active", extended_months=36, **kw) == dt.date(2027, 12, 31)
    assert rules.contract_extension_until(status="draft", extended_months=12, **kw) is None
    assert rules.contract_extension_until(status="active", extended_months=0, **kw) is None
    assert rules.contract_extension_until(status="active", extended_months=12, **{**kw, "standard_end": None}) is None
    ends_first = {**kw, "ends_on": dt.date(2026, 1, 1)}
    assert rules.contract_extension_until(status="active", extended_months=12, **ends_first) is None
