"""Sales pages: orders (filters, create, deliver serials, payment with optimistic locking), contracts
(create, status buttons, terminate needs a reason), the customer and unit panels, scoping, query counts."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from tests import factories

from aftersales.catalog.models import SoldUnit
from aftersales.sales import services
from aftersales.sales.models import SalesOrder, ServiceContract
from aftersales.sales.services import ContractData, LineData


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def html_of(response) -> str:
    return response.content.decode()


@pytest.fixture
def base(org, make_user):
    manager = make_user("manager", org["hq"])
    sales = make_user("sales", org["a"])
    return {
        "manager": manager,
        "sales": sales,
        "model": factories.product_model(manager),
        "customer": factories.customer(sales, org["a"]),
    }


def make_order(base, org, qty=2, **kw):
    return services.order_create(
        actor=base["sales"],
        customer_id=base["customer"].pk,
        org_unit_id=org["a"].pk,
        order_date=kw.pop("order_date", dt.date(2025, 3, 15)),
        sales_staff_id=base["sales"].pk,
        lines=[LineData(base["model"].pk, qty, Decimal("1999.00"))],
    )


def make_contract(base, org, unit_ids=()):
    return services.contract_create(
        actor=base["sales"],
        data=ContractData(
            customer_id=base["customer"].pk,
            org_unit_id=org["a"].pk,
            starts_on=dt.date(2025, 3, 15),
            ends_on=dt.date(2028, 3, 14),
            unit_ids=tuple(unit_ids),
            extended_warranty_months=12,
            price=Decimal("599"),
        ),
    )


# --- access and scoping -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "url", "status"),
    [
        ("sales", "/sales/orders/", 200),
        ("sales", "/sales/orders/new/", 200),
        ("sales", "/sales/orders/{order}/", 200),
        ("agent", "/sales/orders/", 200),
        ("agent", "/sales/orders/new/", 403),
        ("technician", "/sales/orders/", 403),
        ("technician", "/sales/contracts/", 200),
        ("technician", "/sales/contracts/{contract}/", 200),
        ("technician", "/sales/contracts/new/", 403),
        ("sales", "/sales/contracts/new/", 200),
    ],
)
def test_pages_by_role(org, make_user, base, role, url, status):
    order, contract = make_order(base, org), make_contract(base, org)
    user = make_user(role, org["a"])
    assert client_for(user).get(url.format(order=order.pk, contract=contract.pk)).status_code == status


def test_outlet_b_gets_404(org, make_user, base):
    order, contract = make_order(base, org), make_contract(base, org)
    client = client_for(make_user("sales", org["b"]))
    assert client.get(f"/sales/orders/{order.pk}/").status_code == 404
    assert client.get(f"/sales/contracts/{contract.pk}/").status_code == 404
    assert (
        client.post(f"/sales/orders/{order.pk}/payment/", {"payment_status": "paid", "version": 1}).status_code == 404
    )
    assert order.number not in html_of(client.get("/sales/orders/"))


# --- orders -------------------------------------------------------------------------------------


def test_order_list_filters(org, base):
    paid = make_order(base, org, order_date=dt.date(2025, 1, 10))
    services.order_set_payment(actor=base["sales"], order=paid, expected_version=1, payment_status="paid")
    open_order = make_order(base, org)
    client = client_for(base["sales"])
    rows = html_of(client.get("/sales/orders/?payment=paid")).split("<tbody>")[1]
    assert paid.number in rows and open_order.number not in rows
    rows = html_of(client.get("/sales/orders/?since=2025-03-01&until=2025-03-31")).split("<tbody>")[1]
    assert open_order.number in rows and paid.number not in rows
    rows = html_of(client.get("/sales/orders/?delivery=delivered")).split("<tbody>")[1]
    assert open_order.number not in rows
    rows = html_of(client.get("/sales/orders/", {"q": "张三"})).split("<tbody>")[1]
    assert open_order.number in rows and paid.number in rows
    assert client.get("/sales/orders/?since=not-a-date").status_code == 200


def test_order_list_query_count_does_not_grow(org, base):
    client = client_for(base["sales"])
    make_order(base, org)

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get("/sales/orders/").status_code == 200
        return len(ctx.captured_queries)

    few = count()
    for _ in range(8):
        make_order(base, org)
    assert count() == few


def order_post(base, org, **overrides) -> dict[str, str]:
    data = {
        "customer": str(base["customer"].pk),
        "org_unit": str(org["a"].pk),
        "sales_staff": str(base["sales"].pk),
        "order_date": "2025-05-01",
        "note": "",
        "lines-TOTAL_FORMS": "2",
        "lines-INITIAL_FORMS": "0",
        "lines-0-product_model": str(base["model"].pk),
        "lines-0-quantity": "3",
        "lines-0-unit_price": "100.50",
        "lines-1-product_model": "",
        "lines-1-quantity": "1",
        "lines-1-unit_price": "",
    }
    data.update(overrides)
    return data


def test_order_create_round_trip(org, base):
    client = client_for(base["sales"])
    html = html_of(client.get(f"/sales/orders/new/?customer={base['customer'].pk}"))
    assert f'<option value="{base["customer"].pk}" selected>' in html
    response = client.post("/sales/orders/new/", order_post(base, org))
    order = SalesOrder.objects.get()
    assert response.status_code == 302 and response.url == f"/sales/orders/{order.pk}/"
    assert order.total == Decimal("301.50") and order.lines.get().quantity == 3


def test_order_create_errors_land_on_their_rows(org, base):
    client = client_for(base["sales"])
    response = client.post("/sales/orders/new/", order_post(base, org, order_date="2999-01-01"))
    assert response.status_code == 200 and "invalid-feedback" in html_of(response).split('name="order_date"')[1][:400]
    response = client.post("/sales/orders/new/", order_post(base, org, **{"lines-0-product_model": ""}))
    assert 'data-testid="form-error"' in html_of(response)  # no line at all
    assert not SalesOrder.objects.exists()


def test_deliver_serials_and_change_payment(org, base):
    order = make_order(base, org)
    client = client_for(base["sales"])
    line = order.lines.get()
    html = html_of(client.get(f"/sales/orders/{order.pk}/"))
    assert 'data-testid="deliver-form"' in html and f'name="serials_{line.pk}"' in html
    response = client.post(
        f"/sales/orders/{order.pk}/deliver/", {f"serials_{line.pk}": "sn-d-1\nsn-d-1", "delivered_on": "2025-03-16"}
    )
    errors = html_of(response).split('data-testid="form-error"')[1].split("</div></div>")[0]
    assert response.status_code == 200 and "sn-d-1:" in errors  # which serial is wrong, in the message
    assert not SoldUnit.objects.filter(serial="SN-D-1").exists()
    response = client.post(
        f"/sales/orders/{order.pk}/deliver/",
        {f"serials_{line.pk}": "sn-d-1\nsn-d-2", "delivered_on": "2025-03-16", "installation_date": "2025-03-18"},
    )
    assert response.status_code == 302
    order.refresh_from_db()
    assert order.delivery_status == "delivered"
    unit = SoldUnit.objects.get(serial="SN-D-2")
    assert unit.customer == base["customer"] and unit.installation_date == dt.date(2025, 3, 18)
    html = html_of(client.get(f"/sales/orders/{order.pk}/"))
    assert html.count('data-testid="delivered-serial"') == 2 and 'data-testid="deliver-form"' not in html
    assert (
        client.post(f"/sales/orders/{order.pk}/payment/", {"payment_status": "paid", "version": "1"}).status_code == 302
    )
    order.refresh_from_db()
    assert order.payment_status == "paid"
    response = client.post(f"/sales/orders/{order.pk}/payment/", {"payment_status": "refunded", "version": "1"})
    assert response.status_code == 200 and 'data-testid="form-error"' in html_of(response)
    order.refresh_from_db()
    assert order.payment_status == "paid"


# --- contracts ----------------------------------------------------------------------------------


def test_contract_create_with_the_customers_units(org, base):
    unit = factories.sold_unit(base["sales"], base["model"], base["customer"], org["a"], serial="SN-C-1")
    client = client_for(base["sales"])
    html = html_of(client.get(f"/sales/contracts/units/?customer={base['customer'].pk}"))
    assert f'value="{unit.pk}"' in html and "SN-C-1" in html
    data = {
        "customer": str(base["customer"].pk),
        "org_unit": str(org["a"].pk),
        "starts_on": "2025-04-01",
        "ends_on": "2025-03-01",
        "units": [str(unit.pk)],
        "service_level": "premium",
        "included_visits": "4",
        "extended_warranty_months": "12",
        "price": "888",
        "includes_labour": "on",
    }
    response = client.post("/sales/contracts/new/", data)  # ends before it starts
    assert response.status_code == 200 and "invalid-feedback" in html_of(response).split('name="ends_on"')[1][:400]
    response = client.post("/sales/contracts/new/", {**data, "ends_on": "2026-03-31"})
    contract = ServiceContract.objects.get()
    assert response.status_code == 302 and list(contract.units.all()) == [unit]
    assert contract.service_level == "premium" and contract.price == Decimal("888.00")


def test_contract_status_buttons_and_termination_reason(org, base):
    contract = make_contract(base, org)
    client = client_for(base["sales"])
    html = html_of(client.get(f"/sales/contracts/{contract.pk}/"))
    assert 'data-testid="move-active"' in html and 'data-testid="move-terminated"' in html
    assert 'data-testid="move-expired"' not in html
    url = f"/sales/contracts/{contract.pk}/transition/"
    assert client.post(url, {"target": "active", "version": "1"}).status_code == 302
    response = client.post(url, {"target": "terminated", "version": "2"})
    assert response.status_code == 200 and 'data-testid="form-error"' in html_of(response)
    response = client.post(url, {"target": "draft", "version": "2"})  # not allowed from active: a message, no 500
    assert response.status_code == 200 and 'data-testid="form-error"' in html_of(response)
    assert client.post(url, {"target": "terminated", "version": "2", "reason": "客户退订"}).status_code == 302
    contract.refresh_from_db()
    assert contract.status == "terminated"
    assert 'data-testid="move-' not in html_of(client.get(f"/sales/contracts/{contract.pk}/"))


def test_contract_list_query_count_does_not_grow(org, base):
    client = client_for(base["sales"])
    make_contract(base, org)

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get("/sales/contracts/").status_code == 200
        return len(ctx.captured_queries)

    few = count()
    for _ in range(6):
        make_contract(base, org)
    assert count() == few


# --- panels -------------------------------------------------------------------------------------


def test_customer_panel_lists_orders_and_contracts(org, make_user, base):
    order, contract = make_order(base, org), make_contract(base, org)
    html = html_of(client_for(base["sales"]).get(f"/sales/customers/{base['customer'].pk}/panel/"))
    assert order.number in html and contract.number in html
    html = html_of(client_for(make_user("technician", org["a"])).get(f"/sales/customers/{base['customer'].pk}/panel/"))
    assert order.number not in html and contract.number in html  # a technician may not see orders


def test_unit_panel_lists_contracts_and_the_order(org, base):
    order = make_order(base, org, qty=1)
    line = order.lines.get()
    services.order_deliver(
        actor=base["sales"],
        order=order,
        deliveries=[services.DeliveryData(line.pk, "SN-P-1")],
        delivered_on=timezone.localdate(),
    )
    unit = SoldUnit.objects.get(serial="SN-P-1")
    contract = make_contract(base, org, unit_ids=[unit.pk])
    html = html_of(client_for(base["sales"]).get(f"/sales/units/{unit.pk}/contracts/"))
    assert contract.number in html and order.number in html
