"""Inbound channels: raw e-mail (IMAP poller or webhook) and SMS/WeChat messages (signed webhook).

A message that quotes a request number (SR20261122-000123) from that request's customer is added to
its timeline; anything else becomes a new request in state "received" for an agent to judge. Unknown
senders become customers of head office, so nothing is dropped.
"""

from __future__ import annotations

import email
import email.policy
import hashlib
import hmac
import re
from dataclasses import dataclass, field
from email.message import EmailMessage, Message
from email.utils import getaddresses, parseaddr
from html.parser import HTMLParser

from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import Q

from aftersales.accounts.services import intake_user_get
from aftersales.core.errors import FieldError, ValidationFailed
from aftersales.customers import rules as customer_rules
from aftersales.customers.models import Customer, CustomerContact
from aftersales.customers.services import CustomerData, PhoneData, customer_create
from aftersales.service import services
from aftersales.service.models import ServiceRequest

NUMBER = re.compile(r"SR\d{8}-\d{6}", re.IGNORECASE)


# --- e-mail parsing ---------------------------------------------------------------------------


@dataclass
class ParsedMail:
    sender_name: str
    sender_email: str
    subject: str
    text: str
    attachments: list[tuple[str, str, bytes]] = field(default_factory=list)  # (name, content type, data)


def _decode(part: Message) -> str:
    payload = part.get_payload(decode=True)
    if not isinstance(payload, bytes):
        return ""
    charset = (part.get_content_charset() or "utf-8").lower()
    # Mail clients label GBK text as gb2312; gb18030 is a superset of both, so try it before giving up.
    for candidate in (charset, "gb18030" if charset in {"gb2312", "gbk", "gb18030"} else "utf-8", "gb18030"):
        try:
            return payload.decode(candidate)
        except (LookupError, UnicodeDecodeError):
            continue
    return payload.decode("utf-8", errors="replace")


class _TextOfHtml(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: object) -> None:
        if tag in {"script", "style"}:
            self._skip += 1
        if tag in {"br", "p", "div", "li", "tr"}:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in {"script", "style"} and self._skip:
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def _html_to_text(html: str) -> str:
    parser = _TextOfHtml()
    parser.feed(html)
    return re.sub(r"\n{3,}", "\n\n", "".join(parser.parts)).strip()


_QUOTE_MARKERS = ("-----原始邮件-----", "-----Original Message-----", "发件人:", "From:")


def _strip_quoted(text: str) -> str:
    """The new part of a reply, without the quoted history below it."""
    lines = []
    for line in text.splitlines():
        if line.strip().startswith(_QUOTE_MARKERS) or line.startswith(">"):
            break
        lines.append(line)
    return "\n".join(lines).strip() or text.strip()


def parse_mail(raw: bytes) -> ParsedMail:
    """Parse a raw RFC 822 message: encoded-word headers, GB2312/GBK/UTF-8 bodies, attachments."""
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    name, address = parseaddr(str(message.get("From", "")))
    if not address:
        addresses = getaddresses([str(message.get("Reply-To", ""))])
        name, address = addresses[0] if addresses else ("", "")
    plain, html, attachments = "", "", []
    for part in message.walk():
        if part.is_multipart():
            continue
        disposition = (part.get_content_disposition() or "").lower()
        filename = part.get_filename()
        if (
            disposition == "attachment"
            or (filename and disposition != "inline")
            or (filename and part.get_content_maintype() != "text")
        ):
            data = part.get_payload(decode=True)
            if isinstance(data, bytes):
                attachments.append((filename or "attachment", part.get_content_type(), data))
            continue
        if part.get_content_type() == "text/plain" and not plain:
            plain = _decode(part)
        elif part.get_content_type() == "text/html" and not html:
            html = _decode(part)
    text = plain or _html_to_text(html)
    return ParsedMail(
        sender_name=name.strip(),
        sender_email=address.strip().lower(),
        subject=str(message.get("Subject", "")).strip(),
        text=_strip_quoted(text),
        attachments=attachments,
    )


# --- who is it, and what to do ----------------------------------------------------------------


def _customer_by_email(address: str) -> Customer | None:
    if not address:
        return None
    customer = Customer.objects.filter(email__iexact=address, merged_into__isnull=True).order_by("id").first()
    if customer is None:
        contact = CustomerContact.objects.filter(email__iexact=address, customer__merged_into__isnull=True).first()
        customer = contact.customer if contact else None
    return customer


def _customer_by_phone_or_openid(phone: str, openid: str) -> Customer | None:
    condition = Q()
    if phone:
        condition |= Q(phones__number=phone)
    if openid:
        condition |= Q(wechat_openid=openid)
    if not condition:
        return None
    return Customer.objects.filter(condition, merged_into__isnull=True).order_by("id").first()


def _new_customer(name: str, *, phone: str = "", email_address: str = "", openid: str = "") -> Customer:
    actor = intake_user_get()
    assert actor.org_unit_id is not None
    customer = customer_create(
        actor=actor,
        data=CustomerData(
            name=name or phone or email_address or "未知客户",
            org_unit_id=actor.org_unit_id,
            email=email_address,
            phones=(PhoneData(phone),) if phone else (),
            source_channel="web" if email_address else "wechat" if openid else "hotline",
            note="由渠道消息自动建立，请核实资料",
        ),
        allow_duplicate=True,
    )
    if openid:
        Customer.objects.filter(pk=customer.pk).update(wechat_openid=openid)
    return customer


def _quoted_request(text: str, customer: Customer) -> ServiceRequest | None:
    match = NUMBER.search(text)
    if not match:
        return None
    return ServiceRequest.objects.filter(number=match.group(0).upper(), customer=customer).first()


@dataclass(frozen=True)
class InboundResult:
    request: ServiceRequest
    created: bool


def mail_receive(raw: bytes) -> InboundResult:
    """Turn one raw e-mail into a new request or an addition to the one it quotes."""
    mail = parse_mail(raw)
    customer = _customer_by_email(mail.sender_email) or _new_customer(mail.sender_name, email_address=mail.sender_email)
    uploads = tuple(
        SimpleUploadedFile(name, data, content_type=ctype)
        for name, ctype, data in mail.attachments
        if len(data) <= services.MAX_ATTACHMENT_BYTES
    )
    uploads = tuple(u for u in uploads if not services.attachment_errors(u, "x"))
    actor = intake_user_get()
    existing = _quoted_request(f"{mail.subject}\n{mail.text}", customer)
    if existing is not None:
        services.request_comment(
            actor=actor,
            request=existing,
            body=_inbound_body(mail.text, "e-mail"),
            public=True,
            attachments=uploads,
            from_customer=True,
        )
        return InboundResult(existing, False)
    request, _created = services.request_create(
        actor=actor,
        data=services.RequestData(
            type="consultation",
            customer_id=customer.pk,
            title=(mail.subject or mail.text[:40] or "邮件咨询")[:200],
            description=mail.text,
            channel="email",
            contact_name=mail.sender_name,
            register_now=False,
            auto_assign=False,
            attachments=uploads,
        ),
    )
    return InboundResult(request, True)


def _inbound_body(text: str, via: str) -> str:
    return f"[{via}] {text}".strip()


def message_receive(*, channel: str, sender: str, text: str) -> InboundResult:
    """An SMS (sender = phone number) or WeChat message (sender = open id) from the gateway."""
    if channel not in {"sms", "wechat"}:
        raise ValidationFailed(errors=[FieldError("channel", "sms | wechat")])
    if not text.strip():
        raise ValidationFailed(errors=[FieldError("text", "empty message")])
    phone = customer_rules.normalise_phone(sender) if channel == "sms" else ""
    if channel == "sms" and customer_rules.phone_kind(phone) is None:
        raise ValidationFailed(errors=[FieldError("from", "not a phone number")])
    openid = sender.strip() if channel == "wechat" else ""
    customer = _customer_by_phone_or_openid(phone, openid) or _new_customer("", phone=phone, openid=openid)
    actor = intake_user_get()
    existing = _quoted_request(text, customer)
    if existing is not None:
        services.request_comment(
            actor=actor, request=existing, body=_inbound_body(text, channel), public=True, from_customer=True
        )
        return InboundResult(existing, False)
    request, _created = services.request_create(
        actor=actor,
        data=services.RequestData(
            type="consultation",
            customer_id=customer.pk,
            title=text.strip()[:40],
            description=text.strip(),
            channel=channel,
            contact_phone=phone,
            register_now=False,
            auto_assign=False,
        ),
    )
    return InboundResult(request, True)


def signature_valid(body: bytes, header: str) -> bool:
    """`X-Aftersales-Signature: sha256=<hex HMAC of the raw body>` with the shared inbound secret."""
    secret = settings.INBOUND_WEBHOOK_SECRET
    if not secret or not header.startswith("sha256="):
        return False
    expected = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, header.removeprefix("sha256="))
