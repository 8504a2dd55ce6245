"""The UI shell in a real browser: Chinese by default, sign-in, the home page, switching to English, lock-out."""

from __future__ import annotations

import re
from typing import Any

import pytest
from conftest import PASSWORD
from playwright.sync_api import Page, expect


def sign_in(page: Page, username: str, password: str) -> None:
    """Fill in the sign-in form and submit it, waiting for the page the server answers with."""
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    with page.expect_navigation():
        page.click("[data-testid=login-submit]")


@pytest.mark.browser
def test_staff_signs_in_in_chinese_and_switches_to_english(page: Page, org: dict[str, Any], make_user: Any) -> None:
    user = make_user("agent", org["a"], full_name="王小明")

    page.goto("/login/")
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    expect(page.locator("[data-testid=login-submit]")).to_have_text("登录")

    sign_in(page, user.username, PASSWORD)
    expect(page).to_have_url(re.compile(r"^http://[^/]+/$"))
    expect(page.locator("[data-testid=current-user]")).to_have_text("王小明")

    page.select_option("[data-testid=language-select]", "en")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page).to_have_url(re.compile(r"^http://[^/]+/$"))  # still on the page we switched from
    expect(page.locator("[data-testid=nav]")).to_contain_text("Home")
    expect(page.locator("[data-testid=current-user]")).to_have_text("王小明")


@pytest.mark.browser
def test_five_wrong_passwords_lock_the_account(page: Page, org: dict[str, Any], make_user: Any) -> None:
    user = make_user("agent", org["a"])

    error = page.locator("[data-testid=login-error]")

    page.goto("/login/")
    sign_in(page, user.username, "wrong-password-1")
    wrong_password = error.inner_text()  # also warns that the account will be locked (将被锁定)
    for _ in range(3):
        sign_in(page, user.username, "wrong-password-1")
        expect(error).to_have_text(wrong_password)

    sign_in(page, user.username, "wrong-password-1")  # the fifth failure
    expect(error).not_to_have_text(wrong_password)
    expect(error).to_contain_text("锁定")
    # Locked means locked: even the right password is refused now.
    sign_in(page, user.username, PASSWORD)
    expect(error).not_to_have_text(wrong_password)
    expect(error).to_contain_text("锁定")
    expect(page).to_have_url(re.compile(r"/login/$"))
