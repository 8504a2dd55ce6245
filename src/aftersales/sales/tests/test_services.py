"""Orders (create, deliver serials into units, payment) and contracts (state machine, warranty extension)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from tests import factories

from aftersales.catalog import selectors as catalog_selectors
from aftersales.catalog.models import SoldUnit
from aftersales.core.errors import Conflict, NotFound, StaleVersion, ValidationFailed
from aftersales.sales import selectors, services
from aftersales.sales.services import ContractData, DeliveryData, LineData


@pytest.fixture
def base(org, make_user):
    manager = make_user("manager", org["hq"])
    sales = make_user("sales", org["a"])
    return {
        "sales": sales,
        "model": factories.product_model(manager),
        "customer": factories.customer(sales, org["a"]),
    }


def make_order(base, org, qty=2):
    return services.order_create(
        actor=base["sales"],
        customer_id=base["customer"].pk,
        org_unit_id=org["a"].pk,
        order_date=dt.date(2025, 3, 15),
        sales_staff_id=base["sales"].pk,
        lines=[LineData(base["model"].pk, qty, Decimal("1999.00"))],
    )


def test_order_total_number_and_lines(org, base):
    order = make_order(base, org)
    assert order.number == "SO20250315-00001"
    assert order.total == Decimal("3998.00") and order.delivery_status == "pending"
    assert make_order(base, org).number == "SO20250315-00002"


def test_order_validation(org, base):
    with pytest.raises(ValidationFailed) as exc:
        services.order_create(
            actor=base["sales"],
            customer_id=base["customer"].pk,
            org_unit_id=org["a"].pk,
            order_date=dt.date(2999, 1, 1),
            lines=[LineData(999999, 0, Decimal("-1"))],
        )
    assert {e.field for e in exc.value.errors} >= {
        "order_date",
        "lines.0.product_model_id",
        "lines.0.quantity",
        "lines.0.unit_price",
    }


def test_delivery_registers_units_for_the_customer(org, base):
    order = make_order(base, org)
    line = order.lines.get()
    services.order_deliver(
        actor=base["sales"], order=order, deliveries=[DeliveryData(line.pk, "a-001")], delivered_on=dt.date(2025, 3, 16)
    )
    assert order.delivery_status == "partial"
    unit = SoldUnit.objects.get(serial="A-001")
    assert unit.customer == base["customer"] and unit.sale_date == dt.date(2025, 3, 15) and unit.delivery.line == line
    with pytest.raises(ValidationFailed):  # the same serial again, and more than ordered
        services.order_deliver(
            actor=base["sales"],
            order=order,
            deliveries=[DeliveryData(line.pk, "A-001"), DeliveryData(line.pk, "A-002"), DeliveryData(line.pk, "A-003")],
            delivered_on=dt.date(2025, 3, 16),
        )
    services.order_deliver(
        actor=base["sales"], order=order, deliveries=[DeliveryData(line.pk, "A-002")], delivered_on=dt.date(2025, 3, 16)
    )
    assert order.delivery_status == "delivered"


def test_payment_status_is_versioned(org, base):
    order = make_order(base, org)
    services.order_set_payment(actor=base["sales"], order=order, expected_version=1, payment_status="paid")
    with pytest.raises(StaleVersion):
        services.order_set_payment(actor=base["sales"], order=order, expected_version=1, payment_status="refunded")


def test_orders_of_another_outlet_are_invisible(org, make_user, base):
    order = make_order(base, org)
    with pytest.raises(NotFound):
        selectors.order_get(actor=make_user("sales", org["b"]), order_id=order.pk)


def contract(base, org, unit, **kw):
    data = ContractData(
        customer_id=base["customer"].pk,
        org_unit_id=org["a"].pk,
        starts_on=dt.date(2025, 3, 15),
        ends_on=dt.date(2028, 3, 14),
        unit_ids=(unit.pk,),
        extended_warranty_months=24,
        price=Decimal("599"),
        **kw,
    )
    return services.contract_create(actor=base["sales"], data=data)


def test_contract_state_machine_and_extended_warranty(org, base):
    unit = factories.sold_unit(base["sales"], base["model"], base["customer"], org["a"], sale_date=dt.date(2025, 3, 15))
    c = contract(base, org, unit)
    assert c.number == "SC2025-00001" and c.status == "draft"
    unit = catalog_selectors.unit_get(actor=base["sales"], unit_id=unit.pk)
    assert not catalog_selectors.unit_warranty(unit=unit, on=dt.date(2026, 6, 1)).covered  # draft: no extension
    services.contract_transition(actor=base["sales"], contract=c, expected_version=1, target="active")
    answer = catalog_selectors.unit_warranty(unit=unit, on=dt.date(2026, 6, 1))
    assert answer.covered and answer.extended_until == dt.date(2028, 3, 14)
    with pytest.raises(Conflict) as exc:
        services.contract_transition(actor=base["sales"], contract=c, expected_version=2, target="draft")
    assert exc.value.code == "illegal_transition"
    with pytest.raises(ValidationFailed):
        services.contract_transition(actor=base["sales"], contract=c, expected_version=2, target="terminated")
    services.contract_transition(
        actor=base["sales"], contract=c, expected_version=2, target="terminated", reason="客户退订"
    )
    assert not catalog_selectors.unit_warranty(unit=unit, on=dt.date(2026, 6, 1)).covered


def test_contract_units_must_belong_to_the_customer(org, make_user, base):
    other = factories.customer(base["sales"], org["a"], name="别人", phone="13900000000", addresses=())
    unit = factories.sold_unit(base["sales"], base["model"], other, org["a"])
    with pytest.raises(ValidationFailed) as exc:
        contract(base, org, unit)
    assert exc.value.errors[0].field == "unit_ids"
