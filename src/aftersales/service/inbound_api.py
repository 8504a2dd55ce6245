"""Webhooks for inbound channels, authenticated by an HMAC signature of the raw body (no user token)."""

from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema
from ninja.security import APIKeyHeader

from aftersales.core import context
from aftersales.core.context import Channel
from aftersales.service import inbound

router = Router(tags=["inbound channels"])


class InboundOut(Schema):
    request_id: int
    number: str
    created: bool


class MessageIn(Schema):
    channel: str
    sender: str
    text: str


class SignatureAuth(APIKeyHeader):
    """`X-Aftersales-Signature: sha256=<HMAC-SHA256 of the raw body>`; checked before the body is parsed."""

    param_name = "X-Aftersales-Signature"

    def authenticate(self, request: HttpRequest, key: str | None) -> bool | None:
        return True if inbound.signature_valid(request.body, key or "") else None


signed = SignatureAuth()


@router.post("/inbound/email", auth=signed, response=InboundOut, summary="A raw RFC 822 e-mail (body = the message)")
def inbound_email(request: HttpRequest) -> dict[str, Any]:
    with context.acting(channel=Channel.API):
        result = inbound.mail_receive(request.body)
    return {"request_id": result.request.pk, "number": result.request.number, "created": result.created}


@router.post("/inbound/messages", auth=signed, response=InboundOut, summary="An SMS or WeChat message from the gateway")
def inbound_message(request: HttpRequest, payload: MessageIn) -> dict[str, Any]:
    with context.acting(channel=Channel.API):
        result = inbound.message_receive(channel=payload.channel, sender=payload.sender, text=payload.text)
    return {"request_id": result.request.pk, "number": result.request.number, "created": result.created}
