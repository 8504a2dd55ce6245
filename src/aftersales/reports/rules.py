"""Pure rules of the figures: reporting periods, backlog age bands, rates."""

from __future__ import annotations

import datetime as dt

# Backlog age bands in days since the request was received: [lower, upper) — upper None is open-ended.
AGE_BANDS: tuple[tuple[str, int, int | None], ...] = (
    ("lt1d", 0, 1),
    ("1to3d", 1, 3),
    ("3to7d", 3, 7),
    ("7to30d", 7, 30),
    ("ge30d", 30, None),
)


def months_back(today: dt.date, months: int) -> dt.date:
    """The first day of the month `months - 1` months before `today`'s: the start of a period of
    `months` calendar months that ends with the current one (12 → the same month last year + 1)."""
    if months < 1:
        raise ValueError("months must be at least 1")
    index = today.year * 12 + (today.month - 1) - (months - 1)
    return dt.date(index // 12, index % 12 + 1, 1)


def rate(part: int, whole: int) -> float | None:
    """part / whole rounded to four places; None when there is nothing to divide."""
    return round(part / whole, 4) if whole else None


def band_edges(now: dt.datetime) -> list[tuple[str, dt.datetime | None, dt.datetime | None]]:
    """Each age band as (code, received after, received at or before) instants relative to `now`."""
    edges: list[tuple[str, dt.datetime | None, dt.datetime | None]] = []
    for code, lower, upper in AGE_BANDS:
        newest = now - dt.timedelta(days=lower)
        oldest = now - dt.timedelta(days=upper) if upper is not None else None
        edges.append((code, oldest, newest))
    return edges
