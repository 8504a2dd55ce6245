"""Product archive services: models, units, transfers, fee schedules, warranty with contracts."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from tests import factories

from aftersales.catalog import selectors, services
from aftersales.catalog.rules import CaseFacts, DamageCause
from aftersales.catalog.services import BandData, LabourItemData, UnitData
from aftersales.core.errors import Conflict, NotFound, PermissionDenied, StaleVersion, ValidationFailed
from aftersales.core.models import AuditEntry


@pytest.fixture
def base(org, make_user):
    manager = make_user("manager", org["hq"])
    agent = make_user("agent", org["a"])
    model = factories.product_model(manager)
    owner = factories.customer(agent, org["a"])
    return {"manager": manager, "agent": agent, "model": model, "owner": owner}


def test_only_master_data_roles_create_models(org, make_user, base):
    with pytest.raises(PermissionDenied):
        factories.product_model(base["agent"], code="X-1")


def test_model_code_is_unique_and_update_is_versioned(base):
    with pytest.raises(ValidationFailed) as exc:
        factories.product_model(base["manager"], code="JS-100")
    assert exc.value.errors[0].field == "code"
    model = base["model"]
    data = services.ModelData(
        code="JS-100", name="新名字", product_line_id=model.product_line_id, warranty_policy_id=model.warranty_policy_id
    )
    services.product_model_update(actor=base["manager"], model=model, expected_version=1, data=data)
    with pytest.raises(StaleVersion):
        services.product_model_update(actor=base["manager"], model=model, expected_version=1, data=data)


def test_register_unit_normalises_serial_and_opens_ownership(org, base):
    unit = factories.sold_unit(base["agent"], base["model"], base["owner"], org["a"], serial=" sn 0001 ")
    assert unit.serial == "SN0001"
    ownership = unit.ownerships.get()
    assert (
        ownership.customer == base["owner"]
        and ownership.from_date == dt.date(2025, 3, 15)
        and ownership.to_date is None
    )
    assert AuditEntry.objects.filter(target_type="catalog.soldunit", object_id=str(unit.pk), action="create").exists()


def test_duplicate_serial_and_bad_dates_are_refused(org, base):
    factories.sold_unit(base["agent"], base["model"], base["owner"], org["a"], serial="SN0001")
    with pytest.raises(ValidationFailed) as exc:
        services.unit_register(
            actor=base["agent"],
            data=UnitData(
                serial="sn0001",
                product_model_id=base["model"].pk,
                org_unit_id=org["a"].pk,
                sale_date=dt.date(2999, 1, 1),
                installation_date=dt.date(2000, 1, 1),
            ),
        )
    assert {e.field for e in exc.value.errors} == {"serial", "sale_date", "installation_date"}


def test_register_in_another_outlet_is_not_found(org, base):
    with pytest.raises(NotFound):
        factories.sold_unit(base["agent"], base["model"], None, org["b"])


def test_transfer_keeps_history(org, base):
    unit = factories.sold_unit(base["agent"], base["model"], base["owner"], org["a"])
    buyer = factories.customer(base["agent"], org["a"], name="买家", phone="13900000000", addresses=())
    services.unit_transfer(actor=base["agent"], unit=unit, customer=buyer, on=dt.date(2025, 6, 1), reason="转卖")
    periods = list(unit.ownerships.order_by("from_date").values_list("customer__name", "from_date", "to_date"))
    assert periods == [("张三", dt.date(2025, 3, 15), dt.date(2025, 5, 31)), ("买家", dt.date(2025, 6, 1), None)]
    with pytest.raises(ValidationFailed):
        services.unit_transfer(actor=base["agent"], unit=unit, customer=buyer, on=dt.date(2025, 7, 1), reason="x")
    with pytest.raises(ValidationFailed):
        services.unit_transfer(
            actor=base["agent"], unit=unit, customer=base["owner"], on=dt.date(2025, 5, 1), reason="x"
        )


def test_owner_changes_only_by_transfer(org, base):
    unit = factories.sold_unit(base["agent"], base["model"], base["owner"], org["a"])
    with pytest.raises(ValidationFailed):
        services.unit_update(
            actor=base["agent"],
            unit=unit,
            expected_version=1,
            data=UnitData(
                serial=unit.serial, product_model_id=base["model"].pk, org_unit_id=org["a"].pk, customer_id=None
            ),
        )


def test_unit_warranty_with_case_facts(org, base):
    unit = factories.sold_unit(base["agent"], base["model"], base["owner"], org["a"], sale_date=dt.date(2025, 3, 15))
    unit = selectors.unit_get_by_serial(actor=base["agent"], serial="sn0001")
    assert selectors.unit_warranty(unit=unit, on=dt.date(2026, 3, 14)).covered
    assert not selectors.unit_warranty(unit=unit, on=dt.date(2026, 3, 15)).covered
    refused = selectors.unit_warranty(
        unit=unit, on=dt.date(2025, 9, 1), facts=CaseFacts(damage_cause=DamageCause.MAN_MADE)
    )
    assert not refused.covered


def test_unit_visible_through_its_owner_or_its_store(org, make_user, base):
    unit = factories.sold_unit(base["agent"], base["model"], base["owner"], org["a"])
    assert selectors.unit_list(actor=make_user("agent", org["b"])).filter(pk=unit.pk).count() == 0
    assert selectors.unit_list(actor=make_user("agent", org["a1"])).filter(pk=unit.pk).count() == 0
    assert selectors.unit_list(actor=make_user("technician", org["east"])).filter(pk=unit.pk).count() == 1


def test_fee_schedules_regional_versions_and_quote(base):
    manager = base["manager"]
    items = [LabourItemData("L01", "更换滤芯", 30, Decimal("50")), LabourItemData("L02", "整机检测", 20, Decimal("30"))]
    bands = [BandData(Decimal("0"), Decimal("10"), Decimal("0")), BandData(Decimal("10"), None, Decimal("80"))]
    services.fee_schedule_create(
        actor=manager, name="全国2025", effective_from=dt.date(2025, 1, 1), labour_items=items, bands=bands
    )
    gd_items = [
        LabourItemData("L01", "更换滤芯", 30, Decimal("60")),
        LabourItemData("L02", "整机检测", 20, Decimal("40")),
    ]
    services.fee_schedule_create(
        actor=manager,
        name="广东2026",
        region_code="440000",
        effective_from=dt.date(2026, 1, 1),
        labour_items=gd_items,
        bands=bands,
    )
    quote = selectors.fee_quote(
        region_code="440305", on=dt.date(2026, 2, 1), labour_codes=["L01", "L02"], distance_km=Decimal("12")
    )
    assert quote.schedule.name == "广东2026" and quote.total == Decimal("180.00")
    quote = selectors.fee_quote(
        region_code="440305", on=dt.date(2025, 12, 31), labour_codes=["L01"], distance_km=Decimal("3")
    )
    assert quote.schedule.name == "全国2025" and quote.total == Decimal("50.00")
    with pytest.raises(ValidationFailed):
        selectors.fee_quote(region_code=None, on=dt.date(2024, 1, 1), labour_codes=["L01"], distance_km=Decimal("1"))
    with pytest.raises(ValidationFailed):
        selectors.fee_quote(region_code=None, on=dt.date(2025, 6, 1), labour_codes=["L99"], distance_km=Decimal("1"))


def test_fee_schedule_validation(base):
    with pytest.raises(ValidationFailed) as exc:
        services.fee_schedule_create(
            actor=base["manager"],
            name="",
            region_code="999999",
            effective_from=dt.date(2025, 1, 1),
            labour_items=[LabourItemData("L1", "a", 0, Decimal("-1")), LabourItemData("L1", "b", 10, Decimal("1"))],
            bands=[BandData(Decimal("0"), Decimal("20"), Decimal("0")), BandData(Decimal("10"), None, Decimal("5"))],
        )
    fields = {e.field for e in exc.value.errors}
    assert {
        "name",
        "region_code",
        "labour_items.0.price",
        "labour_items.0.standard_minutes",
        "labour_items.1.code",
        "bands",
    } <= fields
    with pytest.raises(PermissionDenied):
        services.fee_schedule_create(
            actor=base["agent"], name="x", effective_from=dt.date(2025, 1, 1), labour_items=[], bands=[]
        )


def test_a_scrapped_unit_cannot_change_owner(org, base):
    from aftersales.catalog.models import SoldUnit

    unit = factories.sold_unit(base["agent"], base["model"], base["owner"], org["a"])
    SoldUnit.objects.filter(pk=unit.pk).update(status="scrapped")
    unit.refresh_from_db()
    buyer = factories.customer(base["agent"], org["a"], name="买家", phone="13900000000", addresses=())
    with pytest.raises(Conflict):
        services.unit_transfer(actor=base["agent"], unit=unit, customer=buyer, on=dt.date(2025, 6, 1), reason="x")


def test_units_cannot_be_given_to_customers_outside_scope(org, make_user, base):
    outsider = factories.customer(make_user("agent", org["b"]), org["b"], name="乙方客户", phone="13900000001")
    with pytest.raises(ValidationFailed) as exc:
        factories.sold_unit(base["agent"], base["model"], outsider, org["a"], serial="X-1")
    assert exc.value.errors[0].field == "customer_id"
    unit = factories.sold_unit(base["agent"], base["model"], base["owner"], org["a"], serial="X-2")
    with pytest.raises(ValidationFailed):
        services.unit_transfer(actor=base["agent"], unit=unit, customer=outsider, on=dt.date(2025, 6, 1), reason="x")
