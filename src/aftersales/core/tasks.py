"""Periodic housekeeping jobs of the shared kernel (run by the Huey worker that ./run starts)."""

from __future__ import annotations

from django.core import management
from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from aftersales.core import context
from aftersales.core.context import Channel


@db_periodic_task(crontab(minute="17", hour="3"))
def sessions_purge() -> None:
    """Delete expired sign-in sessions every night (Django keeps them otherwise)."""
    with context.acting(channel=Channel.JOB):
        management.call_command("clearsessions")
