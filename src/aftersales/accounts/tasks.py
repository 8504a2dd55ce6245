"""Background jobs of the accounts app."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from aftersales.accounts import services
from aftersales.core import context
from aftersales.core.context import Channel


@db_periodic_task(crontab(minute="*/30"))
def login_throttles_expire() -> int:
    """Forget sign-in failures whose window and lock are over (idempotent)."""
    with context.acting(channel=Channel.JOB):
        return services.login_throttles_expire()
