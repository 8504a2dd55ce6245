"""Demo data of the reports: nothing of their own; the dashboard's rollup merged once the requests are in."""

from __future__ import annotations

from aftersales.core.demo import DemoContext, register
from aftersales.reports import rollup


@register(order=90, name="reports")
def load(ctx: DemoContext) -> None:
    # The requests' triggers wrote delta rows as they were loaded (one per request and change on SQLite,
    # one per key and chunk on PostgreSQL): merge them as the nightly job would.
    with ctx.timed("rollup compacted"):
        result = rollup.compact()
    ctx.log(f"    rollup rows: {result.rows_before:,} → {result.rows_after:,}")
