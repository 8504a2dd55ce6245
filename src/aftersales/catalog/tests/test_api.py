"""/api/v1/units, /units/{serial}/warranty, /products, /fee-schedule end to end."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

from django.db import connection
from django.test.utils import CaptureQueriesContext
from tests import factories

from aftersales.catalog import services


def setup_unit(org, make_user, sale_date=dt.date(2025, 3, 15)):
    manager = make_user("manager", org["hq"])
    agent = make_user("agent", org["a"])
    model = factories.product_model(manager)
    owner = factories.customer(agent, org["a"])
    unit = factories.sold_unit(agent, model, owner, org["a"], serial="JS2025-0001", sale_date=sale_date)
    return agent, unit


def test_warranty_endpoint_on_the_boundary_and_with_facts(org, make_user, api_client_for):
    agent, unit = setup_unit(org, make_user)
    client = api_client_for(agent)
    last = client.get("/api/v1/units/js2025-0001/warranty?on=2026-03-14").json()
    assert last["covered"] is True and last["ends_on"] == "2026-03-14"
    assert last["reasons"][0]["code"] == "in_period" and last["reasons"][0]["message"] == "在保修期内。"
    after = client.get("/api/v1/units/JS2025-0001/warranty?on=2026-03-15").json()
    assert after["covered"] is False and [r["code"] for r in after["reasons"]] == ["expired"]
    refused = client.get(
        "/api/v1/units/JS2025-0001/warranty?on=2025-09-01&damage_cause=man_made&unauthorised_repair=true"
    ).json()
    assert refused["covered"] is False
    assert {r["code"] for r in refused["reasons"]} == {"man_made", "unauthorised_repair"}
    proven = client.get(
        "/api/v1/units/JS2025-0001/warranty?on=2025-09-01&voucher_present=false&invoice_present=false&date_proven=true"
    )
    assert proven.json()["covered"] is True


def test_warranty_endpoint_errors(org, make_user, api_client_for):
    agent, unit = setup_unit(org, make_user)
    client = api_client_for(agent)
    assert client.get("/api/v1/units/NOPE/warranty").status_code == 404
    bad = client.get("/api/v1/units/JS2025-0001/warranty?on=2026-13-01")
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "on"
    assert client.get("/api/v1/units/JS2025-0001/warranty?damage_cause=aliens").status_code == 422
    other = api_client_for(make_user("agent", org["b"]))
    assert other.get("/api/v1/units/JS2025-0001/warranty").status_code == 404
    assert other.get(f"/api/v1/units/{unit.pk}").status_code == 404


def test_register_unit_and_duplicate_serial(org, make_user, api_client_for):
    agent, unit = setup_unit(org, make_user)
    client = api_client_for(agent)
    body = {"serial": "js2025-0001", "product_model_id": unit.product_model_id, "org_unit_id": org["a"].pk}
    dup = client.post("/api/v1/units", data=json.dumps(body), content_type="application/json")
    assert dup.status_code == 422 and dup.json()["errors"][0]["field"] == "serial"
    body["serial"] = "JS2025-0002"
    created = client.post("/api/v1/units", data=json.dumps(body), content_type="application/json")
    assert created.status_code == 201 and created.json()["serial"] == "JS2025-0002"
    assert client.get("/api/v1/units?q=JS2025").json()["count"] == 2


def test_transfer_through_the_api(org, make_user, api_client_for):
    agent, unit = setup_unit(org, make_user)
    buyer = factories.customer(agent, org["a"], name="买家", phone="13900000000", addresses=())
    client = api_client_for(agent)
    response = client.post(
        f"/api/v1/units/{unit.pk}/transfer",
        data=json.dumps({"customer_id": buyer.pk, "on": "2025-06-01", "reason": "二手转让"}),
        content_type="application/json",
    )
    assert response.status_code == 200 and response.json()["customer_name"] == "买家"


def test_products_and_policies(org, make_user, api_client_for):
    manager = make_user("manager", org["hq"])
    model = factories.product_model(manager)
    client = api_client_for(manager)
    listed = client.get("/api/v1/products?q=JS").json()
    assert listed["items"][0]["warranty_policy"]["months"] == 12
    body = {
        "code": "JS-200",
        "name": "厨下净水器",
        "product_line_id": model.product_line_id,
        "warranty_policy_id": model.warranty_policy_id,
        "dealer_price": "1500.00",
    }
    assert client.post("/api/v1/products", data=json.dumps(body), content_type="application/json").status_code == 201
    agent_client = api_client_for(make_user("agent", org["a"]))
    assert (
        agent_client.post(
            "/api/v1/products", data=json.dumps({**body, "code": "X"}), content_type="application/json"
        ).status_code
        == 403
    )
    assert agent_client.get("/api/v1/products").json()["count"] == 2


def test_fee_schedule_quote(org, make_user, api_client_for):
    manager = make_user("manager", org["hq"])
    services.fee_schedule_create(
        actor=manager,
        name="全国2025",
        effective_from=dt.date(2025, 1, 1),
        labour_items=[services.LabourItemData("L01", "更换滤芯", 30, Decimal("50"))],
        bands=[
            services.BandData(Decimal("0"), Decimal("10"), Decimal("0")),
            services.BandData(Decimal("10"), None, Decimal("80")),
        ],
    )
    client = api_client_for(make_user("agent", org["a"]))
    quote = client.get("/api/v1/fee-schedule/quote?on=2025-06-01&labour=L01&distance_km=15&region_code=440305").json()
    assert quote["total"] == "130.00" and quote["call_out_fee"] == "80.00"
    missing = client.get("/api/v1/fee-schedule/quote?on=2024-06-01&labour=L01")
    assert missing.status_code == 422 and missing.json()["errors"][0]["field"] == "on"
    # A negative distance (even -3e-171, found by schemathesis) is a field error, not a 500.
    for distance in ("-1", "-3.0774393350831565e-171", "100001", "NaN"):
        refused = client.get(f"/api/v1/fee-schedule/quote?on=2025-06-01&labour=L01&distance_km={distance}")
        assert refused.status_code == 422, (distance, refused.content)
        assert refused.json()["errors"][0]["field"] == "distance_km"
    schedules = client.get("/api/v1/fee-schedule").json()
    detail = client.get(f"/api/v1/fee-schedule/{schedules['items'][0]['id']}").json()
    assert detail["labour_items"][0]["price"] == "50.00" and len(detail["call_out_bands"]) == 2


def test_unit_list_query_count_is_constant(org, make_user, api_client_for):
    agent, unit = setup_unit(org, make_user)
    client = api_client_for(agent)
    client.get("/api/v1/units")

    def count():
        with CaptureQueriesContext(connection) as ctx:
            client.get("/api/v1/units?page_size=50")
        return len(ctx.captured_queries)

    few = count()
    for i in range(10):
        factories.sold_unit(agent, unit.product_model, unit.customer, org["a"], serial=f"MORE{i}")
    assert count() == few
