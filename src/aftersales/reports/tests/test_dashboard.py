"""The manager dashboard: figures from real requests, scoping, the API's errors, the page, query count."""

from __future__ import annotations

import datetime as dt
from collections import Counter

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from tests import factories

from aftersales.accounts.models import User
from aftersales.customers.models import Customer
from aftersales.reports import selectors
from aftersales.service import selectors as service_selectors
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


def period_figures(figures) -> dict:
    cells = {(c["type"], c["status"]): c["count"] for c in figures["by_type_status"]}
    return {"cells": cells, "resolved": figures["timely"]["resolved"], "timely": figures["timely"]["timely"]}


def live_period_figures(actor, since) -> dict:
    """What the dashboard counted before its rollup: the actor's scoped requests, live."""
    scoped = service_selectors.scoped(actor)
    cells = Counter(scoped.filter(received_at__gte=since).values_list("type", "status"))
    done = scoped.filter(resolved_at__gte=since, resolved_in_time__isnull=False)
    return {"cells": dict(cells), "resolved": done.count(), "timely": done.filter(resolved_in_time=True).count()}


def test_every_kind_of_actor_sees_the_live_counts_of_their_scope(world, org, make_user):
    make_figures(world)
    agent_a, now = world["a"], timezone.now()
    # Beyond agent A's outlet: one they registered that head office gave to outlet B, one of B's that
    # they were assigned and resolved in time.
    registered = create(agent_a, world["ca"], type="installation")
    services.request_assign(
        actor=world["manager"], request=registered, expected_version=registered.version, team_id=org["b"].pk
    )
    theirs = create(world["b"], world["cb"], type="complaint")
    ServiceRequest.objects.filter(pk=theirs.pk).update(
        assignee=agent_a, status="resolved", resolved_at=now, resolved_in_time=True
    )
    portal = make_user("customer", None, kind="customer")
    Customer.objects.filter(pk=world["ca"].pk).update(portal_user=portal)
    actors = {
        "head office": world["manager"],
        "head office agent (every unit)": make_user("agent", org["hq"]),
        "outlet A agent": agent_a,
        "outlet A supervisor": make_user("supervisor", org["a"]),
        "team A1 technician": make_user("technician", org["a1"]),
        "east region supervisor": make_user("supervisor", org["east"]),
        "outlet B agent": world["b"],
        "portal customer": User.objects.get(pk=portal.pk),
        "inactive": make_user("agent", org["a"], is_active=False),
        "no role": make_user("", org["a"]),
    }
    for name, actor in actors.items():
        figures = selectors.dashboard(actor=actor, now=now)
        assert period_figures(figures) == live_period_figures(actor, figures["since"]), name
    # The extras are counted: agent A sees two more than outlet A's supervisor.
    supervisor = selectors.dashboard(actor=actors["outlet A supervisor"], now=now)
    mine = selectors.dashboard(actor=agent_a, now=now)
    assert mine["received"] == supervisor["received"] + 2
    assert mine["timely"]["timely"] == supervisor["timely"]["timely"] + 1
    assert selectors.dashboard(actor=actors["portal customer"], now=now)["received"] == 5
    assert selectors.dashboard(actor=actors["no role"], now=now)["received"] == 0


def test_the_period_comes_from_the_rollup_and_only_the_backlog_is_counted_live(world, make_user, org):
    make_figures(world)
    every_unit = make_user("agent", org["hq"])  # the whole tree, without the head-office permission
    cases = ((world["manager"], 1), (every_unit, 1), (world["a"], 2))  # + what agent A sees beyond outlet A
    for actor, _live in cases:  # permissions and units, loaded once per person
        selectors.dashboard(actor=actor)
    for actor, live in cases:
        with CaptureQueriesContext(connection) as queries:
            figures = selectors.dashboard(actor=actor)
        sql = [q["sql"] for q in queries]
        assert len([s for s in sql if "service_servicerequest" in s]) == live, (actor, sql)
        assert len([s for s in sql if "reports_" in s]) == 2, (actor, sql)
        assert figures == selectors.dashboard(actor=actor, now=figures["until"])
