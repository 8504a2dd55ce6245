"""Periodic housekeeping jobs of the shared kernel (run by the Huey worker that ./run starts)."""

from __future__ import annotations

from django.core import management
from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from aftersales.core import context
from aftersales.core.context import Channel
from aftersales.core.services import database_analyse


@db_periodic_task(crontab(minute="17", hour="3"))
def sessions_purge() -> None:
    """Delete expired sign-in sessions every night (Django keeps them otherwise)."""
    with context.acting(channel=Channel.JOB):
        management.call_command("clearsessions")


@db_periodic_task(crontab(minute="37", hour="3"))
def database_statistics() -> str:
    """Refresh the query planner's statistics every night. SQLite keeps none until ANALYZE runs, and
    without them it picked a team's plain index over (team, state, due) for the queue and a full index
    scan for the dashboard (10-50× slower at 1M requests); PostgreSQL's autovacuum does the same job."""
    with context.acting(channel=Channel.JOB):
        return database_analyse()
