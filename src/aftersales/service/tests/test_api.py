"""/api/v1/service-requests end to end: idempotent create, actions, 409s, scoping, timeline, attachments."""

from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from tests import factories

from aftersales.accounts.models import UserKind
from aftersales.customers.models import Customer
from aftersales.service.models import ServiceRequest


def post(client, url, data, **headers):
    return client.post(url, data=json.dumps(data), content_type="application/json", **headers)


def setup(org, make_user, api_client_for):
    agent = make_user("agent", org["a"])
    customer = factories.customer(agent, org["a"], name="陈先生", phone="13812345678")
    body = {
        "type": "repair",
        "customer_id": customer.pk,
        "title": "空调不制冷",
        "description": "开机后不制冷",
        "channel": "phone",
    }
    return agent, customer, body, api_client_for(agent)


def test_same_idempotency_key_twice_gives_one_record_and_the_same_response(org, make_user, api_client_for):
    _agent, _customer, body, client = setup(org, make_user, api_client_for)
    first = post(client, "/api/v1/service-requests", body, HTTP_IDEMPOTENCY_KEY="retry-42")
    second = post(client, "/api/v1/service-requests", body, HTTP_IDEMPOTENCY_KEY="retry-42")
    assert first.status_code == second.status_code == 201
    assert first.json() == second.json()
    assert ServiceRequest.objects.count() == 1
    third = post(client, "/api/v1/service-requests", body, HTTP_IDEMPOTENCY_KEY="retry-43")
    assert third.json()["number"] != first.json()["number"]


def test_actions_and_illegal_moves(org, make_user, api_client_for):
    _agent, _customer, body, client = setup(org, make_user, api_client_for)
    created = post(client, "/api/v1/service-requests", body).json()
    url = f"/api/v1/service-requests/{created['id']}"
    assert created["status"] == "registered" and "start" in created["allowed_actions"]
    started = post(client, f"{url}/start", {"version": created["version"]}).json()
    assert started["status"] == "in_progress"
    illegal = post(client, f"{url}/close", {"version": started["version"]})
    assert illegal.status_code == 409 and illegal.json()["code"] == "illegal_transition"
    stale = post(client, f"{url}/resolve", {"version": created["version"], "resolution": "x"})
    assert stale.status_code == 409 and stale.json()["code"] == "stale_version"
    missing = post(client, f"{url}/resolve", {"version": started["version"]})
    assert missing.status_code == 422 and missing.json()["errors"][0]["field"] == "resolution"
    resolved = post(client, f"{url}/resolve", {"version": started["version"], "resolution": "加注冷媒"}).json()
    assert resolved["status"] == "resolved"
    timeline = client.get(f"{url}/timeline").json()
    assert [e["data"].get("after") for e in timeline if e["kind"] == "status"] == [
        "registered",
        "in_progress",
        "resolved",
    ]


def test_validation_and_scoping(org, make_user, api_client_for):
    _agent, customer, body, client = setup(org, make_user, api_client_for)
    bad = post(client, "/api/v1/service-requests", {**body, "type": "magic", "title": ""})
    assert bad.status_code == 422 and {"type", "title"} <= {e["field"] for e in bad.json()["errors"]}
    created = post(client, "/api/v1/service-requests", body).json()
    other = api_client_for(make_user("agent", org["b"]))
    assert other.get(f"/api/v1/service-requests/{created['id']}").status_code == 404
    assert other.get("/api/v1/service-requests").json()["count"] == 0
    assert post(other, "/api/v1/service-requests", body).status_code == 404


def test_portal_customer_a_cannot_see_customer_bs_request(org, make_user, api_client_for):
    agent, customer, body, client = setup(org, make_user, api_client_for)
    portal_a = make_user("customer", None, kind=UserKind.CUSTOMER)
    Customer.objects.filter(pk=customer.pk).update(portal_user=portal_a)
    customer_b = factories.customer(agent, org["a"], name="李女士", phone="13700000000", addresses=())
    mine = post(client, "/api/v1/service-requests", body).json()
    theirs = post(client, "/api/v1/service-requests", {**body, "customer_id": customer_b.pk}).json()
    portal = Client()
    portal.force_login(portal_a)
    assert portal.get(f"/api/v1/service-requests/{theirs['id']}").status_code == 404
    assert portal.get(f"/api/v1/service-requests/{mine['id']}").status_code == 200
    assert [r["id"] for r in portal.get("/api/v1/service-requests").json()["items"]] == [mine["id"]]


def test_search_and_queues_via_api(org, make_user, api_client_for):
    _agent, _customer, body, client = setup(org, make_user, api_client_for)
    post(client, "/api/v1/service-requests", body)
    post(client, "/api/v1/service-requests", {**body, "title": "净水器漏水", "description": "底部漏水"})
    assert client.get("/api/v1/service-requests?q=漏水").json()["count"] == 1
    assert client.get("/api/v1/service-requests?q=不制冷").json()["count"] == 1
    assert client.get("/api/v1/service-requests?queue=unassigned").json()["count"] == 2
    assert client.get("/api/v1/service-requests?queue=bogus").status_code == 422


def test_attachment_upload_and_download_is_scoped(org, make_user, api_client_for):
    agent, _customer, body, client = setup(org, make_user, api_client_for)
    created = post(client, "/api/v1/service-requests", body).json()
    photo = SimpleUploadedFile("故障.png", b"\x89PNG\r\n\x1a\n fake", content_type="image/png")
    response = client.post(f"/api/v1/service-requests/{created['id']}/attachments", {"file": photo, "body": "照片"})
    assert response.status_code == 201, response.content
    url = response.json()["attachments"][0]["url"]
    ui = Client()
    ui.force_login(agent)
    download = ui.get(url)
    assert download.status_code == 200 and download["Content-Type"] == "image/png"
    outsider = Client()
    outsider.force_login(make_user("agent", org["b"]))
    assert outsider.get(url).status_code == 404


def test_list_is_a_count_and_a_page_whatever_its_size(org, make_user, api_client_for):
    _agent, _customer, body, client = setup(org, make_user, api_client_for)
    for i in range(3):
        post(client, "/api/v1/service-requests", {**body, "title": f"故障{i}"})
    client.get("/api/v1/service-requests")

    def count(size):
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(f"/api/v1/service-requests?page_size={size}&queue=open").status_code == 200
        return [q["sql"] for q in ctx.captured_queries if "service_servicerequest" in q["sql"]]

    small, large = count(1), count(50)
    assert len(small) == len(large) == 3  # the count, the page's ids, its rows by id


def test_the_list_sorts_by_time_limit_and_refuses_unknown_orders(org, make_user, api_client_for):
    import datetime as dt

    from django.utils import timezone

    _agent, _customer, body, client = setup(org, make_user, api_client_for)
    later, sooner, none = (
        post(client, "/api/v1/service-requests", {**body, "title": t}).json()["id"] for t in "晚早无"
    )
    now = timezone.now()
    ServiceRequest.objects.filter(pk=later).update(sla_due_at=now + dt.timedelta(hours=5))
    ServiceRequest.objects.filter(pk=sooner).update(sla_due_at=now + dt.timedelta(hours=1))
    ServiceRequest.objects.filter(pk=none).update(sla_due_at=None)
    items = client.get("/api/v1/service-requests?sort=due").json()["items"]
    assert [i["id"] for i in items][:3] == [sooner, later, none]
    assert items[0]["sla_due_at"] is not None and items[2]["sla_due_at"] is None
    newest = client.get("/api/v1/service-requests").json()["items"]
    assert [i["id"] for i in newest][:3] == [none, sooner, later]
    bad = client.get("/api/v1/service-requests?sort=random")
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "sort"


@pytest.mark.parametrize(
    "extra",
    [
        {},
        {"register_now": False},
        {"type": "consultation", "resolve_now": True, "resolution": "已电话解答"},
        {"promised_at": "2030-12-03T10:00:00+08:00", "promise_note": "明早上门", "contact_name": "陈太"},
    ],
)
def test_a_new_requests_answer_is_byte_for_byte_the_validated_one(org, make_user, api_client_for, monkeypatch, extra):
    from aftersales.api import api
    from aftersales.service import api as service_api
    from aftersales.service.schemas import RequestDetailOut

    _agent, _customer, body, client = setup(org, make_user, api_client_for)
    values: list[dict] = []
    as_is = service_api.request_detail_as_is
    monkeypatch.setattr(service_api, "request_detail_as_is", lambda v: values.append(v) or as_is(v))
    answer = post(client, "/api/v1/service-requests", {**body, **extra})
    assert answer.status_code == 201 and len(values) == 1
    validated = RequestDetailOut.model_validate(values[0]).model_dump()
    rendered = api.renderer.render(None, validated, response_status=201)
    assert answer.content == (rendered.encode() if isinstance(rendered, str) else rendered)
    # And what the detail reads back from the database says the same (times as the database has them).
    again = client.get(f"/api/v1/service-requests/{answer.json()['id']}").json()
    assert {k: v for k, v in again.items() if not k.endswith("_at")} == {
        k: v for k, v in answer.json().items() if not k.endswith("_at")
    }
