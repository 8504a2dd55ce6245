"""The accounts API end to end: auth (401s), scoping (404s), errors (never 500), pagination, query counts."""

from __future__ import annotations

import json

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from aftersales.accounts import services
from aftersales.core.models import AuditEntry


def error_shape(response) -> dict:
    body = response.json()
    assert set(body) == {"code", "message", "errors"}, body
    assert isinstance(body["errors"], list)
    return body


# --- authentication ---------------------------------------------------------------------------


def test_missing_token_is_401_json(db):
    response = Client().get("/api/v1/me")
    assert response.status_code == 401
    assert error_shape(response)["code"] == "not_authenticated"


def test_invalid_token_is_401_json(db):
    response = Client(HTTP_AUTHORIZATION="Bearer as_deadbeef_nope").get("/api/v1/me")
    assert response.status_code == 401
    assert error_shape(response)["code"] == "not_authenticated"


def test_revoked_token_is_401_json(org, make_user):
    agent = make_user("agent", org["a"])
    token, raw = services.api_token_create(actor=agent, name="t")
    client = Client(HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert client.get("/api/v1/me").status_code == 200
    services.api_token_revoke(actor=agent, token=token)
    response = client.get("/api/v1/me")
    assert response.status_code == 401
    assert error_shape(response)["code"] == "not_authenticated"


def test_ping_answers_the_caller_in_one_query_and_needs_a_token(org, make_user, api_client_for):
    agent = make_user("agent", org["a"])
    assert Client().get("/api/v1/ping").status_code == 401
    client = api_client_for(agent)
    client.get("/api/v1/ping")  # the token's last-used time is touched once, not on every call
    with CaptureQueriesContext(connection) as queries:
        body = client.get("/api/v1/ping").json()
    assert body == {"ok": True, "user_id": agent.pk}
    assert len(queries) == 1, [q["sql"] for q in queries]


def test_error_messages_are_chinese_by_default_and_english_on_request(db):
    chinese = Client().get("/api/v1/me").json()["message"]
    assert "登录" in chinese, chinese
    english = Client(HTTP_ACCEPT_LANGUAGE="en").get("/api/v1/me").json()["message"]
    assert english.startswith("Authentication is required")


def test_me_returns_roles_units_and_permissions(org, make_user, api_client_for):
    agent = make_user("agent", org["a"], full_name="张小明")
    body = api_client_for(agent).get("/api/v1/me").json()
    assert body["username"] == agent.username
    assert body["full_name"] == "张小明"
    assert body["roles"] == [{"code": "agent", "label": "客服专员"}]
    assert body["org_unit"]["code"] == "O-A"
    assert body["sees_all_units"] is False
    assert "accounts.view_user" in body["permissions"]


def test_json_keeps_chinese_readable(org, make_user, api_client_for):
    agent = make_user("agent", org["a"], full_name="张小明")
    raw = api_client_for(agent).get("/api/v1/me").content.decode()
    assert "张小明" in raw and "\\u" not in raw


def test_session_auth_works_and_checks_csrf(org, make_user):
    agent = make_user("agent", org["a"])
    client = Client(enforce_csrf_checks=True)
    client.force_login(agent)
    assert client.get("/api/v1/me").status_code == 200
    response = client.post("/api/v1/tokens", data=json.dumps({"name": "x"}), content_type="application/json")
    assert response.status_code == 403
    assert error_shape(response)["code"] == "csrf_failed"


# --- scoping ----------------------------------------------------------------------------------


def test_outlet_a_user_gets_404_for_outlet_b_records(org, make_user, api_client_for):
    agent_a = make_user("agent", org["a"])
    agent_b = make_user("agent", org["b"])
    client = api_client_for(agent_a)
    for url in (f"/api/v1/users/{agent_b.pk}", f"/api/v1/org-units/{org['b'].pk}"):
        response = client.get(url)
        assert response.status_code == 404, url
        assert error_shape(response)["code"] == "not_found"
    listed = {u["id"] for u in client.get("/api/v1/users?page_size=100").json()["items"]}
    assert agent_b.pk not in listed and agent_a.pk in listed
    units = {u["code"] for u in client.get("/api/v1/org-units").json()["items"]}
    assert units == {"O-A", "T-A1"}


def test_outlet_a_supervisor_cannot_change_outlet_b_staff(org, make_user, api_client_for):
    supervisor_a = make_user("supervisor", org["a"])
    agent_b = make_user("agent", org["b"], full_name="原名")
    client = api_client_for(supervisor_a)
    response = client.put(
        f"/api/v1/users/{agent_b.pk}",
        data=json.dumps({"full_name": "改名", "org_unit_id": org["a"].pk}),
        content_type="application/json",
    )
    assert response.status_code == 404
    agent_b.refresh_from_db()
    assert agent_b.full_name == "原名" and agent_b.org_unit_id == org["b"].pk


def test_head_office_sees_all_units(org, make_user, api_client_for):
    manager = make_user("manager", org["hq"])
    body = api_client_for(manager).get("/api/v1/org-units?page_size=100").json()
    assert body["count"] == 6


# --- writes and the error format --------------------------------------------------------------


def test_create_user_through_the_api(org, make_user, api_client_for):
    supervisor = make_user("supervisor", org["a"])
    response = api_client_for(supervisor).post(
        "/api/v1/users",
        data=json.dumps(
            {
                "username": "liu",
                "password": "Long-Enough-Pass-1",
                "full_name": "刘备",
                "org_unit_id": org["a1"].pk,
                "roles": ["technician"],
            }
        ),
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["roles"][0]["code"] == "technician"
    entry = AuditEntry.objects.get(target_type="accounts.user", object_id=str(body["id"]), action="create")
    assert entry.channel == "api"
    assert entry.actor == supervisor
    assert entry.ip == "127.0.0.1"


def test_malformed_json_is_400_not_500(org, make_user, api_client_for):
    client = api_client_for(make_user("supervisor", org["a"]))
    response = client.post("/api/v1/users", data="{not json", content_type="application/json")
    assert response.status_code == 400
    assert error_shape(response)["code"] == "bad_request"


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"username": "x", "password": "y", "org_unit_id": "abc"}, "org_unit_id"),
        ({"password": "y"}, "username"),
        ({"username": ["list"], "password": "y"}, "username"),
        ({"username": "x", "password": "y", "roles": "agent"}, "roles"),
    ],
)
def test_wrong_types_are_422_with_field_errors(org, make_user, api_client_for, payload, field):
    client = api_client_for(make_user("supervisor", org["a"]))
    response = client.post("/api/v1/users", data=json.dumps(payload), content_type="application/json")
    assert response.status_code == 422
    body = error_shape(response)
    assert body["code"] == "validation_error"
    assert field in {e["field"] for e in body["errors"]}, body


def test_wrong_query_types_are_422(org, make_user, api_client_for):
    client = api_client_for(make_user("agent", org["a"]))
    response = client.get("/api/v1/users?page=zero")
    assert response.status_code == 422
    assert error_shape(response)["errors"][0]["field"] == "page"
    assert client.get("/api/v1/users?page_size=1000").status_code == 422


HUGE = 88673616348105587528300010590437376  # beyond 64 bits (found by schemathesis)


@pytest.mark.parametrize("url", ["/api/v1/users", "/api/v1/org-units", "/api/v1/audit-entries"])
def test_a_page_beyond_what_any_list_counts_is_422(org, make_user, api_client_for, url):
    client = api_client_for(make_user("admin", org["hq"]))
    for page in (10_001, HUGE):
        response = client.get(f"{url}?page={page}")
        assert response.status_code == 422, response.content
        assert error_shape(response)["errors"] == [{"field": "page", "message": "数值过大。"}]
    last = client.get(f"{url}?page=10000")  # the last page there can be: empty, not an error
    assert last.status_code == 200 and last.json()["items"] == []


def test_an_id_beyond_64_bits_in_a_filter_is_never_a_500(org, make_user, api_client_for):
    client = api_client_for(make_user("manager", org["hq"]))
    response = client.get(f"/api/v1/service-requests?customer_id={HUGE}")
    if connection.vendor == "sqlite":
        # sqlite3 cannot bind it: the database refuses the value (core.sqlite_backend).
        assert response.status_code == 400
        body = error_shape(response)
        assert body["code"] == "invalid_value" and "超出范围" in body["message"]
    else:
        # PostgreSQL compares it as a numeric: no such customer, no rows.
        assert response.status_code == 200 and response.json()["items"] == []
    assert client.get(f"/api/v1/service-requests/{HUGE}").status_code == 404


def test_an_upload_that_cannot_be_parsed_is_400(org, make_user, api_client_for):
    client = api_client_for(make_user("admin", org["hq"]))
    # multipart/form-data without its boundary: Django's parser cannot read the body.
    response = client.generic("POST", "/api/v1/imports", data=b"x", content_type="multipart/form-data")
    assert response.status_code == 400
    body = error_shape(response)
    assert body["code"] == "bad_request" and "multipart/form-data" in body["message"]


def test_domain_validation_is_422_with_chinese_field_messages(org, make_user, api_client_for):
    client = api_client_for(make_user("supervisor", org["a"]))
    response = client.post(
        "/api/v1/users",
        data=json.dumps({"username": "weak", "password": "123", "org_unit_id": org["a"].pk, "roles": ["agent"]}),
        content_type="application/json",
    )
    assert response.status_code == 422
    body = error_shape(response)
    assert any(e["field"] == "password" for e in body["errors"])
    assert "密码" in json.dumps(body, ensure_ascii=False)


def test_forbidden_action_is_403(org, make_user, api_client_for):
    client = api_client_for(make_user("agent", org["a"]))
    response = client.post(
        "/api/v1/org-units",
        data=json.dumps({"name": "x", "code": "x", "kind": "team", "parent_id": org["a"].pk}),
        content_type="application/json",
    )
    assert response.status_code == 403
    assert error_shape(response)["code"] == "permission_denied"


def test_stale_version_is_409(org, make_user, api_client_for):
    client = api_client_for(make_user("manager", org["hq"]))
    url = f"/api/v1/org-units/{org['a'].pk}"
    first = client.put(url, data=json.dumps({"version": 1, "name": "一"}), content_type="application/json")
    assert first.status_code == 200 and first.json()["version"] == 2
    second = client.put(url, data=json.dumps({"version": 1, "name": "二"}), content_type="application/json")
    assert second.status_code == 409
    assert error_shape(second)["code"] == "stale_version"


def test_unknown_record_is_404(org, make_user, api_client_for):
    client = api_client_for(make_user("manager", org["hq"]))
    assert client.get("/api/v1/users/999999").status_code == 404
    assert client.get("/api/v1/org-units/999999").status_code == 404


def test_token_lifecycle_through_the_api(org, make_user, api_client_for):
    agent = make_user("agent", org["a"])
    client = api_client_for(agent)
    created = client.post("/api/v1/tokens", data=json.dumps({"name": "脚本"}), content_type="application/json")
    assert created.status_code == 201
    raw = created.json()["token"]
    listed = client.get("/api/v1/tokens").json()
    assert all("token" not in t for t in listed["items"])
    assert Client(HTTP_AUTHORIZATION=f"Bearer {raw}").get("/api/v1/me").status_code == 200
    revoked = client.post(f"/api/v1/tokens/{created.json()['id']}/revoke")
    assert revoked.status_code == 200 and revoked.json()["revoked_at"]
    assert Client(HTTP_AUTHORIZATION=f"Bearer {raw}").get("/api/v1/me").status_code == 401


# --- pagination and query counts --------------------------------------------------------------


def test_pagination_convention(org, make_user, api_client_for):
    manager = make_user("manager", org["hq"])
    for i in range(7):
        make_user("agent", org["a"], username=f"page{i}")
    body = api_client_for(manager).get("/api/v1/users?page=2&page_size=3").json()
    assert body["count"] == 8
    assert body["page"] == 2 and body["page_size"] == 3 and body["pages"] == 3
    assert len(body["items"]) == 3


@pytest.mark.parametrize("url", ["/api/v1/users", "/api/v1/org-units", "/api/v1/tokens", "/api/v1/audit-entries"])
def test_list_query_count_does_not_grow_with_page_size(org, make_user, api_client_for, url):
    manager = make_user("admin", org["hq"])
    for i in range(30):
        make_user("agent", org["a"] if i % 2 else org["b"], username=f"q{i}")
    client = api_client_for(manager)
    client.get(url)  # warm-up: token last-used write, permission caches
    counts = []
    for size in (5, 30):
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(f"{url}?page_size={size}").status_code == 200
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1], counts
    assert counts[1] <= 8, counts


def test_openapi_document_is_served(db):
    response = Client().get("/api/v1/openapi.json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    assert "/api/v1/me" in paths and "/api/v1/users" in paths
