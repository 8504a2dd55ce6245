"""Delivery jobs: each new message at once, and every minute whatever is due (retries)."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from aftersales.core import context
from aftersales.core.context import Channel
from aftersales.notifications import services

# A burst job delivers up to this many messages; the minute sweep and the next burst take the rest.
BATCH_LIMIT = 1000


@db_task()
def deliver(message_id: int) -> str:
    with context.acting(channel=Channel.JOB):
        return services.message_deliver(message_id=message_id)


@db_task()
def deliver_many(message_ids: list[int]) -> list[str]:
    with context.acting(channel=Channel.JOB):
        return [services.message_deliver(message_id=message_id) for message_id in message_ids]


@db_task()
def deliver_batch() -> dict[str, int]:
    """Everything due, for the burst of messages that services.delivery_start left to this job."""
    with context.acting(channel=Channel.JOB):
        return services.outbox_deliver_due(limit=BATCH_LIMIT)


@db_periodic_task(crontab(minute="*"))
def deliver_due() -> dict[str, int]:
    with context.acting(channel=Channel.JOB):
        return services.outbox_deliver_due()
