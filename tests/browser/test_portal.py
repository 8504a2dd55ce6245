"""The customer's side in a real browser: a portal customer signs in, reports a problem with a photo,
follows it, confirms the resolution and rates it; and scan-to-report on a phone, from the QR code's
address to the parcel-like tracking page."""

from __future__ import annotations

import datetime as dt
import re
import struct
import zlib
from pathlib import Path
from typing import Any

import pytest
from conftest import PASSWORD
from django.utils import translation
from playwright.sync_api import Page, expect

from aftersales.accounts.models import User, UserKind
from aftersales.customers.models import Customer
from aftersales.service import services
from aftersales.service.models import ServiceRequest
from tests import factories


def png_file(directory: Path, name: str = "leak.png") -> Path:
    """A small real PNG (16×16, blue) written to `directory`."""
    width = height = 16
    raw = b"".join(b"\x00" + bytes((32, 107, 196)) * width for _ in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    path = directory / name
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")
    )
    return path


def portal_label(status: str) -> str:
    """The customer-facing status words as the Chinese UI shows them."""
    from aftersales.portal.rules import customer_status

    with translation.override("zh-hans"):
        return str(customer_status(status).label)


@pytest.fixture
def shop(org: dict[str, Any], make_user: Any) -> dict[str, Any]:
    """陈先生 owns a water purifier sold 30 days ago and has a portal account; 王客服 is an agent of his outlet."""
    manager = make_user("manager", org["hq"])
    agent = make_user("agent", org["a"], full_name="王客服")
    model = factories.product_model(manager)
    chen = factories.customer(agent, org["a"], name="陈先生", phone="13812345678")
    unit = factories.sold_unit(
        agent, model, chen, org["a"], serial="JS-2025-0001", sale_date=dt.date.today() - dt.timedelta(days=30)
    )
    portal = make_user("customer", None, kind=UserKind.CUSTOMER, username="chen", full_name="陈先生")
    Customer.objects.filter(pk=chen.pk).update(portal_user=portal)
    return {"agent": agent, "customer": chen, "unit": unit, "model": model, "portal": portal}


@pytest.mark.browser
def test_portal_submission_and_tracking(page: Page, shop: dict[str, Any], tmp_path: Path) -> None:
    # Sign in through the portal's address: the sign-in page brings the customer back to the portal.
    page.goto("/portal/")
    expect(page).to_have_url(re.compile(r"/login/\?next=/portal/$"))
    page.fill("#id_username", "chen")
    page.fill("#id_password", PASSWORD)
    with page.expect_navigation():
        page.click("[data-testid=login-submit]")
    expect(page).to_have_url(re.compile(r"/portal/$"))
    expect(page.locator("[data-testid=portal-customer]")).to_have_text("陈先生")
    expect(page.locator("[data-testid=request-empty]")).to_be_visible()

    # 报修: repair of my purifier, with a photo.
    page.click("[data-testid=portal-report]")
    page.locator("[data-testid=type-repair]").check(force=True)
    page.select_option("#id_unit", str(shop["unit"].pk))
    page.fill("#id_title", "净水器底部漏水")
    page.fill("#id_description", "昨晚开始漏水，地板湿了")
    page.set_input_files("#id_photos", str(png_file(tmp_path)))
    with page.expect_navigation():
        page.click("[data-testid=request-submit]")
    sr = ServiceRequest.objects.get()
    assert (sr.channel, sr.status, sr.unit_id) == ("portal", "received", shop["unit"].pk)
    expect(page.locator("[data-testid=portal-message]")).to_contain_text(sr.number)
    expect(page.locator("[data-testid=status]")).to_have_attribute("data-status", "received")

    # It is listed on the home page with its status (待受理).
    page.click("[data-testid=portal-back]")
    row = page.locator("[data-testid=request-row]")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("净水器底部漏水")
    expect(row.locator("[data-testid=status]")).to_have_text(portal_label("received"))

    # Open it: the timeline says it was received, and the photo shows inline (served to its owner only).
    row.click()
    expect(page.locator("[data-testid=request-number]")).to_have_text(sr.number)
    expect(page.locator("[data-testid=timeline-entry]")).to_have_count(1)
    image = page.locator("[data-testid=attachment-image]")
    expect(image).to_have_count(1)
    expect(image).to_have_js_property("naturalWidth", 16)
    expect(page.locator("[data-testid=confirm-resolved]")).to_have_count(0)

    # The staff side (through the services): an agent resolves it.
    agent = User.objects.get(pk=shop["agent"].pk)
    services.request_transition(
        actor=agent, request=sr, action="resolve", expected_version=sr.version, resolution="更换了密封圈，已不漏水"
    )

    # The customer confirms it and rates it five stars with one click.
    page.reload()
    expect(page.locator("[data-testid=status]")).to_have_attribute("data-status", "resolved")
    expect(page.locator("[data-testid=confirm-card]")).to_contain_text("更换了密封圈")
    with page.expect_navigation():
        page.click("[data-testid=confirm-resolved]")
    expect(page.locator("[data-testid=status]")).to_have_attribute("data-status", "closed")
    expect(page.locator("[data-testid=status]")).to_have_text(portal_label("closed"))
    with page.expect_navigation():
        page.click("[data-testid=rate-5]")
    expect(page.locator("[data-testid=rating]")).to_have_attribute("data-rating", "5")
    expect(page.locator("[data-testid=rating] .portal-star.on")).to_have_count(5)
    sr.refresh_from_db()
    assert (sr.status, sr.rating) == ("closed", 5)


@pytest.mark.browser
def test_scan_to_report_on_a_phone(page: Page, shop: dict[str, Any], tmp_path: Path) -> None:
    from aftersales.portal import qr

    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(qr.unit_path(shop["unit"].pk))  # what the phone opens from the label's QR code
    expect(page.locator("[data-testid=scan-model]")).to_have_text(shop["model"].name)
    expect(page.locator("[data-testid=scan-serial]")).to_have_text("JS-2025-0001")
    expect(page.locator("[data-testid=scan-sale-date]")).to_have_text(shop["unit"].sale_date.isoformat())
    expect(page.locator("[data-testid=scan-warranty]")).to_have_attribute("data-covered", "1")
    # Nothing sticks out sideways on a phone.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390

    page.fill("#id_fault", "净水器不出水")
    page.set_input_files("#id_photos", str(png_file(tmp_path)))
    page.fill("#id_name", "陈太太")
    page.fill("#id_phone", "139 0000 2222")
    with page.expect_navigation():
        page.click("[data-testid=scan-submit]")

    sr = ServiceRequest.objects.get()
    assert (sr.customer_id, sr.channel, sr.contact_phone) == (shop["customer"].pk, "scan", "13900002222")
    expect(page).to_have_url(re.compile(r"/service/t/[^/]+/$"))
    expect(page.locator("[data-testid=track-number]")).to_have_text(sr.number)  # no digits to type this time
    expect(page.locator("[data-testid=track-steps] .step-item.active")).to_have_count(1)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
