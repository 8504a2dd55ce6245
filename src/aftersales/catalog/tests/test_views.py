"""Product-archive pages: unit lookup and detail with the warranty panel (and the case check), register,
edit, transfer; product models, warranty policies, fee schedules and the quote widget; scoping and
query counts."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from tests import factories

from aftersales.catalog import services
from aftersales.catalog.models import ProductModel, SoldUnit, WarrantyPolicy
from aftersales.catalog.rules import add_months
from aftersales.catalog.services import BandData, LabourItemData


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def html_of(response) -> str:
    return response.content.decode()


@pytest.fixture
def base(org, make_user):
    manager = make_user("manager", org["hq"])
    agent = make_user("agent", org["a"])
    model = factories.product_model(manager)
    owner = factories.customer(agent, org["a"])
    today = timezone.localdate()
    unit = factories.sold_unit(
        agent, model, owner, org["a"], serial="SN-A-0001", sale_date=today - dt.timedelta(days=40)
    )
    return {"manager": manager, "agent": agent, "model": model, "owner": owner, "unit": unit, "today": today}


def unit_post(base, org, **overrides) -> dict[str, str]:
    data = {
        "serial": "sn-new-7",
        "product_model": str(base["model"].pk),
        "org_unit": str(org["a"].pk),
        "customer": str(base["owner"].pk),
        "sale_date": "2025-06-01",
        "installation_date": "2025-06-03",
        "invoice_no": "INV-9",
        "voucher_no": "V-9",
        "extended_warranty_until": "",
        "note": "",
        "version": "",
    }
    data.update(overrides)
    return data


# --- access and scoping -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "url", "status"),
    [
        ("agent", "/catalog/units/", 200),
        ("technician", "/catalog/units/{unit}/", 200),
        ("technician", "/catalog/units/new/", 403),
        ("agent", "/catalog/units/new/", 200),
        ("agent", "/catalog/units/{unit}/edit/", 200),
        ("agent", "/catalog/units/{unit}/transfer/", 200),
        ("parts_clerk", "/catalog/units/{unit}/transfer/", 403),
        ("agent", "/catalog/models/", 200),
        ("agent", "/catalog/models/{model}/", 200),
        ("agent", "/catalog/models/new/", 403),
        ("manager", "/catalog/models/new/", 200),
        ("manager", "/catalog/models/{model}/edit/", 200),
        ("agent", "/catalog/policies/", 200),
        ("agent", "/catalog/policies/new/", 403),
        ("manager", "/catalog/policies/new/", 200),
        ("agent", "/catalog/fees/", 200),
        ("customer", "/catalog/units/", 403),
    ],
)
def test_pages_by_role(org, make_user, base, role, url, status):
    user = make_user(role, org["hq"] if role == "manager" else org["a"])
    assert client_for(user).get(url.format(unit=base["unit"].pk, model=base["model"].pk)).status_code == status


def test_outlet_b_gets_404_for_outlet_a_unit(org, make_user, base):
    client = client_for(make_user("agent", org["b"]))
    unit = base["unit"]
    for url in (
        f"/catalog/units/{unit.pk}/",
        f"/catalog/units/{unit.pk}/warranty/",
        f"/catalog/units/{unit.pk}/edit/",
        f"/catalog/units/{unit.pk}/transfer/",
        f"/sales/units/{unit.pk}/contracts/",
    ):
        assert client.get(url).status_code == 404, url
    assert "SN-A-0001" not in html_of(client.get("/catalog/units/?q=SN-A"))


# --- units --------------------------------------------------------------------------------------


def test_lookup_by_serial_prefix(org, base):
    factories.sold_unit(base["agent"], base["model"], None, org["a"], serial="XY-9")
    rows = html_of(client_for(base["agent"]).get("/catalog/units/?q=sn-a")).split("<tbody>")[1]
    assert "SN-A-0001" in rows and "XY-9" not in rows
    rows = html_of(client_for(base["agent"]).get(f"/catalog/units/?customer={base['owner'].pk}")).split("<tbody>")[1]
    assert "SN-A-0001" in rows and "XY-9" not in rows


def test_unit_detail_shows_the_warranty_answer_today(base):
    html = html_of(client_for(base["agent"]).get(f"/catalog/units/{base['unit'].pk}/"))
    end = add_months(base["unit"].sale_date, 12) - dt.timedelta(days=1)
    assert 'data-covered="true"' in html
    assert f'data-testid="warranty-end">{end:%Y-%m-%d}<' in html
    assert base["owner"].name in html and "INV-1" in html and "V-1" in html
    assert 'data-testid="ownerships"' in html and f'hx-get="/sales/units/{base["unit"].pk}/contracts/"' in html


def test_warranty_case_check_lists_every_reason(base):
    url = f"/catalog/units/{base['unit'].pk}/warranty/"
    client = client_for(base["agent"])
    # unchecked boxes are simply absent from the query; serial_matches stays on
    html = html_of(
        client.get(url, {"case": "1", "serial_matches": "on", "voucher_altered": "on", "damage_cause": "man_made"})
    )
    assert 'data-covered="false"' in html
    reasons = html.split('data-testid="warranty-reasons"')[1].split("</ul>")[0]
    assert reasons.count("<li") == 3  # altered voucher, no voucher nor invoice, man-made damage
    # a date after the end: expired
    later = (base["today"] + dt.timedelta(days=400)).isoformat()
    html = html_of(
        client.get(
            url, {"case": "1", "on": later, "voucher_present": "on", "invoice_present": "on", "serial_matches": "on"}
        )
    )
    assert 'data-covered="false"' in html and html.split('data-testid="warranty-reasons"')[1].count("<li") == 1
    # the full page takes the same query (no JavaScript)
    html = html_of(client.get(f"/catalog/units/{base['unit'].pk}/", {"case": "1", "damage_cause": "misuse"}))
    assert 'data-covered="false"' in html


def test_register_unit_round_trip(org, base):
    client = client_for(base["agent"])
    html = html_of(client.get(f"/catalog/units/new/?customer={base['owner'].pk}"))
    assert f'<option value="{base["owner"].pk}" selected>' in html
    response = client.post("/catalog/units/new/", unit_post(base, org))
    unit = SoldUnit.objects.get(serial="SN-NEW-7")
    assert response.status_code == 302 and response.url == f"/catalog/units/{unit.pk}/"
    assert unit.customer == base["owner"] and unit.installation_date == dt.date(2025, 6, 3)
    assert unit.ownerships.get().customer == base["owner"]


def test_register_unit_errors_are_shown(org, make_user, base):
    client = client_for(base["agent"])
    html = html_of(client.post("/catalog/units/new/", unit_post(base, org, serial="SN-A-0001")))
    assert "invalid-feedback" in html.split('name="serial"')[1].split("</div>")[0]
    other = factories.customer(make_user("agent", org["b"]), org["b"], name="乙客户", phone="13900007777")
    html = html_of(client.post("/catalog/units/new/", unit_post(base, org, customer=str(other.pk))))
    assert 'data-testid="form-error"' in html and not SoldUnit.objects.filter(serial="SN-NEW-7").exists()


def test_edit_unit_round_trip_and_stale_version(org, base):
    unit = base["unit"]
    client = client_for(base["agent"])
    assert 'name="version" value="1"' in html_of(client.get(f"/catalog/units/{unit.pk}/edit/"))
    data = unit_post(base, org, serial=unit.serial, version="1", invoice_no="INV-NEW")
    del data["customer"]
    assert client.post(f"/catalog/units/{unit.pk}/edit/", data).status_code == 302
    unit.refresh_from_db()
    assert unit.invoice_no == "INV-NEW" and unit.version == 2 and unit.customer == base["owner"]
    response = client.post(f"/catalog/units/{unit.pk}/edit/", {**data, "invoice_no": "INV-LOST"})
    assert response.status_code == 200 and 'data-testid="form-error"' in html_of(response)
    unit.refresh_from_db()
    assert unit.invoice_no == "INV-NEW"


def test_transfer_round_trip(org, base):
    buyer = factories.customer(base["agent"], org["a"], name="新主人", phone="13900008888")
    client = client_for(base["agent"])
    on = base["today"].isoformat()
    response = client.post(
        f"/catalog/units/{base['unit'].pk}/transfer/", {"customer": buyer.pk, "on": on, "reason": "二手转让"}
    )
    assert response.status_code == 302
    unit = SoldUnit.objects.get(pk=base["unit"].pk)
    assert unit.customer == buyer and unit.ownerships.count() == 2
    html = html_of(client.get(f"/catalog/units/{unit.pk}/"))
    assert "二手转让" in html and "新主人" in html
    # the same owner again: the service's message on the form, not a 500
    response = client.post(f"/catalog/units/{unit.pk}/transfer/", {"customer": buyer.pk, "on": on, "reason": "再转"})
    assert response.status_code == 200 and "invalid-feedback" in html_of(response)


def test_unit_list_query_count_does_not_grow(org, base):
    client = client_for(base["agent"])

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get("/catalog/units/").status_code == 200
        return len(ctx.captured_queries)

    few = count()
    for i in range(10):
        factories.sold_unit(base["agent"], base["model"], base["owner"], org["a"], serial=f"SN-MORE-{i}")
    assert count() == few


def test_the_customers_units_panel_query_count_does_not_grow(org, base):
    client = client_for(base["agent"])
    url = f"/catalog/customers/{base['owner'].pk}/units/"

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        return len(ctx.captured_queries)

    few = count()
    for i in range(9):
        factories.sold_unit(base["agent"], base["model"], base["owner"], org["a"], serial=f"SN-PANEL-{i}")
    assert count() == few


# --- product models and warranty policies -------------------------------------------------------


def model_post(base, **overrides) -> dict[str, str]:
    model = base["model"]
    data = {
        "code": "AC-9",
        "name": "立式空调",
        "product_line": str(model.product_line_id),
        "category": "",
        "brand": "凌风",
        "warranty_policy": str(model.warranty_policy_id),
        "dealer_price": "2999.5",
        "market_price": "",
        "needs_installation": "on",
        "is_active": "on",
        "version": "",
    }
    data.update(overrides)
    return data


def test_product_model_create_and_edit(base):
    client = client_for(base["manager"])
    response = client.post("/catalog/models/new/", model_post(base))
    model = ProductModel.objects.get(code="AC-9")
    assert response.status_code == 302 and model.dealer_price == Decimal("2999.50") and model.needs_installation
    html = html_of(client.get(f"/catalog/models/{model.pk}/"))
    assert "AC-9" in html and base["model"].warranty_policy.name in html
    assert client.post("/catalog/models/new/", model_post(base)).status_code == 200  # the code is taken
    response = client.post(f"/catalog/models/{model.pk}/edit/", model_post(base, name="新名字", version="1"))
    assert response.status_code == 302
    model.refresh_from_db()
    assert model.name == "新名字" and model.version == 2
    response = client.post(f"/catalog/models/{model.pk}/edit/", model_post(base, name="旧版本", version="1"))
    assert response.status_code == 200 and 'data-testid="form-error"' in html_of(response)


def test_model_list_filters_and_query_count(base):
    client = client_for(base["agent"])
    assert "JS-100" in html_of(client.get("/catalog/models/?q=JS"))
    assert "JS-100" not in html_of(client.get("/catalog/models/?active=0")).split("<tbody>")[1]

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get("/catalog/models/").status_code == 200
        return len(ctx.captured_queries)

    few = count()
    for i in range(8):
        factories.product_model(base["manager"], code=f"M-{i}", months=6 + i, line_code=f"L{i}")
    assert count() == few


def test_policy_create_edit_and_list(base):
    client = client_for(base["manager"])
    data = {"code": "P-EXT", "name": "延保三年", "months": "36", "starts_from": "installation", "covers_parts": "on"}
    assert client.post("/catalog/policies/new/", data).status_code == 302
    policy = WarrantyPolicy.objects.get(code="P-EXT")
    assert policy.months == 36 and policy.covers_parts and not policy.covers_labour
    response = client.post(f"/catalog/policies/{policy.pk}/edit/", {**data, "months": "300", "version": "1"})
    assert response.status_code == 200 and "invalid-feedback" in html_of(response)
    assert (
        client.post(f"/catalog/policies/{policy.pk}/edit/", {**data, "months": "48", "version": "1"}).status_code == 302
    )
    policy.refresh_from_db()
    assert policy.months == 48

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get("/catalog/policies/").status_code == 200
        return len(ctx.captured_queries)

    few = count()
    for i in range(6):
        services.warranty_policy_create(
            actor=base["manager"], data=services.PolicyData(code=f"X{i}", name=f"政策{i}", months=i)
        )
    assert count() == few
    assert client.get("/catalog/policies/99999/edit/").status_code == 404


# --- fee schedules and quotes -------------------------------------------------------------------


def schedule(base, *, region=None, start=dt.date(2025, 1, 1), name="全国标准"):
    return services.fee_schedule_create(
        actor=base["manager"],
        name=name,
        effective_from=start,
        region_code=region,
        labour_items=[
            LabourItemData("L001", "上门检测", 30, Decimal("60")),
            LabourItemData("L002", "更换滤芯", 20, Decimal("40")),
        ],
        bands=[BandData(Decimal("0"), Decimal("10"), Decimal("0")), BandData(Decimal("10"), None, Decimal("50"))],
    )


def test_fee_list_detail_and_query_count(base):
    national = schedule(base)
    client = client_for(base["agent"])
    html = html_of(client.get("/catalog/fees/"))
    assert "全国标准" in html and 'data-testid="quote-widget"' in html
    html = html_of(client.get(f"/catalog/fees/{national.pk}/"))
    assert "更换滤芯" in html and 'data-testid="bands"' in html and "∞" in html

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get("/catalog/fees/").status_code == 200
        return len(ctx.captured_queries)

    few = count()
    for i, region in enumerate(["440000", "440300", "310000"]):
        schedule(base, region=region, name=f"地区{i}")
    assert count() == few


def test_quote_widget(base):
    schedule(base)
    schedule(base, region="440300", name="深圳标准", start=dt.date(2025, 6, 1))
    client = client_for(base["agent"])
    query = {
        "quote-province": "440000",
        "quote-city": "440300",
        "quote-district": "440305",
        "quote-on": "2025-07-01",
        "quote-labour_codes": ["L001", "L002"],
        "quote-distance_km": "12",
    }
    html = html_of(client.get("/catalog/fees/quote/", query))
    assert "深圳标准" in html and 'data-testid="quote-total">¥150.00<' in html
    html = html_of(client.get("/catalog/fees/quote/", {**query, "quote-on": "2024-01-01"}))
    assert 'data-testid="quote-error"' in html
