"""Customer archive services against the database: validation, duplicates, update, merge, audited access."""

from __future__ import annotations

import datetime as dt

import pytest
from tests import factories

from aftersales.core.errors import Conflict, NotFound, PermissionDenied, StaleVersion, ValidationFailed
from aftersales.core.models import AuditEntry
from aftersales.customers import services
from aftersales.customers.models import Customer, CustomerPhone
from aftersales.customers.services import AddressData, ContactData, CustomerData, PhoneData


def data(unit, **kw) -> CustomerData:
    base = {
        "name": "李四",
        "org_unit_id": unit.pk,
        "phones": (PhoneData("138-0000-1111"), PhoneData("0755-86123456", label="办公")),
        "addresses": (AddressData("440305", "科技园南区1栋"),),
        "contacts": (ContactData("李小四", title="儿子", phone="13900001111"),),
        "tags": ("老客户", "净水"),
        "tier": "C",
        "birthday": dt.date(1970, 8, 1),
        "birthday_is_lunar": True,
    }
    base.update(kw)
    return CustomerData(**base)


def test_create_normalises_and_audits_masked(org, make_user):
    agent = make_user("agent", org["a"])
    customer = services.customer_create(actor=agent, data=data(org["a"]))
    assert customer.code.startswith("C") and len(customer.code) == 9
    phones = list(customer.phones.values_list("number", "kind", "is_primary", "reversed_number"))
    assert phones[0] == ("13800001111", "mobile", True, "11110000831")
    assert phones[1][:2] == ("075586123456", "landline")
    assert customer.addresses.get().is_default
    assert sorted(customer.tags.values_list("name", flat=True)) == ["净水", "老客户"]
    entry = AuditEntry.objects.get(target_type="customers.customer", object_id=str(customer.pk))
    assert entry.changes["phones"][1] == ["075*****3456", "138****1111"]
    assert "13800001111" not in str(entry.changes)


def test_invalid_fields_are_reported_together_and_nothing_is_written(org, make_user):
    agent = make_user("agent", org["a"])
    bad = data(
        org["a"],
        name=" ",
        phones=(PhoneData("12345"),),
        addresses=(AddressData("999999", "x"), AddressData("440000", "省级不够")),
        birthday=dt.date(2999, 1, 1),
        tier="Z",
    )
    with pytest.raises(ValidationFailed) as exc:
        services.customer_create(actor=agent, data=bad)
    fields = {e.field for e in exc.value.errors}
    assert {
        "name",
        "phones.0.number",
        "addresses.0.region_code",
        "addresses.1.region_code",
        "birthday",
        "tier",
    } <= fields
    assert not Customer.objects.exists()


def test_duplicate_phone_is_refused_unless_confirmed(org, make_user):
    agent = make_user("agent", org["a"])
    first = services.customer_create(actor=agent, data=data(org["a"]))
    with pytest.raises(Conflict) as exc:
        services.customer_create(actor=agent, data=data(org["a"], name="王五", addresses=()))
    assert exc.value.code == "duplicate_customer"
    assert exc.value.errors[0].message == f"{first.pk}:phone"
    services.customer_create(actor=agent, data=data(org["a"], name="王五", addresses=()), allow_duplicate=True)
    assert Customer.objects.count() == 2


def test_duplicate_name_and_address_is_detected_despite_spacing(org, make_user):
    agent = make_user("agent", org["a"])
    services.customer_create(actor=agent, data=data(org["a"], phones=()))
    again = data(org["a"], phones=(PhoneData("13911112222"),), addresses=(AddressData("440305", "科技园南区 1 栋"),))
    with pytest.raises(Conflict) as exc:
        services.customer_create(actor=agent, data=again)
    assert exc.value.errors[0].message.endswith(":name_address")


def test_duplicates_in_other_units_are_reported_without_details(org, make_user):
    services.customer_create(actor=make_user("agent", org["b"]), data=data(org["b"]))
    with pytest.raises(Conflict) as exc:
        services.customer_create(actor=make_user("agent", org["a"]), data=data(org["a"]))
    assert exc.value.errors[0].message == "hidden:phone"


def test_create_in_an_invisible_unit_is_not_found(org, make_user):
    with pytest.raises(NotFound):
        services.customer_create(actor=make_user("agent", org["a"]), data=data(org["b"]))


def test_technicians_may_not_create_customers(org, make_user):
    with pytest.raises(PermissionDenied):
        services.customer_create(actor=make_user("technician", org["a"]), data=data(org["a"]))


def test_update_replaces_children_and_checks_the_version(org, make_user):
    agent = make_user("agent", org["a"])
    customer = services.customer_create(actor=agent, data=data(org["a"]))
    changed = data(org["a"], name="李四四", phones=(PhoneData("13700000000"),), tags=("VIP",))
    services.customer_update(actor=agent, customer=customer, expected_version=1, data=changed)
    customer.refresh_from_db()
    assert customer.version == 2 and customer.name == "李四四"
    assert list(customer.phones.values_list("number", flat=True)) == ["13700000000"]
    entry = AuditEntry.objects.filter(object_id=str(customer.pk), action="update").get()
    assert entry.changes["name"] == ["李四", "李四四"]
    assert entry.changes["tags"] == [["净水", "老客户"], ["VIP"]]
    with pytest.raises(StaleVersion):
        services.customer_update(actor=agent, customer=customer, expected_version=1, data=changed)


def test_consent_time_is_set_when_given_and_cleared_when_withdrawn(org, make_user):
    agent = make_user("agent", org["a"])
    customer = services.customer_create(actor=agent, data=data(org["a"], marketing_consent=True))
    assert customer.marketing_consent_at is not None
    services.customer_update(
        actor=agent, customer=customer, expected_version=1, data=data(org["a"], marketing_consent=False)
    )
    assert customer.marketing_consent_at is None


def test_merge_moves_everything_and_keeps_the_source(org, make_user):
    agent = make_user("agent", org["a"])
    supervisor = make_user("supervisor", org["a"])
    model = factories.product_model(make_user("manager", org["hq"]))
    keep = services.customer_create(actor=agent, data=data(org["a"], name="赵六", tier="C", birthday=None))
    dup = services.customer_create(
        actor=agent,
        data=data(org["a"], name="赵六", phones=(PhoneData("13800001111"), PhoneData("13500000000")), tier="B"),
        allow_duplicate=True,
    )
    unit = factories.sold_unit(agent, model, dup, org["a"], serial="SN-MERGE")
    with pytest.raises(PermissionDenied):
        services.customer_merge(actor=agent, source=dup, target=keep)
    services.customer_merge(actor=supervisor, source=dup, target=keep, reason="同一人")
    dup.refresh_from_db()
    keep.refresh_from_db()
    assert dup.merged_into == keep and not dup.is_active
    assert sorted(keep.phones.values_list("number", flat=True)) == ["075586123456", "13500000000", "13800001111"]
    assert CustomerPhone.objects.filter(customer=dup).count() == 0
    assert keep.addresses.count() == 2 and keep.contacts.count() == 2
    assert keep.tier == "B"  # the better tier survives
    assert keep.birthday == dt.date(1970, 8, 1)  # filled from the duplicate
    unit.refresh_from_db()
    assert unit.customer == keep
    assert unit.ownerships.get().customer == keep
    assert AuditEntry.objects.filter(object_id=str(dup.pk), action="transition").exists()
    merged_note = AuditEntry.objects.get(object_id=str(keep.pk), action="update").note
    assert "catalog.units=1" in merged_note
    with pytest.raises(Conflict):
        services.customer_merge(actor=supervisor, source=dup, target=keep)
    with pytest.raises(Conflict):
        services.customer_update(actor=supervisor, customer=dup, expected_version=dup.version, data=data(org["a"]))


def test_merge_into_itself_is_refused(org, make_user):
    supervisor = make_user("supervisor", org["a"])
    customer = services.customer_create(actor=supervisor, data=data(org["a"]))
    with pytest.raises(ValidationFailed):
        services.customer_merge(actor=supervisor, source=customer, target=customer)


def test_full_data_view_is_permitted_by_role_and_audited(org, make_user):
    agent = make_user("agent", org["a"])
    supervisor = make_user("supervisor", org["a"])
    customer = services.customer_create(actor=agent, data=data(org["a"]))
    with pytest.raises(PermissionDenied):
        services.customer_personal_data_view(actor=agent, customer=customer)
    services.customer_personal_data_view(actor=supervisor, customer=customer)
    entry = AuditEntry.objects.get(action="view", object_id=str(customer.pk))
    assert entry.actor == supervisor
    other = make_user("supervisor", org["b"])
    with pytest.raises(NotFound):
        services.customer_personal_data_view(actor=other, customer=customer)


def test_export_of_personal_data_needs_its_own_permission(org, make_user):
    with pytest.raises(PermissionDenied):
        services.customer_export_record(
            actor=make_user("supervisor", org["a"]), count=3, personal_data=True, filters={}
        )
    services.customer_export_record(actor=make_user("manager", org["hq"]), count=3, personal_data=True, filters={})
    assert AuditEntry.objects.filter(action="export").count() == 1
