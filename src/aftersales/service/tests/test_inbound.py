"""Inbound e-mail (real-world Chinese MIME), SMS/WeChat webhooks with HMAC, the IMAP poller."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json

import pytest
from django.test import Client
from tests import factories

from aftersales.customers.models import Customer
from aftersales.service import inbound
from aftersales.service.models import ServiceRequest
from aftersales.service.tasks import mailbox_poll


def b64(text: str, charset: str) -> str:
    return base64.b64encode(text.encode(charset)).decode()


def encoded_word(text: str, charset: str = "gb2312") -> str:
    return f"=?{charset.upper()}?B?{b64(text, charset)}?="


# Outlook/Foxmail style: GB2312-labelled headers, a GBK body (镕 is in GBK, not in GB2312), an attachment
# whose Chinese name is RFC 2231-encoded.
GBK_MAIL = (
    "From: " + encoded_word("陈先生") + " <chen@example.cn>\r\n"
    "To: service@example.cn\r\n"
    "Subject: " + encoded_word("净水器漏水，请尽快上门") + "\r\n"
    "MIME-Version: 1.0\r\n"
    'Content-Type: multipart/mixed; boundary="BOUNDARY"\r\n'
    "\r\n"
    "--BOUNDARY\r\n"
    'Content-Type: text/plain; charset="gb2312"\r\n'
    "Content-Transfer-Encoding: base64\r\n"
    "\r\n" + b64("你好：\r\n厨房的净水器底部漏水，朱镕先生介绍的。\r\n电话13812345678", "gbk") + "\r\n"
    "--BOUNDARY\r\n"
    "Content-Type: image/jpeg\r\n"
    "Content-Disposition: attachment; filename*=UTF-8''%E6%BC%8F%E6%B0%B4.jpg\r\n"
    "Content-Transfer-Encoding: base64\r\n"
    "\r\n" + base64.b64encode(b"\xff\xd8\xff\xe0 fake jpeg").decode() + "\r\n"
    "--BOUNDARY--\r\n"
).encode("ascii")

HTML_UTF8_REPLY = (
    "From: =?UTF-8?B?" + b64("陈先生", "utf-8") + "?= <chen@example.cn>\r\n"
    "Subject: =?UTF-8?Q?Re:_=E6=9C=8D=E5=8A=A1=E5=8D=95_{number}?=\r\n"
    "MIME-Version: 1.0\r\n"
    'Content-Type: text/html; charset="utf-8"\r\n'
    "Content-Transfer-Encoding: base64\r\n"
    "\r\n"
    + b64(
        "<div>师傅还没来<br>请再确认时间</div><div>-----原始邮件-----</div><div>旧内容</div><style>p{}</style>", "utf-8"
    )
    + "\r\n"
).encode("ascii")


def test_parse_gbk_mail_with_encoded_words_and_attachment():
    mail = inbound.parse_mail(GBK_MAIL)
    assert mail.sender_name == "陈先生" and mail.sender_email == "chen@example.cn"
    assert mail.subject == "净水器漏水，请尽快上门"
    assert "朱镕先生" in mail.text and "13812345678" in mail.text
    assert mail.attachments == [("漏水.jpg", "image/jpeg", b"\xff\xd8\xff\xe0 fake jpeg")]


def test_parse_html_reply_strips_quotes_and_tags():
    mail = inbound.parse_mail(HTML_UTF8_REPLY.replace(b"{number}", b"SR20261122-000001"))
    assert mail.subject == "Re: 服务单 SR20261122-000001"
    assert mail.text == "师傅还没来\n请再确认时间"


def test_new_mail_from_a_known_customer_creates_a_received_request(org, make_user):
    agent = make_user("agent", org["hq"])
    customer = factories.customer(agent, org["hq"], name="陈先生", phone="13812345678")
    Customer.objects.filter(pk=customer.pk).update(email="chen@example.cn")
    result = inbound.mail_receive(GBK_MAIL)
    request = result.request
    assert result.created and request.customer == customer and request.channel == "email"
    assert request.status == "received" and request.title == "净水器漏水，请尽快上门"
    assert request.attachments.get().original_name == "漏水.jpg"


def test_a_reply_quoting_the_number_is_added_to_that_request(org, make_user):
    agent = make_user("agent", org["hq"])
    customer = factories.customer(agent, org["hq"], name="陈先生", phone="13812345678")
    Customer.objects.filter(pk=customer.pk).update(email="chen@example.cn")
    first = inbound.mail_receive(GBK_MAIL).request
    reply = HTML_UTF8_REPLY.replace(b"{number}", first.number.encode())
    result = inbound.mail_receive(reply)
    assert not result.created and result.request.pk == first.pk
    assert (
        first.timeline.filter(kind="reply", body__contains="师傅还没来").exists()
        or first.timeline.filter(body__contains="师傅还没来").exists()
    )
    assert ServiceRequest.objects.count() == 1


def test_unknown_sender_becomes_a_customer(org, make_user):
    make_user("admin", org["hq"])
    result = inbound.mail_receive(GBK_MAIL)
    assert result.request.customer.email == "chen@example.cn" and result.request.customer.name == "陈先生"


def sign(body: bytes, secret: str = "inbound-secret") -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


@pytest.fixture
def secret(settings):
    settings.INBOUND_WEBHOOK_SECRET = "inbound-secret"


def test_sms_webhook_maps_sender_by_phone(org, make_user, secret):
    agent = make_user("agent", org["hq"])
    customer = factories.customer(agent, org["hq"], name="陈先生", phone="13812345678")
    body = json.dumps({"channel": "sms", "sender": "+86 138 1234 5678", "text": "空调不制冷了"}).encode()
    response = Client().post(
        "/api/v1/inbound/messages", data=body, content_type="application/json", HTTP_X_AFTERSALES_SIGNATURE=sign(body)
    )
    assert response.status_code == 200, response.content
    request = ServiceRequest.objects.get(pk=response.json()["request_id"])
    assert request.customer == customer and request.channel == "sms" and request.title == "空调不制冷了"


def test_wechat_webhook_maps_open_id_and_appends_when_number_quoted(org, make_user, secret):
    agent = make_user("agent", org["hq"])
    customer = factories.customer(agent, org["hq"], name="微信客户", phone="13900000000")
    Customer.objects.filter(pk=customer.pk).update(wechat_openid="oXyz123")
    first = inbound.message_receive(channel="wechat", sender="oXyz123", text="洗衣机不脱水").request
    body = json.dumps({"channel": "wechat", "sender": "oXyz123", "text": f"{first.number} 还没有人联系我"}).encode()
    response = Client().post(
        "/api/v1/inbound/messages", data=body, content_type="application/json", HTTP_X_AFTERSALES_SIGNATURE=sign(body)
    )
    assert response.json() == {"request_id": first.pk, "number": first.number, "created": False}


@pytest.mark.parametrize("header", ["", "sha256=deadbeef", "md5=abc"])
def test_bad_signature_is_401_and_creates_nothing(db, secret, header):
    body = json.dumps({"channel": "sms", "sender": "13812345678", "text": "hi"}).encode()
    response = Client().post(
        "/api/v1/inbound/messages", data=body, content_type="application/json", HTTP_X_AFTERSALES_SIGNATURE=header
    )
    assert response.status_code == 401 and response.json()["code"] == "not_authenticated"
    response = Client().post(
        "/api/v1/inbound/email", data=GBK_MAIL, content_type="message/rfc822", HTTP_X_AFTERSALES_SIGNATURE=header
    )
    assert response.status_code == 401
    assert not ServiceRequest.objects.exists()


def test_signed_body_altered_in_transit_is_refused(db, secret):
    body = json.dumps({"channel": "sms", "sender": "13812345678", "text": "hi"}).encode()
    tampered = body.replace(b"hi", b"ho")
    response = Client().post(
        "/api/v1/inbound/messages",
        data=tampered,
        content_type="application/json",
        HTTP_X_AFTERSALES_SIGNATURE=sign(body),
    )
    assert response.status_code == 401


def test_no_secret_configured_refuses_everything(db, settings):
    settings.INBOUND_WEBHOOK_SECRET = ""
    body = b"{}"
    assert (
        Client()
        .post(
            "/api/v1/inbound/messages",
            data=body,
            content_type="application/json",
            HTTP_X_AFTERSALES_SIGNATURE=sign(body, ""),
        )
        .status_code
        == 401
    )


def test_email_webhook(org, make_user, secret):
    make_user("admin", org["hq"])
    response = Client().post(
        "/api/v1/inbound/email",
        data=GBK_MAIL,
        content_type="message/rfc822",
        HTTP_X_AFTERSALES_SIGNATURE=sign(GBK_MAIL),
    )
    assert response.status_code == 200 and response.json()["created"] is True


class FakeImap:
    def __init__(self, messages):
        self.messages = messages
        self.seen = []

    def search(self, charset, criterion):
        return "OK", [b" ".join(str(i).encode() for i in self.messages)]

    def fetch(self, number, what):
        return "OK", [(b"1 (RFC822 {n})", self.messages[int(number)])]

    def store(self, number, flags, value):
        self.seen.append(int(number))


def test_imap_poller_takes_in_unseen_mail_and_marks_it_seen(org, make_user):
    make_user("admin", org["hq"])
    client = FakeImap({1: GBK_MAIL, 2: b"not really an e-mail but parsable"})
    assert mailbox_poll(client) == 2
    assert client.seen == [1, 2]
    assert ServiceRequest.objects.filter(channel="email").count() == 2
