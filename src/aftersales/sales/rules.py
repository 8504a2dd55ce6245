"""Pure rules of sales orders and service contracts."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal

from aftersales.catalog.rules import add_months

MONEY = Decimal("0.01")


def line_amount(quantity: int, unit_price: Decimal) -> Decimal:
    return (unit_price * quantity).quantize(MONEY)


def order_total(lines: Iterable[tuple[int, Decimal]]) -> Decimal:
    return sum((line_amount(q, p) for q, p in lines), Decimal("0.00"))


def delivery_status(ordered_and_delivered: Iterable[tuple[int, int]]) -> str:
    """ "pending", "partial" or "delivered" from (ordered, delivered) per line."""
    pairs = list(ordered_and_delivered)
    delivered = sum(d for _o, d in pairs)
    if delivered == 0:
        return "pending"
    if all(d >= o for o, d in pairs):
        return "delivered"
    return "partial"


# The contract's state machine: state → states it may move to.
CONTRACT_TRANSITIONS: dict[str, frozenset[str]] = {
    "draft": frozenset({"active", "terminated"}),
    "active": frozenset({"expired", "terminated"}),
    "expired": frozenset(),
    "terminated": frozenset(),
}


def contract_can_move(current: str, target: str) -> bool:
    return target in CONTRACT_TRANSITIONS.get(current, frozenset())


def contract_extension_until(
    *, status: str, starts_on: dt.date, ends_on: dt.date, extended_months: int, standard_end: dt.date | None
) -> dt.date | None:
    """How far an active contract's extended warranty reaches for a unit whose warranty ends on `standard_end`.

    The extension adds its months after the standard warranty, but never past the contract's own end.
    """
    if status != "active" or extended_months <= 0 or standard_end is None or ends_on < starts_on:
        return None
    reach = min(add_months(standard_end, extended_months), ends_on)
    return reach if reach > standard_end else None  # a contract ending first extends nothing
