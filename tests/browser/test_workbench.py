"""The agent workbench in a real browser: a phone intake from the caller's last four digits to the new
request's page, and filtering a queue (unassigned → urgent → search 漏水)."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from conftest import PASSWORD
from django.utils import timezone
from playwright.sync_api import Page, expect

from aftersales.service import services
from aftersales.service.models import ServiceRequest
from aftersales.service.services import RequestData
from tests import factories


def sign_in(page: Page, username: str) -> None:
    page.goto("/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    with page.expect_navigation():
        page.click("[data-testid=login-submit]")


@pytest.fixture
def world(org: dict[str, Any], make_user: Any) -> dict[str, Any]:
    manager = make_user("manager", org["hq"])
    agent = make_user("agent", org["a"], full_name="李客服")
    tech = make_user("technician", org["a"], full_name="王师傅")
    model = factories.product_model(manager, code="JS-100")
    # No addresses: the region table that addresses need is flushed between live-server tests.
    customer = factories.customer(agent, org["a"], name="陈先生", phone="13812345678", addresses=())
    factories.customer(agent, org["a"], name="林女士", phone="13900001234", addresses=())
    unit = factories.sold_unit(
        agent, model, customer, org["a"], serial="JS-0001", sale_date=timezone.localdate() - dt.timedelta(days=30)
    )
    return {"agent": agent, "tech": tech, "customer": customer, "unit": unit}


@pytest.mark.browser
def test_phone_intake_by_an_agent(page: Page, world: dict[str, Any]) -> None:
    sign_in(page, world["agent"].username)
    # Wait for the load event: htmx binds its triggers then, and typing before that would go unheard.
    with page.expect_navigation(wait_until="load"):
        page.click("[data-testid=nav] a[href='/service/new/']")
    expect(page).to_have_url(re.compile(r"/service/new/$"))

    # The caller gives the last four digits of their phone.
    page.fill("[data-testid=caller-search]", "5678")
    result = page.locator("[data-testid=caller-result]")
    expect(result).to_have_count(1)
    expect(result).to_contain_text("陈先生")
    expect(result).to_contain_text("138****5678")
    result.click()
    expect(page.locator("[data-testid=picked-customer-name]")).to_have_text("陈先生")
    expect(page.locator("[data-testid=caller-results]")).to_be_empty()

    # The serial on the unit's label: model, purchase date and the warranty answer at once.
    page.fill("[data-testid=serial-search]", "JS-0001")
    page.click("[data-testid=serial-lookup]")
    expect(page.locator("[data-testid=picked-unit-serial]")).to_have_text("JS-0001")
    expect(page.locator("[data-testid=unit-model]")).to_contain_text("JS-100")
    sale_date = (timezone.localdate() - dt.timedelta(days=30)).isoformat()
    expect(page.locator("[data-testid=unit-sale-date]")).to_have_text(sale_date)
    expect(page.locator("#unit-panel [data-testid=warranty-status]")).to_have_attribute("data-covered", "true")

    # The problem.
    page.select_option("#id_type", "repair")
    page.select_option("#id_urgency", "urgent")
    page.fill("#id_title", "净水器底部漏水")
    page.fill("#id_description", "厨房净水器底部漏水，地板已经湿了")
    with page.expect_navigation():
        page.click("[data-testid=intake-submit]")

    request = ServiceRequest.objects.get()
    expect(page).to_have_url(re.compile(rf"/service/{request.pk}/$"))
    expect(page.locator("[data-testid=request-number]")).to_have_text(request.number)
    assert re.fullmatch(r"SR\d{8}-\d{6}", request.number)
    assert (request.customer_id, request.unit_id, request.channel) == (
        world["customer"].pk,
        world["unit"].pk,
        "phone",
    )
    assert (request.urgency, request.status, request.warranty_covered) == ("urgent", "registered", True)
    expect(page.locator("[data-testid=request-title]")).to_have_text("净水器底部漏水")
    expect(page.locator("[data-testid=customer-phone]")).to_have_text("138****5678")
    expect(page.locator("[data-testid=unit-card] [data-testid=warranty-status]")).to_have_attribute(
        "data-covered", "true"
    )


def _request(world: dict[str, Any], title: str, urgency: str, **kw: Any) -> ServiceRequest:
    data = RequestData(
        type="repair",
        customer_id=world["customer"].pk,
        title=title,
        description="",
        channel="phone",
        urgency=urgency,
        auto_assign=False,
        **kw,
    )
    request, _created = services.request_create(actor=world["agent"], data=data)
    return request


@pytest.mark.browser
def test_queue_filtering(page: Page, world: dict[str, Any]) -> None:
    agent = world["agent"]
    older = _request(world, "净水器漏水", "urgent")
    _request(world, "净水器也漏水", "normal")  # not urgent
    assigned = _request(world, "厨房漏水严重", "urgent")  # has an assignee
    services.request_assign(
        actor=agent, request=assigned, expected_version=assigned.version, assignee_id=world["tech"].pk
    )
    _request(world, "滤芯更换", "urgent")  # no 漏水
    cancelled = _request(world, "管道漏水", "urgent")  # finished
    services.request_transition(
        actor=agent, request=cancelled, action="cancel", expected_version=cancelled.version, reason="重复报修"
    )
    newer = _request(world, "接头漏水", "urgent")

    sign_in(page, agent.username)
    # Wait for the load event: htmx binds its triggers then, and typing before that would go unheard.
    with page.expect_navigation(wait_until="load"):
        page.click("[data-testid=nav] a[href='/service/']")
    expect(page.locator("[data-testid=count-unassigned]")).to_have_text("4")

    page.click("[data-testid=queue-unassigned]")
    expect(page).to_have_url(re.compile(r"queue=unassigned"))
    expect(page.locator("[data-testid=queue-unassigned]")).to_have_class(re.compile(r"\bactive\b"))
    expect(page.locator("[data-testid=queue-row]")).to_have_count(4)

    page.select_option("[data-testid=queue-filters] select[name=urgency]", "urgent")
    expect(page).to_have_url(re.compile(r"urgency=urgent"))
    expect(page.locator("[data-testid=queue-row]")).to_have_count(3)

    page.fill("[data-testid=queue-search]", "漏水")
    page.press("[data-testid=queue-search]", "Enter")
    expect(page).to_have_url(re.compile(r"q=%E6%BC%8F%E6%B0%B4"))
    rows = page.locator("[data-testid=queue-row]")
    expect(rows).to_have_count(2)
    expect(rows.locator("[data-testid=request-link]")).to_have_text([newer.number, older.number])
    for i in range(2):
        expect(rows.nth(i).locator("[data-testid=urgency]")).to_have_attribute("data-urgency", "urgent")
    # The tab counts stay those of the queues; the filters narrow the rows only.
    expect(page.locator("[data-testid=queue-unassigned]")).to_have_class(re.compile(r"\bactive\b"))

    # A row opens the request page.
    rows.locator("[data-testid=request-link]").first.click()
    expect(page).to_have_url(re.compile(rf"/service/{newer.pk}/$"))
    expect(page.locator("[data-testid=request-number]")).to_have_text(newer.number)
