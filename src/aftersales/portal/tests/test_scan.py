"""Scan-to-report and the QR labels: tokens, the phone page, who becomes the customer, the tracking
hand-over, the rate limit, the SVG codes and the scoped label sheet."""

from __future__ import annotations

import datetime as dt

import pytest
import segno
from django.urls import reverse
from django.utils import timezone
from tests import factories

from aftersales.accounts.services import INTAKE_USERNAME
from aftersales.catalog import services as catalog_services
from aftersales.customers.models import Customer
from aftersales.portal import qr
from aftersales.portal.services import SCAN_LIMIT_PER_HOUR
from aftersales.portal.tests.conftest import client_for, png
from aftersales.service import tracking
from aftersales.service.models import Attachment, ServiceRequest


def assert_tracking_link(location, sr, phone):
    """A signed tracking link for this request, bound to that phone number."""
    prefix = tracking.track_path(sr.pk, phone).rsplit("/", 2)[0]
    assert location.startswith(prefix + "/")
    request_id, digest = tracking.read_token(location.rstrip("/").rsplit("/", 1)[1])
    assert request_id == sr.pk and tracking.phone_matches(digest, phone)


def scan_url(unit):
    return qr.unit_path(unit.pk)


def report(client, unit, **kw):
    data = {"name": "陈先生", "phone": "13812345678", "fault": "净水器底部漏水\n昨晚开始", **kw}
    return client.post(scan_url(unit), data)


# --- tokens -----------------------------------------------------------------------------------


def test_the_token_is_stable_and_tamper_proof(settings):
    token = qr.unit_token(42)
    assert token == qr.unit_token(42) and qr.read_unit_token(token) == 42
    unit_id, signature = token.split(":", 1)
    assert qr.read_unit_token(f"43:{signature}") is None
    assert qr.read_unit_token(token[:-1] + ("A" if token[-1] != "A" else "B")) is None
    assert qr.read_unit_token("42") is None and qr.read_unit_token("") is None
    settings.PUBLIC_BASE_URL = "https://service.example.cn"
    assert qr.unit_url(42) == f"https://service.example.cn/s/{token}/"


def test_a_tampered_or_unknown_code_is_a_readable_404(client, world):
    token = qr.unit_token(world["unit"].pk)
    _unit_id, signature = token.split(":", 1)
    for bad in (f"{world['unit_b'].pk}:{signature}", token + "x", "hello"):
        response = client.get(f"/s/{bad}/")
        assert response.status_code == 404 and b'data-testid="scan-invalid"' in response.content
    assert client.get(qr.unit_path(999_999)).status_code == 404  # signed, but no such unit
    assert client.post(f"/s/{token}x/", {"name": "x"}).status_code == 404
    assert not ServiceRequest.objects.exists()


# --- the phone page -----------------------------------------------------------------------------


def test_the_page_shows_the_unit_and_its_warranty(client, world):
    html = client.get(scan_url(world["unit"])).content.decode()
    unit = world["unit"]
    assert "JS-0001" in html and world["model"].name in html
    assert unit.sale_date.isoformat() in html
    assert 'data-covered="1"' in html
    assert "陈先生" not in html and "13812345678" not in html  # nothing about the owner


def test_a_report_with_the_owners_phone_is_the_owners_request_and_lands_on_tracking(client, world):
    response = report(client, world["unit"], photos=[png("leak.png")])
    sr = ServiceRequest.objects.get()
    assert response.status_code == 302
    assert_tracking_link(response["Location"], sr, "13812345678")
    assert (sr.customer, sr.unit, sr.channel, sr.status, sr.type) == (
        world["chen"],
        world["unit"],
        "scan",
        "received",
        "repair",
    )
    assert sr.title == "净水器底部漏水" and "昨晚开始" in sr.description
    assert (sr.contact_name, sr.contact_phone, sr.warranty_covered) == ("陈先生", "13812345678", True)
    assert sr.created_by.username == INTAKE_USERNAME
    assert Attachment.objects.get(request=sr).original_name == "leak.png"
    assert client.session["tracked"] == [sr.pk]
    page = client.get(response["Location"])
    assert page.status_code == 200 and sr.number in page.content.decode()  # no last-four-digits step
    # The owner sees it in the portal too.
    assert sr.number in client_for(world["portal_chen"]).get(reverse("portal:home")).content.decode()


def test_another_phone_still_reports_for_the_owner_and_can_track_with_its_last_digits(client, world):
    response = report(client, world["unit"], name="陈太太", phone="+86 139-0000-2222")
    sr = ServiceRequest.objects.get()
    assert sr.customer == world["chen"] and sr.contact_phone == "13900002222" and sr.contact_name == "陈太太"
    assert not world["chen"].phones.filter(number="13900002222").exists()  # the archive is not changed
    assert_tracking_link(response["Location"], sr, "13900002222")
    stranger = type(client)()
    link = response["Location"]
    assert b'data-testid="last4"' in stranger.get(link).content  # a forwarded link alone shows nothing
    assert stranger.post(link, {"last4": "2222"}).status_code == 302
    assert sr.number in stranger.get(link).content.decode()


def test_a_unit_without_an_owner_makes_a_new_customer_once(client, world):
    loose = factories.sold_unit(world["agent"], world["model"], None, world["org"]["a"], serial="JS-LOOSE")
    report(client, loose, name="赵先生", phone="13700007777")
    first = ServiceRequest.objects.get()
    customer = first.customer
    assert customer.name == "赵先生" and list(customer.phones.values_list("number", flat=True)) == ["13700007777"]
    assert customer.org_unit == loose.org_unit and customer.pk not in (world["chen"].pk, world["li"].pk)
    report(client, loose, name="赵先生", phone="137 0000 7777", fault="又坏了")
    assert ServiceRequest.objects.filter(customer=customer).count() == 2
    assert Customer.objects.filter(phones__number="13700007777").count() == 1


@pytest.mark.parametrize(
    ("data", "field"),
    [({"phone": "12345"}, "phone"), ({"name": " "}, "name"), ({"fault": ""}, "fault")],
)
def test_bad_input_is_shown_on_the_form(client, world, data, field):
    response = report(client, world["unit"], **data)
    assert response.status_code == 400 and response.context["form"].errors.get(field)
    assert not ServiceRequest.objects.exists()


def test_at_most_five_reports_per_phone_per_hour(client, world):
    for i in range(SCAN_LIMIT_PER_HOUR):
        assert report(client, world["unit"], fault=f"第{i}次").status_code == 302
    response = report(client, world["unit"], fault="第六次")
    assert response.status_code == 429
    assert b'data-testid="form-error"' in response.content
    assert ServiceRequest.objects.count() == SCAN_LIMIT_PER_HOUR
    assert report(client, world["unit"], phone="13900003333").status_code == 302  # another number may
    ServiceRequest.objects.update(received_at=timezone.now() - dt.timedelta(minutes=61))
    assert report(client, world["unit"], fault="一小时后").status_code == 302


# --- QR codes -----------------------------------------------------------------------------------


def test_the_qr_svg_encodes_the_public_address(world, settings):
    settings.PUBLIC_BASE_URL = "https://service.example.cn"
    unit = world["unit"]
    response = client_for(world["agent"]).get(reverse("portal:unit_qr", args=[unit.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "image/svg+xml"
    expected = qr.svg_document(f"https://service.example.cn/s/{qr.unit_token(unit.pk)}/", title=unit.serial)
    assert response.content == expected
    assert segno.make(qr.unit_url(unit.pk), error="m").designator.endswith("-M")


def test_qr_codes_are_scoped(client, world):
    url = reverse("portal:unit_qr", args=[world["unit"].pk])
    assert client.get(url).status_code == 302  # sign in first
    assert client_for(world["agent_b"]).get(url).status_code == 404  # another outlet's unit
    assert client_for(world["portal_chen"]).get(url).status_code == 200  # my own unit
    assert client_for(world["portal_li"]).get(url).status_code == 404


# --- label sheets -------------------------------------------------------------------------------


def test_label_sheet_for_staff_shows_only_units_in_their_scope(world):
    a, b = world["unit"], world["unit_b"]
    html = client_for(world["agent"]).get(reverse("portal:labels") + f"?ids={b.pk},{a.pk}").content.decode()
    assert html.count('data-testid="label"') == 1 and 'data-serial="JS-0001"' in html and "JS-0002" not in html
    assert html.count("<svg") == 1 and "@page" not in html  # the A4 rules live in labels.css
    everything = client_for(world["manager"]).get(reverse("portal:labels") + f"?ids={b.pk},{a.pk}")
    serials = [u.serial for sheet in everything.context["sheets"] for u, _svg in sheet]
    assert serials == ["JS-0002", "JS-0001"]  # in the order asked


def test_label_sheet_by_serials_and_by_customer(world):
    second = factories.sold_unit(world["agent"], world["model"], world["chen"], world["org"]["a"], serial="JS-0003")
    client = client_for(world["agent"])
    by_serial = client.get(reverse("portal:labels"), {"serials": "js-0003，JS-0001 nope"})
    assert [u.serial for s in by_serial.context["sheets"] for u, _ in s] == ["JS-0003", "JS-0001"]
    assert by_serial.context["missing"] == 1
    by_customer = client.get(reverse("portal:labels"), {"customer": world["chen"].pk})
    assert [u.serial for s in by_customer.context["sheets"] for u, _ in s] == ["JS-0001", second.serial]


def test_label_sheet_splits_into_pages_of_24(world):
    ids = [world["unit"].pk]
    for i in range(30):
        ids.append(
            catalog_services.unit_register(
                actor=world["agent"],
                data=catalog_services.UnitData(
                    serial=f"BULK{i:03d}", product_model_id=world["model"].pk, org_unit_id=world["org"]["a"].pk
                ),
            ).pk
        )
    response = client_for(world["agent"]).get(reverse("portal:labels"), {"ids": ",".join(map(str, ids))})
    assert [len(s) for s in response.context["sheets"]] == [24, 7]


def test_label_sheet_needs_the_unit_permission(client, world, make_user):
    url = reverse("portal:labels") + f"?ids={world['unit'].pk}"
    assert client.get(url).status_code == 302
    assert client_for(world["portal_chen"]).get(url).status_code == 403
    assert client_for(make_user("", world["org"]["a"])).get(url).status_code == 403
