"""Benchmark: due-time computation on the PRC calendar (target ≥ 50,000 per second on one core).

Run: .venv/bin/python bench/sla_bench.py [N]   (no database needed; the schedule comes from chinesecalendar)
"""

from __future__ import annotations

import datetime as dt
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

import chinese_calendar  # noqa: E402

from aftersales.sla import rules  # noqa: E402


def main(n: int = 100_000) -> None:
    spec = rules.CalendarSpec(
        public_holidays=frozenset(chinese_calendar.holidays),
        public_workdays=frozenset(chinese_calendar.workdays),
        covered_years=frozenset(range(2004, 2027)),
    )
    rng = random.Random(20261122)
    base = dt.datetime(2025, 1, 1, tzinfo=rules.SHANGHAI)
    starts = [base + dt.timedelta(minutes=rng.randrange(0, 600 * 24 * 60)) for _ in range(n)]
    targets = [rng.choice([30, 240, 24 * 60, 48 * 60]) for _ in range(n)]
    rows = []
    for label, fn in (
        ("add working minutes (30 min … 48 h)", lambda s, m: rules.add_working_minutes(spec, s, m)),
        ("add 3 working days (end of day)", lambda s, m: rules.add_working_days(spec, s, 3)),
        (
            "working minutes between",
            lambda s, m: rules.working_minutes_between(spec, s, s + dt.timedelta(minutes=m * 3)),
        ),
    ):
        t0 = time.perf_counter()
        for s, m in zip(starts, targets, strict=True):
            fn(s, m)
        elapsed = time.perf_counter() - t0
        rows.append((label, n, elapsed, n / elapsed))
    print(f"{'computation':<40} {'n':>8} {'seconds':>8} {'per second':>12} {'target':>8}")
    for label, count, elapsed, rate in rows:
        print(f"{label:<40} {count:>8} {elapsed:>8.2f} {rate:>12,.0f} {'ok' if rate >= 50_000 else 'MISSED':>8}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000)
