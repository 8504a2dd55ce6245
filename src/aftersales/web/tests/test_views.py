"""UI pages: sign-in and lock-out, language switch, scoping, every page renders, query counts."""

from __future__ import annotations

import json
import re

import pytest
from conftest import PASSWORD
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext


def login(client: Client, username: str, password: str):
    return client.post("/login/", {"username": username, "password": password})


def test_login_page_is_chinese_by_default(db):
    html = Client().get("/login/").content.decode()
    assert 'lang="zh-hans"' in html
    assert "登录" in html


def test_sign_in_and_out(org, make_user):
    agent = make_user("agent", org["a"], full_name="周杰")
    client = Client()
    response = login(client, agent.username, PASSWORD)
    assert response.status_code == 302 and response.url == "/"
    assert "周杰" in client.get("/").content.decode()
    client.post("/logout/")
    assert client.get("/").status_code == 302


def test_wrong_password_then_lock_out_with_a_clear_message(org, make_user, settings):
    settings.LOGIN_MAX_FAILURES = 3
    agent = make_user("agent", org["a"])
    client = Client()
    for _ in range(2):
        html = login(client, agent.username, "wrong").content.decode()
        assert "用户名或密码错误" in html
    html = login(client, agent.username, "wrong").content.decode()
    assert "锁定" in html
    # even the right password is refused while locked
    html = login(client, agent.username, PASSWORD).content.decode()
    assert "锁定" in html
    assert client.get("/").status_code == 302


def test_language_switch_to_english_and_back(org, make_user):
    agent = make_user("agent", org["a"])
    client = Client()
    client.force_login(agent)
    response = client.post("/language/", {"language": "en", "next": "/"})
    assert response.status_code == 302
    html = client.get("/").content.decode()
    assert 'lang="en"' in html and "Home" in html
    agent.refresh_from_db()
    assert agent.preferred_language == "en"
    client.post("/language/", {"language": "zh-hans", "next": "/"})
    assert 'lang="zh-hans"' in client.get("/").content.decode()


def test_language_switch_refuses_offsite_redirects(org, make_user):
    client = Client()
    response = client.post("/language/", {"language": "en", "next": "https://evil.example/"})
    assert response.url == "/"


@pytest.mark.parametrize(
    ("role", "url", "status"),
    [
        ("agent", "/", 200),
        ("agent", "/staff/", 200),
        ("agent", "/org-units/", 200),
        ("agent", "/audit/", 403),
        ("agent", "/staff/new/", 403),
        ("agent", "/me/", 200),
        ("supervisor", "/audit/", 200),
        ("supervisor", "/staff/new/", 200),
        ("manager", "/org-units/new/", 200),
        ("auditor", "/audit/", 200),
        ("admin", "/", 200),
    ],
)
def test_pages_by_role(org, make_user, role, url, status):
    unit = org["hq"] if role in {"manager", "auditor", "admin"} else org["a"]
    client = Client()
    client.force_login(make_user(role, unit))
    assert client.get(url).status_code == status


def test_anonymous_is_sent_to_login(db):
    response = Client().get("/staff/")
    assert response.status_code == 302 and response.url.startswith("/login/")


def test_outlet_b_staff_not_shown_and_not_reachable_in_the_ui(org, make_user):
    agent_a = make_user("agent", org["a"], full_name="甲网点人员")
    agent_b = make_user("agent", org["b"], full_name="乙网点人员")
    client = Client()
    client.force_login(agent_a)
    html = client.get("/staff/").content.decode()
    assert "甲网点人员" in html and "乙网点人员" not in html
    assert client.get(f"/staff/{agent_b.pk}/").status_code == 404
    assert client.get(f"/org-units/{org['b'].pk}/").status_code == 404
    assert "广州天河服务网点" not in client.get("/org-units/").content.decode()


def test_staff_detail_shows_history(org, make_user):
    supervisor = make_user("supervisor", org["a"])
    client = Client()
    client.force_login(supervisor)
    client.post(
        "/staff/new/",
        {
            "username": "hist",
            "full_name": "历史",
            "password": "Long-Enough-Pass-3",
            "org_unit": org["a"].pk,
            "roles": ["agent"],
        },
    )
    from aftersales.accounts.models import User

    person = User.objects.get(username="hist")
    html = client.get(f"/staff/{person.pk}/").content.decode()
    assert 'data-testid="history"' in html and supervisor.full_name in html


def test_invalid_form_shows_chinese_errors_and_writes_nothing(org, make_user):
    from aftersales.accounts.models import User

    supervisor = make_user("supervisor", org["a"])
    client = Client()
    client.force_login(supervisor)
    response = client.post(
        "/staff/new/",
        {"username": "weak", "full_name": "弱", "password": "123", "org_unit": org["a"].pk, "roles": ["agent"]},
    )
    assert response.status_code == 200
    assert "密码" in response.content.decode()
    assert not User.objects.filter(username="weak").exists()


def test_token_created_in_the_profile_is_shown_once(org, make_user):
    agent = make_user("agent", org["a"])
    client = Client()
    client.force_login(agent)
    html = client.post("/me/", {"name": "集成"}).content.decode()
    assert 'data-testid="new-token"' in html and "as_" in html
    assert 'data-testid="new-token"' not in client.get("/me/").content.decode()


def test_home_shows_real_figures_and_the_activity_chart(org, make_user):
    manager = make_user("manager", org["hq"])
    supervisor = make_user("supervisor", org["a"])
    client = Client()
    client.force_login(supervisor)
    client.post(
        "/staff/new/",
        {
            "username": "n1",
            "full_name": "新人",
            "password": "Long-Enough-Pass-5",
            "org_unit": org["a"].pk,
            "roles": ["agent"],
        },
    )
    client.force_login(manager)
    html = client.get("/").content.decode()
    assert 'data-testid="fig-staff">3<' in html
    assert 'data-testid="fig-units">6<' in html
    data = json.loads(re.search(r'id="activity-data" type="application/json">(.*?)</script>', html).group(1))
    assert [s["name"] for s in data["series"]] == ["界面"]  # the UI channel's series, in Chinese
    assert sum(data["series"][0]["data"]) >= 1 and len(data["days"]) == 14


@pytest.mark.parametrize("url", ["/staff/", "/org-units/", "/audit/"])
def test_list_pages_query_count_does_not_grow(org, make_user, url):
    admin = make_user("admin", org["hq"])
    client = Client()
    client.force_login(admin)
    client.get(url)

    def count() -> int:
        client.get(url)  # warm: the configuration cache (core.config_cache) reloads after a change
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        return len(ctx.captured_queries)

    few = count()
    for i in range(25):
        make_user("agent", org["a"], username=f"more{i}")
    assert count() == few


def test_browser_accept_language_does_not_switch_the_ui_but_the_cookie_does(db):
    assert 'lang="zh-hans"' in Client(HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").get("/login/").content.decode()
    client = Client()
    client.cookies["django_language"] = "en"
    assert 'lang="en"' in client.get("/login/").content.decode()


def test_signing_in_restores_the_saved_language(org, make_user):
    agent = make_user("agent", org["a"], preferred_language="en")
    client = Client()
    login(client, agent.username, PASSWORD)
    assert 'lang="en"' in client.get("/").content.decode()


def test_audit_page_names_record_types_and_fields_in_chinese(org, make_user):
    supervisor = make_user("supervisor", org["a"])
    client = Client()
    client.force_login(supervisor)
    client.post(
        "/staff/new/",
        {
            "username": "n2",
            "full_name": "新人二",
            "password": "Long-Enough-Pass-5",
            "org_unit": org["a"].pk,
            "roles": ["agent"],
        },
    )
    html = client.get("/audit/").content.decode()
    assert "accounts.user" not in html.split("<tbody>")[1]
    assert "用户名:" in html and "角色:" in html


def test_only_the_most_specific_menu_item_is_active(org, make_user):
    from aftersales.web.navigation import menu_for

    agent = make_user("agent", org["a"])
    active = [i["url"] for s in menu_for(agent, "/service/new/") for i in s["items"] if i["active"]]
    assert active == ["/service/new/"]
    active = [i["url"] for s in menu_for(agent, "/service/12/") for i in s["items"] if i["active"]]
    assert active == ["/service/"]
    assert [i["url"] for s in menu_for(agent, "/") for i in s["items"] if i["active"]] == ["/"]


@pytest.mark.parametrize("script_prefix", ["/", "/aftersales/"])
def test_menu_addresses_are_what_reverse_gives_under_any_script_prefix(org, make_user, script_prefix):
    from django.urls import reverse, set_script_prefix

    from aftersales.web.navigation import MENU, menu_for

    manager = make_user("manager", org["hq"])
    set_script_prefix(script_prefix)
    try:
        for _ in range(2):  # the second time from the held addresses
            shown = [i["url"] for s in menu_for(manager, "/") for i in s["items"]]
            names = [item.url_name for section in MENU for item in section.items]
            assert shown and set(shown) <= {reverse(name) for name in names}
            assert all(url.startswith(script_prefix) for url in shown)
    finally:
        set_script_prefix("/")


def test_a_value_the_database_refuses_is_a_readable_400_page(org, make_user):
    from django.db import DataError
    from django.test import RequestFactory

    from aftersales.web.middleware import DomainErrorPageMiddleware

    request = RequestFactory().get("/service/")
    request.user = make_user("agent", org["a"])
    middleware = DomainErrorPageMiddleware(lambda r: None)  # type: ignore[arg-type,return-value]
    response = middleware.process_exception(request, DataError("integer out of range"))
    assert response is not None and response.status_code == 400
    assert "超出范围" in response.content.decode()
    # The API answers in JSON itself (aftersales.api); other errors are left to Django.
    assert middleware.process_exception(RequestFactory().get("/api/v1/ping"), DataError("x")) is None
    assert middleware.process_exception(request, ValueError("x")) is None
