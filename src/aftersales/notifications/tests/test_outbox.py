"""The outbox against a real local SMTP server and a real HTTP gateway: retry after failure, never twice."""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import hmac
import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Message
from django.utils import timezone

from aftersales.notifications import rules, services
from aftersales.notifications.models import MessageStatus, OutboxMessage


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Inbox(Message):
    def __init__(self) -> None:
        super().__init__()
        self.messages: list = []

    def handle_message(self, message) -> None:
        self.messages.append(message)


@pytest.fixture
def smtp(settings):
    port = free_port()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.NOTIFY_SMTP_TIMEOUT = 3
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    yield controller, inbox
    with contextlib.suppress(AssertionError, RuntimeError):
        controller.stop()


def enqueue(key="received:1:email", recipient="chen@example.cn"):
    return services.message_enqueue(
        channel="email",
        recipient=recipient,
        subject="服务单 SR1 已受理",
        body="陈先生，您好：您的服务单已受理。",
        dedupe_key=key,
    )


def test_backoff_and_give_up():
    assert [rules.backoff(n).total_seconds() / 60 for n in (1, 2, 3, 4)] == [1, 2, 4, 8]
    assert rules.backoff(30) == dt.timedelta(hours=6)
    assert not rules.gives_up(rules.MAX_ATTEMPTS - 1) and rules.gives_up(rules.MAX_ATTEMPTS)


def test_enqueue_is_idempotent_per_key(db, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        a = enqueue()
        b = enqueue()
    assert a.pk == b.pk and OutboxMessage.objects.count() == 1
    assert services.message_enqueue(channel="email", recipient="", body="x", dedupe_key="k") is None


def test_mail_server_down_then_up_delivers_once(db, smtp, django_capture_on_commit_callbacks):
    controller, inbox = smtp
    with django_capture_on_commit_callbacks(execute=False):
        message = enqueue()
    # the server is not running yet: the attempt fails and the message waits
    assert services.message_deliver(message_id=message.pk) == MessageStatus.PENDING
    message.refresh_from_db()
    assert message.attempts == 1 and message.last_error.startswith("smtp:") and message.next_attempt_at > timezone.now()
    # not due yet: nothing happens
    assert services.outbox_deliver_due() == {}
    controller.start()
    OutboxMessage.objects.filter(pk=message.pk).update(next_attempt_at=timezone.now())
    assert services.outbox_deliver_due() == {"sent": 1}
    assert len(inbox.messages) == 1
    received = inbox.messages[0]
    assert received["To"] == "chen@example.cn" and received["Message-ID"] == f"<outbox-{message.pk}@aftersales>"
    assert "服务单" in received.get_payload(decode=True).decode("utf-8")
    # running the job again, or delivering the same id, never sends a second time
    assert services.outbox_deliver_due() == {}
    assert services.message_deliver(message_id=message.pk) == MessageStatus.SENT
    assert len(inbox.messages) == 1


def test_two_workers_cannot_both_claim(db, smtp, django_capture_on_commit_callbacks):
    controller, inbox = smtp
    controller.start()
    with django_capture_on_commit_callbacks(execute=False):
        message = enqueue()
    assert services._claim(message.pk) is True
    assert services._claim(message.pk) is False  # the second worker gets nothing
    assert services.message_deliver(message_id=message.pk) == MessageStatus.SENDING
    assert inbox.messages == []
    # a claim older than the stale limit (the worker died) is taken over
    OutboxMessage.objects.filter(pk=message.pk).update(
        claimed_at=timezone.now() - rules.STALE_CLAIM - dt.timedelta(seconds=1)
    )
    assert services.message_deliver(message_id=message.pk) == MessageStatus.SENT
    assert len(inbox.messages) == 1


def test_gives_up_after_max_attempts_but_keeps_the_message(db, settings, django_capture_on_commit_callbacks):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.NOTIFY_SMTP_TIMEOUT = "127.0.0.1", free_port(), 1
    with django_capture_on_commit_callbacks(execute=False):
        message = enqueue()
    OutboxMessage.objects.filter(pk=message.pk).update(attempts=rules.MAX_ATTEMPTS - 1)
    assert services.message_deliver(message_id=message.pk) == MessageStatus.FAILED
    assert OutboxMessage.objects.filter(pk=message.pk, status="failed").exists()


class Gateway(BaseHTTPRequestHandler):
    received: list = []
    status = 200

    def do_POST(self):  # noqa: N802
        body = self.rfile.read(int(self.headers["Content-Length"]))
        Gateway.received.append((dict(self.headers), body))
        self.send_response(Gateway.status)
        self.end_headers()

    def log_message(self, *args):
        pass


def test_sms_webhook_is_signed_and_retried(db, settings, django_capture_on_commit_callbacks):
    server = HTTPServer(("127.0.0.1", 0), Gateway)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    settings.NOTIFY_WEBHOOK_URL = f"http://127.0.0.1:{server.server_address[1]}/sms"
    settings.NOTIFY_WEBHOOK_SECRET = "s3cret"
    Gateway.received, Gateway.status = [], 503
    try:
        with django_capture_on_commit_callbacks(execute=False):
            message = services.message_enqueue(
                channel="sms", recipient="13812345678", body="【售后】已受理", dedupe_key="sms:1"
            )
        assert services.message_deliver(message_id=message.pk) == MessageStatus.PENDING
        Gateway.status = 200
        OutboxMessage.objects.filter(pk=message.pk).update(next_attempt_at=timezone.now())
        assert services.message_deliver(message_id=message.pk) == MessageStatus.SENT
    finally:
        server.shutdown()
    headers, body = Gateway.received[-1]
    expected = "sha256=" + hmac.new(b"s3cret", body, hashlib.sha256).hexdigest()
    assert headers["X-Aftersales-Signature"] == expected
    assert json.loads(body) == {"id": message.pk, "channel": "sms", "to": "13812345678", "text": "【售后】已受理"}


def test_templates_render_chinese(db):
    subject, body = services.render(
        "request.received",
        "email",
        {
            "number": "SR1",
            "title": "漏水",
            "customer": "陈先生",
            "received_at": "2026-11-22 09:00",
            "track_url": "http://x/t/1/",
        },
    )
    assert subject == "服务单 SR1 已受理" and "陈先生，您好" in body and "http://x/t/1/" in body
    assert services.render("nope", "email", {}) is None


def test_a_burst_of_messages_is_delivered_by_one_job(db, monkeypatch, mailoutbox, django_capture_on_commit_callbacks):
    """Outside the tests' inline jobs, the first message of a burst schedules one job a second later;
    what is committed before it starts is left to it, and it delivers everything due."""
    from types import SimpleNamespace

    from huey.contrib.djhuey import HUEY

    from aftersales.notifications import tasks

    monkeypatch.setattr(HUEY, "immediate", False)
    monkeypatch.setattr(services, "_batch_starts_at", 0.0)
    clock = [1_000_000.0]
    monkeypatch.setattr(services, "time", SimpleNamespace(time=lambda: clock[0]))
    HUEY.flush()

    def scheduled() -> list[str]:
        """The jobs waiting in the queue (each carries its start time: the worker holds it until then)."""
        return [task.name for task in HUEY.pending()]

    with django_capture_on_commit_callbacks(execute=True):
        first = enqueue("burst:1", "a@example.cn")
    assert scheduled() == ["deliver_batch"]
    [job] = HUEY.pending()
    assert job.eta is not None and job.eta > dt.datetime.now(dt.UTC).replace(tzinfo=None)
    clock[0] += 0.5
    with django_capture_on_commit_callbacks(execute=True):
        second = enqueue("burst:2", "b@example.cn")
    assert scheduled() == ["deliver_batch"]  # the waiting job will deliver it
    # Too close to the job's start to be sure it will see this one (another machine's clock): a new job.
    clock[0] += 0.3
    with django_capture_on_commit_callbacks(execute=True):
        third = enqueue("burst:3", "c@example.cn")
    assert scheduled() == ["deliver_batch", "deliver_batch"]
    assert mailoutbox == []
    assert tasks.deliver_batch.call_local() == {"sent": 3}
    assert sorted(m.to[0] for m in mailoutbox) == ["a@example.cn", "b@example.cn", "c@example.cn"]
    assert set(
        OutboxMessage.objects.filter(pk__in=[first.pk, second.pk, third.pk]).values_list("status", flat=True)
    ) == {MessageStatus.SENT}
    assert tasks.deliver_batch.call_local() == {}  # the second job finds nothing left
    HUEY.flush()


def test_inline_jobs_deliver_at_once(db, mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        message = enqueue("inline:1")
    assert len(mailoutbox) == 1
    message.refresh_from_db()
    assert message.status == MessageStatus.SENT
