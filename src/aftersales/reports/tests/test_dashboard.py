"""The manager dashboard: figures from real requests, scoping, the API's errors, the page, query count."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from tests import factories

from aftersales.reports import selectors
from aftersales.service import services
from aftersales.service.models import ServiceRequest
from aftersales.service.services import RequestData


@pytest.fixture
def world(org, make_user):
    manager = make_user("manager", org["hq"])
    agent_a = make_user("agent", org["a"])
    agent_b = make_user("agent", org["b"])
    customer_a = factories.customer(agent_a, org["a"], name="陈先生", phone="13812345678")
    customer_b = factories.customer(agent_b, org["b"], name="林女士", phone="13912345678")
    return {"org": org, "manager": manager, "a": agent_a, "b": agent_b, "ca": customer_a, "cb": customer_b}


def create(actor, customer, **kw) -> ServiceRequest:
    data = {
        "type": "repair",
        "customer_id": customer.pk,
        "title": "空调不制冷",
        "channel": "phone",
        "auto_assign": False,
        **kw,
    }
    request, _ = services.request_create(actor=actor, data=RequestData(**data))
    return request


def make_figures(world):
    now = timezone.now()
    fresh = create(world["a"], world["ca"])  # open, < 1 day
    older = create(world["a"], world["ca"], type="complaint", received_at=now - dt.timedelta(days=5))
    ServiceRequest.objects.filter(pk=older.pk).update(sla_due_at=now - dt.timedelta(hours=1), is_escalated=True)
    done = create(world["a"], world["ca"], type="consultation", resolve_now=True, resolution="已解答")
    ServiceRequest.objects.filter(pk=done.pk).update(resolved_in_time=True)
    late = create(world["a"], world["ca"], received_at=now - dt.timedelta(days=40))
    ServiceRequest.objects.filter(pk=late.pk).update(status="resolved", resolved_at=now, resolved_in_time=False)
    ancient = create(world["a"], world["ca"], received_at=now - dt.timedelta(days=3))
    ServiceRequest.objects.filter(pk=ancient.pk).update(received_at=now - dt.timedelta(days=800), status="closed")
    create(world["b"], world["cb"])  # another outlet's
    return {"fresh": fresh, "older": older, "done": done, "late": late}


def test_the_figures_count_what_the_actor_may_see(world):
    make_figures(world)
    outlet = selectors.dashboard(actor=world["a"])
    assert outlet["received"] == 4  # the 800-day-old one is outside 12 months; outlet B's is not visible
    assert {r["type"]: r["count"] for r in outlet["by_type"]} == {"repair": 2, "consultation": 1, "complaint": 1}
    assert {r["status"]: r["count"] for r in outlet["by_status"]} == {"registered": 2, "resolved": 2}
    assert outlet["timely"] == {"resolved": 2, "timely": 1, "rate": 0.5}
    bands = {b["band"]: b["count"] for b in outlet["backlog"]["bands"]}
    assert bands == {"lt1d": 1, "1to3d": 0, "3to7d": 1, "7to30d": 0, "ge30d": 0}
    assert outlet["backlog"]["open"] == 2
    assert (outlet["backlog"]["overdue"], outlet["backlog"]["escalated"]) == (1, 1)
    head_office = selectors.dashboard(actor=world["manager"])
    assert head_office["received"] == 5 and head_office["backlog"]["open"] == 3
    assert selectors.dashboard(actor=world["b"])["received"] == 1
    assert selectors.dashboard(actor=world["a"], months=1)["received"] <= 4


def test_an_empty_dashboard(world):
    figures = selectors.dashboard(actor=world["a"])
    assert figures["received"] == 0 and figures["timely"]["rate"] is None and figures["by_type"] == []


def test_the_api(world, api_client_for, make_user, org):
    make_figures(world)
    client = api_client_for(world["manager"])
    body = client.get("/api/v1/reports/dashboard?months=12").json()
    assert body["received"] == 5 and body["timely"]["rate"] == 0.5
    assert [b["band"] for b in body["backlog"]["bands"]][0] == "lt1d"
    assert {"type": "complaint", "status": "registered", "count": 1} in body["by_type_status"]
    bad = client.get("/api/v1/reports/dashboard?months=0")
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "months"
    assert Client().get("/api/v1/reports/dashboard").status_code == 401
    customer_user = make_user("customer", None, kind="customer")
    assert api_client_for(customer_user).get("/api/v1/reports/dashboard").status_code == 403


def test_the_page_and_its_constant_query_count(world, ui_client_for):
    client = ui_client_for(world["manager"])
    client.get("/reports/")
    with CaptureQueriesContext(connection) as few:
        assert client.get("/reports/").status_code == 200
    make_figures(world)
    with CaptureQueriesContext(connection) as more:
        response = client.get("/reports/?months=24")
    html = response.content.decode()
    assert 'data-testid="received">5<' in html and 'data-testid="timely-rate">50.0%' in html
    assert "投诉" in html and "近 24 个月" in html
    assert len(more) == len(few), [q["sql"] for q in more]
    assert client.get("/reports/?months=abc").status_code == 200


def test_technicians_see_their_outlet_and_customers_are_refused(world, ui_client_for, make_user, org):
    tech = make_user("technician", org["b"])
    assert ui_client_for(tech).get("/reports/").status_code == 200
    customer_user = make_user("customer", None, kind="customer")
    assert ui_client_for(customer_user).get("/reports/").status_code in (403, 302)


def test_large_counts_are_grouped_by_thousands_in_chinese():
    from django.contrib.humanize.templatetags.humanize import intcomma
    from django.utils import translation

    with translation.override("zh-hans"):
        assert intcomma(591477) == "591,477"
