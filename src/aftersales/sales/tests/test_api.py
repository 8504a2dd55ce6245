"""/api/v1/orders and /api/v1/contracts end to end."""

from __future__ import annotations

import json

from tests import factories


def post(client, url, data):
    return client.post(url, data=json.dumps(data), content_type="application/json")


def test_order_flow_and_contract_state_machine(org, make_user, api_client_for):
    manager = make_user("manager", org["hq"])
    sales = make_user("sales", org["a"])
    model = factories.product_model(manager)
    customer = factories.customer(sales, org["a"])
    client = api_client_for(sales)
    order = post(
        client,
        "/api/v1/orders",
        {
            "customer_id": customer.pk,
            "org_unit_id": org["a"].pk,
            "order_date": "2025-03-15",
            "sales_staff_id": sales.pk,
            "lines": [{"product_model_id": model.pk, "quantity": 1, "unit_price": "2999.00"}],
        },
    )
    assert order.status_code == 201, order.content
    body = order.json()
    assert body["total"] == "2999.00" and body["delivery_status"] == "pending"
    delivered = post(
        client,
        f"/api/v1/orders/{body['id']}/deliver",
        {"delivered_on": "2025-03-16", "deliveries": [{"line_id": body["lines"][0]["id"], "serial": "SO-UNIT-1"}]},
    )
    assert delivered.status_code == 200 and delivered.json()["delivery_status"] == "delivered"
    unit_id = delivered.json()["lines"][0]["delivered"][0]["unit_id"]
    paid = post(client, f"/api/v1/orders/{body['id']}/payment", {"version": 1, "payment_status": "paid"})
    assert paid.status_code == 200 and paid.json()["payment_status"] == "paid"

    contract = post(
        client,
        "/api/v1/contracts",
        {
            "customer_id": customer.pk,
            "org_unit_id": org["a"].pk,
            "starts_on": "2025-03-15",
            "ends_on": "2028-03-14",
            "unit_ids": [unit_id],
            "extended_warranty_months": 24,
            "price": "399.00",
        },
    )
    assert contract.status_code == 201, contract.content
    cid = contract.json()["id"]
    assert post(client, f"/api/v1/contracts/{cid}/activate", {"version": 1}).json()["status"] == "active"
    warranty = client.get("/api/v1/units/SO-UNIT-1/warranty?on=2027-01-01").json()
    assert warranty["covered"] is True and warranty["extended_until"] == "2028-03-14"
    illegal = post(client, f"/api/v1/contracts/{cid}/activate", {"version": 2})
    assert illegal.status_code == 409 and illegal.json()["code"] == "illegal_transition"
    no_reason = post(client, f"/api/v1/contracts/{cid}/terminate", {"version": 2})
    assert no_reason.status_code == 422
    assert post(client, f"/api/v1/contracts/{cid}/terminate", {"version": 2, "reason": "客户要求"}).status_code == 200

    other = api_client_for(make_user("sales", org["b"]))
    assert other.get(f"/api/v1/orders/{body['id']}").status_code == 404
    assert other.get(f"/api/v1/contracts/{cid}").status_code == 404
    assert other.get("/api/v1/orders").json()["count"] == 0


def test_order_validation_errors(org, make_user, api_client_for):
    sales = make_user("sales", org["a"])
    customer = factories.customer(sales, org["a"])
    client = api_client_for(sales)
    empty = post(
        client,
        "/api/v1/orders",
        {"customer_id": customer.pk, "org_unit_id": org["a"].pk, "order_date": "2025-03-15", "lines": []},
    )
    assert empty.status_code == 422
    zero = post(
        client,
        "/api/v1/orders",
        {
            "customer_id": customer.pk,
            "org_unit_id": org["a"].pk,
            "order_date": "2025-03-15",
            "lines": [{"product_model_id": 1, "quantity": 0, "unit_price": "1"}],
        },
    )
    assert zero.status_code == 422 and "lines.0.quantity" in {e["field"] for e in zero.json()["errors"]}
    technician = api_client_for(make_user("technician", org["a"]))
    assert technician.get("/api/v1/orders").status_code == 200  # scoped read
