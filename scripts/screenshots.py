"""Screenshots of the sign-in and home pages for the docs, taken from a running server with Debian's Chromium.

    .venv/bin/python scripts/screenshots.py http://127.0.0.1:8000 USERNAME PASSWORD [--out docs/img] [--lang zh-hans]

Writes login.png and home.png. Not a test: run it by hand after a visible change to these pages.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from playwright.sync_api import expect, sync_playwright

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
BROWSER_LOCALE = {"zh-hans": "zh-CN", "en": "en-US"}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url", help="base URL of a running server, e.g. http://127.0.0.1:8000")
    parser.add_argument("username")
    parser.add_argument("password")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "img", help="directory for the PNG files")
    parser.add_argument("--lang", choices=sorted(BROWSER_LOCALE), default="zh-hans", help="UI language")
    parser.add_argument("--width", type=int, default=1440)
    parser.add_argument("--height", type=int, default=900)
    args = parser.parse_args()

    args.out.mkdir(parents=True, exist_ok=True)
    base = args.url.rstrip("/")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(
            base_url=base,
            locale=BROWSER_LOCALE[args.lang],
            timezone_id="Asia/Shanghai",
            viewport={"width": args.width, "height": args.height},
            device_scale_factor=1,
        )
        # The language is a cookie the UI sets; setting it up front makes the shots independent of the
        # user's remembered preference and of the browser's Accept-Language.
        context.add_cookies([{"name": "django_language", "value": args.lang, "url": base}])
        page = context.new_page()
        page.set_default_timeout(20_000)

        page.goto("/login/")
        page.wait_for_load_state("networkidle")
        page.screenshot(path=str(args.out / "login.png"))

        page.fill("#id_username", args.username)
        page.fill("#id_password", args.password)
        with page.expect_navigation():
            page.click("[data-testid=login-submit]")
        if page.locator("[data-testid=login-error]").count():
            print(f"sign-in failed: {page.inner_text('[data-testid=login-error]')}", file=sys.stderr)  # noqa: T201
            browser.close()
            return 1
        expect(page.locator("[data-testid=current-user]")).to_be_visible()
        # After sign-in the server sets the user's own language cookie; put ours back and reload.
        context.add_cookies([{"name": "django_language", "value": args.lang, "url": base}])
        page.reload()
        page.wait_for_load_state("networkidle")
        page.wait_for_timeout(800)  # charts animate in
        page.screenshot(path=str(args.out / "home.png"))
        browser.close()
    print(f"wrote {args.out / 'login.png'} and {args.out / 'home.png'}")  # noqa: T201
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
