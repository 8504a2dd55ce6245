"""Customer pages: search (last four digits), masking by role, the audited reveal, create/edit round
trips, the duplicate warning, merge, scoping (another outlet's customer is 404), query counts."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from tests import factories

from aftersales.core.models import AuditEntry
from aftersales.customers import services
from aftersales.customers.models import Customer


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def html_of(response) -> str:
    return response.content.decode()


@pytest.fixture
def people(org, make_user):
    return {
        "agent": make_user("agent", org["a"]),
        "supervisor": make_user("supervisor", org["a"]),
        "agent_b": make_user("agent", org["b"]),
        "technician": make_user("technician", org["a"]),
    }


@pytest.fixture
def zhang(people, org):
    """张三 of outlet A: 138-1234-5678, 广东省深圳市南山区 科技园1号, with a contact."""
    return factories.customer(
        people["agent"],
        org["a"],
        contacts=(services.ContactData("张小三", title="儿子", phone="13900001111", email="xiaosan@example.com"),),
        birthday=dt.date(1970, 8, 1),
        birthday_is_lunar=True,
        tier="C",
        tags=("老客户",),
        email="zhangsan@example.com",
    )


def form_data(org_unit_id: int, **overrides) -> dict[str, str]:
    """A complete POST of the customer form: one phone, one address (cascade), one contact."""
    data = {
        "name": "王五",
        "kind": "individual",
        "gender": "m",
        "company_credit_code": "",
        "org_unit": str(org_unit_id),
        "owner": "",
        "tier": "D",
        "email": "WangWu@Example.com",
        "birthday": "1985-02-03",
        "birthday_is_lunar": "on",
        "wedding_anniversary": "",
        "hobbies": "钓鱼",
        "preferences": "上午联系",
        "tags": "净水, 新客户，VIP",
        "marketing_consent": "on",
        "source_channel": "hotline",
        "note": "",
        "version": "",
        "phones-TOTAL_FORMS": "2",
        "phones-INITIAL_FORMS": "0",
        "phones-0-number": "139-8765-4321",
        "phones-0-label": "手机",
        "phones-1-number": "",
        "phones-1-label": "",
        "addresses-TOTAL_FORMS": "1",
        "addresses-INITIAL_FORMS": "0",
        "addresses-0-province": "440000",
        "addresses-0-city": "440300",
        "addresses-0-district": "440305",
        "addresses-0-detail": "海岸城2栋",
        "addresses-0-postcode": "518000",
        "addresses-0-label": "家",
        "contacts-TOTAL_FORMS": "1",
        "contacts-INITIAL_FORMS": "0",
        "contacts-0-name": "王小五",
        "contacts-0-title": "女儿",
        "contacts-0-phone": "13700001111",
        "contacts-0-email": "",
    }
    data.update(overrides)
    return data


# --- access and scoping -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "url", "status"),
    [
        ("agent", "/customers/", 200),
        ("agent", "/customers/new/", 200),
        ("technician", "/customers/", 200),
        ("technician", "/customers/new/", 403),
        ("agent", "/customers/{id}/", 200),
        ("agent", "/customers/{id}/edit/", 200),
        ("technician", "/customers/{id}/edit/", 403),
        ("agent", "/customers/{id}/merge/", 403),
        ("supervisor", "/customers/{id}/merge/", 200),
        ("customer", "/customers/", 403),
    ],
)
def test_pages_by_role(org, make_user, zhang, role, url, status):
    user = make_user(role, org["a"])
    assert client_for(user).get(url.format(id=zhang.pk)).status_code == status


def test_anonymous_is_sent_to_login(db):
    response = Client().get("/customers/")
    assert response.status_code == 302 and response.url.startswith("/login/")


def test_outlet_b_gets_404_for_outlet_a_customer(people, zhang):
    client = client_for(people["agent_b"])
    for url in (
        f"/customers/{zhang.pk}/",
        f"/customers/{zhang.pk}/edit/",
        f"/catalog/customers/{zhang.pk}/units/",
        f"/sales/customers/{zhang.pk}/panel/",
    ):
        assert client.get(url).status_code == 404, url
    assert client.post(f"/customers/{zhang.pk}/reveal/").status_code == 404
    assert "张三" not in html_of(client.get("/customers/"))
    assert html_of(client.get("/customers/lookup/?q=5678")) == '{"results": []}'


# --- list and search ----------------------------------------------------------------------------


def test_search_by_last_four_digits_and_everything_is_masked(people, zhang, org):
    factories.customer(people["agent"], org["a"], name="李四", phone="13900009999")
    html = html_of(client_for(people["supervisor"]).get("/customers/?q=5678"))
    rows = html.split("<tbody>")[1]
    assert "张三" in rows and "李四" not in rows
    assert "138****5678" in rows and "13812345678" not in html  # masked even for a supervisor
    assert "广东省深圳市南山区 ****" in rows and "科技园" not in html


@pytest.mark.parametrize("q", ["13812345678", "138-1234-5678", "138123", "张", "CODE"])
def test_search_by_full_phone_name_or_number(people, zhang, q):
    q = zhang.code if q == "CODE" else q
    rows = html_of(client_for(people["agent"]).get("/customers/", {"q": q})).split("<tbody>")[1]
    assert "张三" in rows


def test_filters_by_tier_and_kind(people, zhang, org):
    factories.customer(people["agent"], org["a"], name="某某公司", phone="13900009999", kind="company")
    client = client_for(people["agent"])
    assert "某某公司" not in html_of(client.get("/customers/?tier=C")).split("<tbody>")[1]
    rows = html_of(client.get("/customers/?kind=company")).split("<tbody>")[1]
    assert "某某公司" in rows and "张三" not in rows
    assert "张三" not in html_of(client.get(f"/customers/?unit={org['a1'].pk}")).split("<tbody>")[1]


def test_list_query_count_does_not_grow(people, org):
    client = client_for(people["agent"])
    factories.customer(people["agent"], org["a"], name="一", phone="13900000001")

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get("/customers/").status_code == 200
        return len(ctx.captured_queries)

    few = count()
    for i in range(12):
        factories.customer(
            people["agent"], org["a"], name=f"客户{i}", phone=f"1390000{i:04d}", tags=(f"标签{i}",), tier="E"
        )
    assert count() == few


# --- detail, masking and the audited reveal -----------------------------------------------------


def test_agent_sees_masked_data_and_cannot_reveal(people, zhang):
    client = client_for(people["agent"])
    html = html_of(client.get(f"/customers/{zhang.pk}/"))
    assert "138****5678" in html and "13812345678" not in html
    assert "科技园" not in html and "x****@example.com" in html and "139****1111" in html
    assert "z****@example.com" in html and "zhangsan@example.com" not in html
    assert 'data-testid="reveal"' not in html
    assert client.post(f"/customers/{zhang.pk}/reveal/").status_code == 403
    assert not AuditEntry.objects.filter(action="view").exists()


def test_supervisor_reveal_shows_full_data_once_and_writes_an_audit_entry(people, zhang):
    client = client_for(people["supervisor"])
    html = html_of(client.get(f"/customers/{zhang.pk}/"))
    assert 'data-testid="reveal"' in html and "13812345678" not in html
    response = client.post(f"/customers/{zhang.pk}/reveal/")
    html = html_of(response)
    assert response.status_code == 200 and "no-store" in response["Cache-Control"]
    assert "13812345678" in html and "广东省深圳市南山区科技园1号" in html and "xiaosan@example.com" in html
    assert "zhangsan@example.com" in html
    assert 'data-testid="revealed"' in html
    entry = AuditEntry.objects.get(action="view", target_type="customers.customer", object_id=str(zhang.pk))
    assert entry.actor == people["supervisor"]
    # the next plain visit is masked again
    assert "13812345678" not in html_of(client.get(f"/customers/{zhang.pk}/"))


def test_detail_shows_profile_next_birthday_tags_and_panels(people, zhang):
    html = html_of(client_for(people["agent"]).get(f"/customers/{zhang.pk}/"))
    assert 'data-testid="next-birthday"' in html and "老客户" in html and "张小三" in html
    assert f'hx-get="/catalog/customers/{zhang.pk}/units/"' in html
    assert f'hx-get="/sales/customers/{zhang.pk}/panel/"' in html
    assert 'data-testid="history"' in html


def test_customer_units_panel_shows_warranty_today(people, zhang, org, make_user):
    manager = make_user("manager", org["hq"])
    model = factories.product_model(manager)
    recent = dt.date.today() - dt.timedelta(days=30)
    factories.sold_unit(people["agent"], model, zhang, org["a"], serial="SN-NEW", sale_date=recent)
    factories.sold_unit(people["agent"], model, zhang, org["a"], serial="SN-OLD", sale_date=dt.date(2020, 1, 1))
    html = html_of(client_for(people["agent"]).get(f"/catalog/customers/{zhang.pk}/units/"))
    new_row = html.split("SN-NEW")[1].split("</tr>")[0]
    old_row = html.split("SN-OLD")[1].split("</tr>")[0]
    assert 'data-testid="unit-warranty"' in new_row and "bg-success-lt" in new_row
    assert "bg-danger-lt" in old_row


# --- create, duplicates, edit -------------------------------------------------------------------


def test_create_round_trip(people, org):
    response = client_for(people["agent"]).post("/customers/new/", form_data(org["a"].pk))
    customer = Customer.objects.get(name="王五")
    assert response.status_code == 302 and response.url == f"/customers/{customer.pk}/"
    assert list(customer.phones.values_list("number", "label", "is_primary")) == [("13987654321", "手机", True)]
    address = customer.addresses.get()
    assert address.region_id == "440305" and address.detail == "海岸城2栋" and address.postcode == "518000"
    assert customer.contacts.get().phone == "13700001111"
    assert sorted(customer.tags.values_list("name", flat=True)) == ["VIP", "净水", "新客户"]
    assert customer.birthday_is_lunar and customer.marketing_consent and customer.source_channel == "hotline"
    assert customer.email == "wangwu@example.com"


def test_city_is_enough_when_the_district_is_left_empty(people, org):
    data = form_data(org["a"].pk, **{"addresses-0-district": ""})
    assert client_for(people["agent"]).post("/customers/new/", data).status_code == 302
    assert Customer.objects.get(name="王五").addresses.get().region_id == "440300"


def test_invalid_rows_show_their_errors_and_nothing_is_written(people, org):
    data = form_data(
        org["a"].pk,
        **{"phones-1-number": "12345", "addresses-0-city": "", "addresses-0-district": "", "birthday": "2999-01-01"},
    )
    response = client_for(people["agent"]).post("/customers/new/", data)
    html = html_of(response)
    assert response.status_code == 200 and not Customer.objects.exists()
    assert html.count("invalid-feedback") >= 3
    assert "12345" in html  # the user's input is kept
    # the row that failed is the second phone row, in the page's order
    second_row = html.split('data-testid="phone-row"')[2]
    assert "invalid-feedback" in second_row


def test_a_contact_without_a_name_is_refused_on_its_row(people, org):
    data = form_data(org["a"].pk, **{"contacts-0-name": ""})
    html = html_of(client_for(people["agent"]).post("/customers/new/", data))
    assert "invalid-feedback" in html.split('data-testid="contact-row"')[1] and not Customer.objects.exists()


def test_edit_without_the_version_is_refused(people, zhang, org):
    response = client_for(people["agent"]).post(f"/customers/{zhang.pk}/edit/", form_data(org["a"].pk, name="无版本"))
    assert response.status_code == 200 and 'data-testid="form-error"' in html_of(response)
    zhang.refresh_from_db()
    assert zhang.name == "张三"


def test_duplicate_warning_then_create_anyway(people, zhang, org):
    client = client_for(people["agent"])
    data = form_data(org["a"].pk, **{"phones-0-number": "13812345678"})
    html = html_of(client.post("/customers/new/", data))
    assert 'data-testid="duplicates"' in html and f'href="/customers/{zhang.pk}/"' in html
    assert 'name="allow_duplicate"' in html and Customer.objects.count() == 1
    response = client.post("/customers/new/", {**data, "allow_duplicate": "on"})
    assert response.status_code == 302 and Customer.objects.count() == 2


def test_duplicate_in_another_outlet_is_named_without_a_link(people, zhang, org):
    data = form_data(org["b"].pk, **{"phones-0-number": "13812345678"})
    html = html_of(client_for(people["agent_b"]).post("/customers/new/", data))
    duplicates = html.split('data-testid="duplicates"')[1].split("</ul>")[0]
    assert 'data-testid="duplicate"' in duplicates and "/customers/" not in duplicates and "张三" not in duplicates


def test_edit_round_trip_and_stale_version(people, zhang, org):
    client = client_for(people["agent"])
    html = html_of(client.get(f"/customers/{zhang.pk}/edit/"))
    assert 'name="version" value="1"' in html and 'value="13812345678"' in html
    assert 'value="zhangsan@example.com"' in html  # kept on edit, not wiped
    assert re.search(r'<option value="440305" selected>', html)  # the cascade shows the stored district
    data = form_data(
        org["a"].pk,
        name="张三丰",
        version="1",
        **{"phones-0-number": "13812345678", "contacts-TOTAL_FORMS": "0"},
    )
    assert client.post(f"/customers/{zhang.pk}/edit/", data).status_code == 302
    zhang.refresh_from_db()
    assert zhang.name == "张三丰" and zhang.version == 2 and not zhang.contacts.exists()
    response = client.post(f"/customers/{zhang.pk}/edit/", {**data, "name": "张三疯"})  # version 1 again
    assert response.status_code == 200 and 'data-testid="stale"' in html_of(response)
    zhang.refresh_from_db()
    assert zhang.name == "张三丰"


def test_deleted_rows_are_removed(people, zhang, org):
    data = form_data(
        org["a"].pk, name="张三", version="1", **{"phones-0-DELETE": "on", "phones-1-number": "13811112222"}
    )
    assert client_for(people["agent"]).post(f"/customers/{zhang.pk}/edit/", data).status_code == 302
    assert list(zhang.phones.values_list("number", flat=True)) == ["13811112222"]


# --- merge --------------------------------------------------------------------------------------


def test_merge_a_duplicate(people, zhang, org):
    twin = factories.customer(people["agent"], org["a"], name="张三 ", phone="13812345678")
    client = client_for(people["supervisor"])
    html = html_of(client.get(f"/customers/{zhang.pk}/merge/"))
    assert f"?source={twin.pk}" in html  # suggested: the same phone number
    html = html_of(client.get(f"/customers/{zhang.pk}/merge/?source={twin.pk}"))
    assert 'data-testid="merge-source"' in html and twin.code in html
    response = client.post(f"/customers/{zhang.pk}/merge/", {"source": twin.pk, "reason": "重复建档"})
    assert response.status_code == 200 and 'data-testid="form-error"' in html_of(response)  # not confirmed
    response = client.post(f"/customers/{zhang.pk}/merge/", {"source": twin.pk, "reason": "重复建档", "confirm": "on"})
    assert response.status_code == 302 and response.url == f"/customers/{zhang.pk}/"
    twin.refresh_from_db()
    assert twin.merged_into_id == zhang.pk and not twin.is_active
    assert AuditEntry.objects.filter(object_id=str(twin.pk), action="transition", note="重复建档").exists()
    html = html_of(client.get(f"/customers/{twin.pk}/"))
    assert 'data-testid="merged-into"' in html and 'data-testid="customer-edit"' not in html


def test_merge_search_finds_other_customers(people, zhang, org):
    other = factories.customer(people["agent"], org["a"], name="赵六", phone="13900006666")
    html = html_of(client_for(people["supervisor"]).get(f"/customers/{zhang.pk}/merge/?q=6666"))
    assert f"?source={other.pk}" in html


# --- widgets' JSON ------------------------------------------------------------------------------


def test_lookup_returns_masked_matches(people, zhang):
    data = client_for(people["agent"]).get("/customers/lookup/?q=5678").json()
    assert data == {"results": [{"id": zhang.pk, "name": "张三", "code": zhang.code, "phone": "138****5678"}]}


def test_region_options_list_children(people):
    data = client_for(people["agent"]).get("/customers/regions/?parent=440300").json()
    assert {"code": "440305", "name": "南山区"} in data["results"]
    assert client_for(people["agent"]).get("/customers/regions/?parent=abc").status_code == 404
