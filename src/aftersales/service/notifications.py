"""Turns request events into outbox messages to the customer (SMS via the gateway, e-mail)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.utils import timezone

from aftersales.core import events
from aftersales.notifications.models import MessageChannel, NotificationTemplate, OutboxMessage
from aftersales.notifications.services import message_build, notify, render_template
from aftersales.service.models import ServiceRequest, TimelineEntry
from aftersales.service.tracking import track_path


def _phone(request: ServiceRequest) -> str:
    if request.contact_phone:
        return request.contact_phone
    phone = request.customer.phones.filter(kind="mobile").order_by("-is_primary", "id").first()
    return phone.number if phone else ""


def _context(request: ServiceRequest, *, phone: str | None = None, **extra: Any) -> dict[str, Any]:
    phone = _phone(request) if phone is None else phone
    return {
        "number": request.number,
        "title": request.title,
        "customer": request.contact_name or request.customer.name,
        "received_at": timezone.localtime(request.received_at).strftime("%Y-%m-%d %H:%M"),
        "promised_at": timezone.localtime(request.promised_at).strftime("%Y-%m-%d %H:%M")
        if request.promised_at
        else "",
        "assignee": request.assignee.display_name if request.assignee_id and request.assignee else "",
        "resolution": request.resolution,
        "track_url": settings.PUBLIC_BASE_URL + track_path(request.pk, phone) if phone else settings.PUBLIC_BASE_URL,
        **extra,
    }


def _send(event: str, request: ServiceRequest, key: str, **extra: Any) -> None:
    context = _context(request, **extra)
    phone = _phone(request)
    if phone:
        notify(
            event=event,
            channel=MessageChannel.SMS,
            recipient=phone,
            context=context,
            dedupe_key=f"{key}:sms",
            related=request,
        )
    if request.customer.email:
        notify(
            event=event,
            channel=MessageChannel.EMAIL,
            recipient=request.customer.email,
            context=context,
            dedupe_key=f"{key}:email",
            related=request,
        )


NEW_REQUEST_EVENTS = ["request.received", "request.dispatched"]


def messages_on_create(
    request: ServiceRequest,
    *,
    phone: str,
    dispatched: bool,
    templates: dict[tuple[str, str], NotificationTemplate],
) -> list[OutboxMessage]:
    """The customer's messages about a request just created — received, and dispatched when a rule
    assigned it at once — built inside the create's transaction (templates fetched before it)."""
    steps = [("request.received", f"received:{request.pk}")]
    if dispatched and request.assignee_id:
        steps.append(("request.dispatched", f"dispatched:{request.pk}:{request.assignee_id}"))
    recipients = [(MessageChannel.SMS, phone), (MessageChannel.EMAIL, request.customer.email)]
    messages = []
    context = _context(request, phone=phone)
    for event, key in steps:
        for channel, recipient in recipients:
            template = templates.get((event, channel))
            if template is None or not recipient:
                continue
            subject, body = render_template(template, context)
            message = message_build(
                channel=channel,
                recipient=recipient,
                subject=subject,
                body=body,
                event=event,
                dedupe_key=f"{key}:{channel}",
                related=request,
            )
            if message is not None:
                messages.append(message)
    return messages


def _load(request_id: int) -> ServiceRequest | None:
    return ServiceRequest.objects.select_related("customer", "assignee").filter(pk=request_id).first()


def on_dispatched(*, request_id: int) -> None:
    request = _load(request_id)
    if request is not None and request.assignee_id:
        _send("request.dispatched", request, f"dispatched:{request_id}:{request.assignee_id}")


def on_resolved(*, request_id: int) -> None:
    request = _load(request_id)
    if request is not None and request.resolved_at:
        _send("request.resolve", request, f"resolved:{request_id}:{request.resolved_at.isoformat()}")


def on_replied(*, request_id: int, entry_id: int) -> None:
    request = _load(request_id)
    entry = TimelineEntry.objects.filter(pk=entry_id, is_public=True).first()
    if request is not None and entry is not None and request.customer.email:
        notify(
            event="request.replied",
            channel=MessageChannel.EMAIL,
            recipient=request.customer.email,
            context=_context(request, reply=entry.body),
            dedupe_key=f"replied:{entry_id}:email",
            related=request,
        )


def register() -> None:
    # "request.received" (and a dispatch by a rule at intake) are written by request_create itself, in
    # its own transaction (messages_on_create).
    events.subscribe("request.dispatched", "notify", on_dispatched)
    events.subscribe("request.resolve", "notify", on_resolved)
    events.subscribe("request.replied", "notify", on_replied)
