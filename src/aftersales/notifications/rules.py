"""Pure rules of delivery: back-off between attempts and when to give up."""

from __future__ import annotations

import datetime as dt

MAX_ATTEMPTS = 12
# A worker that died mid-send leaves a claim; after this long the message is tried again.
STALE_CLAIM = dt.timedelta(minutes=10)


def backoff(attempts: int) -> dt.timedelta:
    """1, 2, 4, 8 … minutes after the n-th failure, at most 6 hours."""
    return min(dt.timedelta(minutes=2 ** max(0, attempts - 1)), dt.timedelta(hours=6))


def gives_up(attempts: int) -> bool:
    return attempts >= MAX_ATTEMPTS
