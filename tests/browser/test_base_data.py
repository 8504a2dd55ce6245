"""Base data in a real browser: an agent finds a customer by the last four digits of a phone number,
opens the customer and one of their units, and sees the warranty answer; a case check re-renders the
panel in place; a new customer is entered with the cascading address selects and extra phone rows."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from conftest import PASSWORD
from playwright.sync_api import Page, expect

from aftersales.catalog.rules import add_months
from aftersales.customers.models import Customer
from tests import factories


def sign_in(page: Page, username: str) -> None:
    page.goto("/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    with page.expect_navigation():
        page.click("[data-testid=login-submit]")


@pytest.fixture
def archive(org: dict[str, Any], make_user: Any) -> dict[str, Any]:
    """An agent of outlet A; 张三 (138 1234 5678) owns a water purifier sold 30 days ago; 李四 owns nothing."""
    manager = make_user("manager", org["hq"])
    agent = make_user("agent", org["a"], full_name="王小明")
    model = factories.product_model(manager)
    zhang = factories.customer(agent, org["a"], name="张三", phone="13812345678")
    factories.customer(agent, org["a"], name="李四", phone="13900001111")
    sold = dt.date.today() - dt.timedelta(days=30)
    unit = factories.sold_unit(agent, model, zhang, org["a"], serial="SN-2025-0001", sale_date=sold)
    return {"agent": agent, "customer": zhang, "unit": unit, "ends_on": add_months(sold, 12) - dt.timedelta(days=1)}


@pytest.mark.browser
def test_agent_finds_a_customer_by_last_four_digits_and_sees_the_units_warranty(
    page: Page, archive: dict[str, Any]
) -> None:
    sign_in(page, archive["agent"].username)

    page.locator("[data-testid=nav] a[href='/customers/']").click()
    page.fill("[data-testid=customer-search]", "5678")
    with page.expect_navigation():
        page.click("[data-testid=customer-search-submit]")
    rows = page.locator("[data-testid=customer-row]")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("张三")
    expect(rows.first.locator("[data-testid=customer-phone]")).to_have_text("138****5678")  # masked in lists

    with page.expect_navigation():
        rows.first.locator("[data-testid=customer-link]").click()
    expect(page.locator("[data-testid=customer-name]")).to_have_text("张三")
    expect(page.locator("[data-testid=phone]").first).to_have_text("138****5678")  # an agent never sees more
    expect(page.locator("[data-testid=reveal]")).to_have_count(0)

    unit_link = page.locator("[data-testid=customer-units] [data-testid=unit-link]")  # loaded by htmx
    expect(unit_link).to_have_text("SN-2025-0001")
    expect(page.locator("[data-testid=customer-units] [data-testid=unit-warranty]")).to_have_class(
        re.compile("bg-success")
    )
    with page.expect_navigation():
        unit_link.click()

    expect(page.locator("[data-testid=unit-serial]")).to_have_text("SN-2025-0001")
    status = page.locator("[data-testid=warranty-status]")
    expect(status).to_have_attribute("data-covered", "true")
    expect(page.locator("[data-testid=warranty-end]")).to_have_text(f"{archive['ends_on']:%Y-%m-%d}")

    # The facts of a case change the answer in place, with every reason.
    page.uncheck("#id_voucher_present")
    page.uncheck("#id_invoice_present")
    page.select_option("#id_damage_cause", "man_made")
    page.click("[data-testid=warranty-check]")
    expect(status).to_have_attribute("data-covered", "false")
    expect(page.locator("[data-testid=warranty-reasons] li")).to_have_count(2)
    expect(page).to_have_url(re.compile(rf"/catalog/units/{archive['unit'].pk}/$"))  # no page load


@pytest.mark.browser
def test_new_customer_with_the_address_cascade_and_a_duplicate_warning(page: Page, archive: dict[str, Any]) -> None:
    sign_in(page, archive["agent"].username)
    page.goto("/customers/new/")

    page.fill("#id_name", "张三")
    page.fill("#id_phones-0-number", "138 1234 5678")  # 张三's number: a likely duplicate
    page.click("[data-testid=add-phones]")
    page.fill("#id_phones-1-number", "0755-86123456")
    page.select_option("#id_addresses-0-province", "440000")
    expect(page.locator("#id_addresses-0-city option[value='440300']")).to_have_count(1)
    page.select_option("#id_addresses-0-city", "440300")
    expect(page.locator("#id_addresses-0-district option[value='440305']")).to_have_count(1)
    page.select_option("#id_addresses-0-district", "440305")
    page.fill("#id_addresses-0-detail", "科技园南区2栋")
    with page.expect_navigation():
        page.click("[data-testid=form-submit]")

    warning = page.locator("[data-testid=duplicates]")
    expect(warning).to_contain_text("张三")
    expect(page.locator("#id_addresses-0-district")).to_have_value("440305")  # the input survives
    page.check("#id_allow_duplicate")
    with page.expect_navigation():
        page.click("[data-testid=form-submit]")

    expect(page).to_have_url(re.compile(r"/customers/\d+/$"))
    created = Customer.objects.exclude(pk=archive["customer"].pk).get(name="张三")
    assert sorted(created.phones.values_list("number", flat=True)) == ["075586123456", "13812345678"]
    assert created.addresses.get().region_id == "440305"
