"""Domain events: a service announces what happened; apps higher up (notifications, SLA) react.

Handlers run after the transaction commits (never for a rolled-back change) and must be idempotent:
with `transaction.on_commit`, a handler that fails does not undo the committed change, so handlers
record durable work (an outbox row, a job) rather than doing slow I/O inline.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from django.db import transaction

logger = logging.getLogger(__name__)
Handler = Callable[..., object]
_handlers: dict[str, dict[str, Handler]] = {}


def subscribe(event: str, name: str, handler: Handler) -> None:
    _handlers.setdefault(event, {})[name] = handler


def publish(event: str, **payload: Any) -> None:
    """Run the event's handlers once the current transaction commits (at once outside a transaction)."""
    for name, handler in sorted(_handlers.get(event, {}).items()):

        def run(handler: Handler = handler, name: str = name) -> None:
            try:
                handler(**payload)
            except Exception:  # a reaction must never break the action that caused it
                logger.exception("event handler failed", extra={"event": event, "handler": name})

        transaction.on_commit(run)
