"""Periodic jobs of the reports: the nightly compaction of the dashboard's rollup."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from aftersales.core import context
from aftersales.core.context import Channel
from aftersales.reports import rollup


@db_periodic_task(crontab(minute="27", hour="3"))
def rollup_compact() -> dict[str, int]:
    """Merge the day's count deltas into one row per key (before the statistics job at 03:37). Each
    request write adds one or two delta rows; merged, a year is a few tens of thousands of rows."""
    with context.acting(channel=Channel.JOB):
        result = rollup.compact()
    return {"rows_before": result.rows_before, "rows_after": result.rows_after}
