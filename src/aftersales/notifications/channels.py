"""Sending one message through its channel. Raises on any failure; the caller retries later."""

from __future__ import annotations

import hashlib
import hmac
import json
import urllib.request

from django.conf import settings
from django.core.mail import EmailMessage, get_connection

from aftersales.notifications.models import MessageChannel, OutboxMessage


class DeliveryError(Exception):
    """A channel could not deliver (server down, refused, misconfigured)."""


def send(message: OutboxMessage) -> None:
    if message.channel == MessageChannel.EMAIL:
        _send_email(message)
    elif message.channel in (MessageChannel.SMS, MessageChannel.WECHAT):
        _send_webhook(message)
    else:
        raise DeliveryError(f"unknown channel {message.channel}")


def _send_email(message: OutboxMessage) -> None:
    email = EmailMessage(
        subject=message.subject,
        body=message.body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[message.recipient],
        # A stable Message-ID lets a mail server or client drop the copy of a message that was retried
        # after the worker died between sending and recording it.
        headers={"Message-ID": f"<outbox-{message.pk}@aftersales>"},
        connection=get_connection(timeout=settings.NOTIFY_SMTP_TIMEOUT),
    )
    try:
        email.send(fail_silently=False)
    except Exception as exc:
        raise DeliveryError(f"smtp: {exc}") from exc


def signature(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def _send_webhook(message: OutboxMessage) -> None:
    url = settings.NOTIFY_WEBHOOK_URL
    if not url:
        raise DeliveryError("no SMS/WeChat gateway configured (AFTERSALES_NOTIFY_WEBHOOK_URL)")
    body = json.dumps(
        {"id": message.pk, "channel": message.channel, "to": message.recipient, "text": message.body},
        ensure_ascii=False,
    ).encode()
    request = urllib.request.Request(  # noqa: S310 (the gateway URL is the operator's configuration)
        url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json; charset=utf-8",
            "X-Aftersales-Signature": signature(settings.NOTIFY_WEBHOOK_SECRET, body),
            "Idempotency-Key": f"outbox-{message.pk}",
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            if not 200 <= response.status < 300:
                raise DeliveryError(f"gateway answered {response.status}")
    except DeliveryError:
        raise
    except Exception as exc:
        raise DeliveryError(f"gateway: {exc}") from exc
