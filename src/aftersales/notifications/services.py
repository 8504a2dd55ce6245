"""The outbox: enqueue (idempotent per dedupe key) and deliver (claimed, retried with back-off)."""

from __future__ import annotations

import functools
import logging
import time
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.template import Context, Engine, Template
from django.utils import timezone

from aftersales.core import config_cache
from aftersales.core.inserts import Rows
from aftersales.notifications import rules
from aftersales.notifications.channels import DeliveryError, send
from aftersales.notifications.models import MessageStatus, NotificationTemplate, OutboxMessage

logger = logging.getLogger(__name__)
_ENGINE = Engine(autoescape=False)


def message_enqueue(
    *,
    channel: str,
    recipient: str,
    body: str,
    dedupe_key: str,
    subject: str = "",
    event: str = "",
    related_type: str = "",
    related_id: str | int = "",
) -> OutboxMessage | None:
    """Store a message for delivery; the same dedupe key twice stores it once. Returns None if empty."""
    message = _unsaved(channel, recipient, subject, body, event, dedupe_key, related_type, str(related_id))
    if message is None:
        return None
    existing = OutboxMessage.objects.filter(dedupe_key=message.dedupe_key).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            message.save(force_insert=True)
    except IntegrityError:
        return OutboxMessage.objects.get(dedupe_key=dedupe_key[:200])
    transaction.on_commit(lambda: delivery_start([message.pk]))
    return message


# --- starting delivery ------------------------------------------------------------------------
# Committed messages are delivered by a job, one job per burst rather than one per message: enqueueing
# is a write (and an fsync) in the job store, about 0.5 ms of every create. The first message after a
# quiet spell enqueues a job that starts DELIVERY_BATCH_SECONDS later and delivers everything due by
# then; messages committed before it starts are left to it. The minute sweep (tasks.deliver_due) is the
# safety net for anything else — a job store that was down, a worker that stopped.
DELIVERY_BATCH_SECONDS = 1.0
# A message is left to the waiting job only while it is this far from starting: the web and job workers
# may run on machines whose clocks differ a little.
DELIVERY_CLOCK_MARGIN = 0.25
_batch_starts_at = 0.0


def delivery_start(message_ids: list[int]) -> None:
    """Have these committed messages delivered (per process: the job it scheduled last covers them)."""
    global _batch_starts_at
    from huey.contrib.djhuey import HUEY

    from aftersales.notifications import tasks  # the task module imports this one

    if HUEY.immediate:
        # Jobs run inline (the test settings): there is no later to leave them to.
        tasks.deliver_many(message_ids)
        return
    now = time.time()
    if now < _batch_starts_at - DELIVERY_CLOCK_MARGIN:
        return
    tasks.deliver_batch.schedule(delay=DELIVERY_BATCH_SECONDS)
    _batch_starts_at = now + DELIVERY_BATCH_SECONDS


def templates_for(events: list[str]) -> dict[tuple[str, str], NotificationTemplate]:
    """The active templates of these events by (event, channel), in one query (cached per process until
    a template changes: core.config_cache; treat them as read-only)."""
    return config_cache.cached(
        "templates:" + ",".join(sorted(events)),
        lambda: {
            (t.event, t.channel): t for t in NotificationTemplate.objects.filter(event__in=events, is_active=True)
        },
    )


@functools.lru_cache(maxsize=512)
def _compiled(text: str) -> Template:
    """A template text compiled once per process (compiling costs more than rendering)."""
    return _ENGINE.from_string(text)


def render_template(template: NotificationTemplate, context: dict[str, Any]) -> tuple[str, str]:
    ctx = Context(context)
    return _compiled(template.subject).render(ctx).strip(), _compiled(template.body).render(ctx).strip()


def message_build(
    *,
    channel: str,
    recipient: str,
    subject: str,
    body: str,
    event: str,
    dedupe_key: str,
    related: Any,
) -> OutboxMessage | None:
    """An unsaved message for `messages_store` (None when there is nothing to send)."""
    return _unsaved(channel, recipient, subject, body, event, dedupe_key, related._meta.label_lower, str(related.pk))


def _unsaved(
    channel: str,
    recipient: str,
    subject: str,
    body: str,
    event: str,
    dedupe_key: str,
    related_type: str,
    related_id: str,
) -> OutboxMessage | None:
    if not recipient or not body.strip():
        return None
    return OutboxMessage(
        channel=channel,
        recipient=recipient,
        subject=subject[:200],
        body=body,
        event=event,
        dedupe_key=dedupe_key[:200],
        related_type=related_type,
        related_id=related_id,
        next_attempt_at=timezone.now(),
    )


def messages_store(messages: Rows) -> None:
    """Insert messages whose dedupe keys are new — e.g. about a record created in the same
    transaction — in one statement, inside the caller's transaction; delivery starts after commit.
    They come converted before that transaction: `core.inserts.rows(messages, returning_pk=True)`."""
    if not messages.of(OutboxMessage) or (messages.objs and not messages.returning):
        raise TypeError("messages_store() writes messages converted with their keys returned")
    stored = list(messages.objs)
    messages.write()
    ids = [m.pk for m in stored if m.pk is not None]
    if ids:
        transaction.on_commit(lambda: delivery_start(ids))


def render(event: str, channel: str, context: dict[str, Any]) -> tuple[str, str] | None:
    """(subject, body) from the event's template on the channel, or None when there is no active one."""
    template = NotificationTemplate.objects.filter(event=event, channel=channel, is_active=True).first()
    if template is None:
        return None
    return render_template(template, context)


def notify(
    *, event: str, channel: str, recipient: str, context: dict[str, Any], dedupe_key: str, related: Any = None
) -> OutboxMessage | None:
    rendered = render(event, channel, context)
    if rendered is None:
        return None
    subject, body = rendered
    return message_enqueue(
        channel=channel,
        recipient=recipient,
        subject=subject,
        body=body,
        event=event,
        dedupe_key=dedupe_key,
        related_type=related._meta.label_lower if related is not None else "",
        related_id=related.pk if related is not None else "",
    )


def _claim(message_id: int) -> bool:
    """Take the message for this worker: one UPDATE, so two workers never send it both."""
    now = timezone.now()
    return (
        OutboxMessage.objects.filter(pk=message_id)
        .filter(
            Q(status=MessageStatus.PENDING, next_attempt_at__lte=now)
            | Q(status=MessageStatus.SENDING, claimed_at__lt=now - rules.STALE_CLAIM)
        )
        .update(status=MessageStatus.SENDING, claimed_at=now)
        == 1
    )


def message_deliver(*, message_id: int) -> str:
    """Try to send one due message. Returns its status afterwards (pending = will retry)."""
    if not _claim(message_id):
        return OutboxMessage.objects.filter(pk=message_id).values_list("status", flat=True).first() or "missing"
    message = OutboxMessage.objects.get(pk=message_id)
    attempts = message.attempts + 1
    try:
        send(message)
    except DeliveryError as exc:
        status = MessageStatus.FAILED if rules.gives_up(attempts) else MessageStatus.PENDING
        OutboxMessage.objects.filter(pk=message_id).update(
            status=status,
            attempts=attempts,
            last_error=str(exc)[:2000],
            next_attempt_at=timezone.now() + rules.backoff(attempts),
            claimed_at=None,
        )
        logger.warning("delivery failed", extra={"message_id": message_id, "attempts": attempts, "error": str(exc)})
        return status
    OutboxMessage.objects.filter(pk=message_id).update(
        status=MessageStatus.SENT, attempts=attempts, sent_at=timezone.now(), last_error="", claimed_at=None
    )
    return MessageStatus.SENT


def outbox_deliver_due(*, limit: int = 200) -> dict[str, int]:
    """Deliver what is due (run every minute by the worker; safe to run in several workers at once)."""
    now = timezone.now()
    due = list(
        OutboxMessage.objects.filter(
            Q(status=MessageStatus.PENDING, next_attempt_at__lte=now)
            | Q(status=MessageStatus.SENDING, claimed_at__lt=now - rules.STALE_CLAIM)
        )
        .order_by("next_attempt_at", "id")
        .values_list("pk", flat=True)[:limit]
    )
    counts: dict[str, int] = {}
    for message_id in due:
        status = message_deliver(message_id=message_id)
        counts[status] = counts.get(status, 0) + 1
    return counts
