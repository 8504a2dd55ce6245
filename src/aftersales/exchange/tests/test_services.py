"""Import jobs end to end against the database: the row report, both modes, the bulk writers, scoping."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from tests import factories

from aftersales.catalog.models import FeeSchedule, ProductModel, SoldUnit
from aftersales.catalog.services import UnitData
from aftersales.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from aftersales.core.models import AuditEntry
from aftersales.customers.models import Customer, CustomerPhone
from aftersales.customers.services import AddressData, CustomerData, PhoneData
from aftersales.exchange import selectors, services
from aftersales.exchange.models import ImportJob, ImportStatus
from aftersales.exchange.tests.helpers import upload

CUSTOMER_HEADER = ["客户名称", "手机", "省", "市", "区县", "详细地址", "会员等级", "生日", "标签"]
UNIT_HEADER = ["序列号", "型号", "客户手机", "销售日期", "安装日期", "发票号"]


@pytest.fixture
def base(org, make_user):
    manager = make_user("manager", org["hq"])
    agent = make_user("agent", org["a"])
    model = factories.product_model(manager)
    return {"manager": manager, "agent": agent, "model": model, "a": org["a"], "b": org["b"]}


@pytest.fixture
def run(django_capture_on_commit_callbacks):
    """Upload rows and run the dry run (Huey is immediate in tests; the task runs after commit)."""

    def go(actor, kind, rows, *, unit, mode="all_or_nothing", name="data.xlsx", encoding="utf-8"):
        with django_capture_on_commit_callbacks(execute=True):
            job = services.import_job_create(
                actor=actor,
                kind=kind,
                upload=upload(rows, name=name, encoding=encoding),
                mode=mode,
                org_unit_id=unit.pk,
            )
        job.refresh_from_db()
        return job

    return go


@pytest.fixture
def confirm(django_capture_on_commit_callbacks):
    def go(actor, job):
        with django_capture_on_commit_callbacks(execute=True):
            services.import_job_confirm(actor=actor, job=job)
        job.refresh_from_db()
        return job

    return go


def errors_of(job):
    return [(e["row"], e["column"], e["message"]) for e in job.errors]


# --- the row report ---------------------------------------------------------------------------


def test_customer_report_names_row_column_and_reason_in_chinese(base, run):
    # given
    rows = [
        CUSTOMER_HEADER,
        ["张三", "13812345678", "广东省", "深圳市", "南山区", "科技园1号", "C", "1985-06-01", "VIP，老客户"],
        ["李四", "1381234", "广东", "深圳", "南山", "科技园2号", "", "", ""],
        ["王五", "138 1234 5678", "北京市", "北京市", "东城区", "东华门大街1号", "", "", ""],
        ["赵六", "13900000001", "广东省", "深圳市", "火星区", "某路1号", "Z", "85/6/1", ""],
        ["", "13900000002", "", "", "", "", "", "", ""],
    ]
    # when
    job = run(base["agent"], "customers", rows, unit=base["a"])
    # then
    assert job.status == ImportStatus.VALIDATED
    assert (job.rows_total, job.rows_valid, job.rows_invalid) == (5, 1, 4)
    assert errors_of(job) == [
        (3, "手机", "手机号格式不正确"),
        (4, "手机", "手机号重复（第 2 行）"),
        (5, "区县", "地区不存在，请检查省、市、区县名称"),
        (5, "会员等级", "取值不正确，可选：A、B、C、D、E"),
        (5, "生日", "日期格式不正确，应为 YYYY-MM-DD"),
        (6, "客户名称", "必填项不能为空"),
    ]
    preview = job.preview
    assert preview["rows"] == [
        [
            "张三",
            "个人",
            "13812345678",
            "广东省深圳市南山区",
            "科技园1号",
            "C",
            "VIP、老客户",
            "导入",
            "上海徐汇服务网点",
        ]
    ]
    assert Customer.objects.count() == 0  # a dry run writes nothing


def test_unit_report_unknown_model_duplicate_serials_and_dates(base, run):
    # given: SN-OLD is registered already
    factories.sold_unit(base["agent"], base["model"], None, base["a"], serial="SN-OLD")
    rows = [
        UNIT_HEADER,
        ["sn-1", "js-100", "", "2026/1/5", "2026年1月8日", "INV-1"],
        ["SN-2", "XX-999", "", "2026-01-05", "", ""],
        [" SN-1 ", "JS-100", "", "2026-01-05", "", ""],
        ["SN-OLD", "JS-100", "", "", "", ""],
        ["SN-3", "JS-100", "", "05.01.2026", "", ""],
        ["SN-4", "", "", "", "", ""],
        ["SN-5", "JS-100", "13700000000", "2026-01-05", "2026-01-01", ""],
    ]
    # when
    job = run(base["agent"], "units", rows, unit=base["a"])
    # then
    assert errors_of(job) == [
        (3, "型号", "型号不存在"),
        (4, "序列号", "序列号重复（第 2 行）"),
        (5, "序列号", "序列号重复（已登记）"),
        (6, "销售日期", "日期格式不正确，应为 YYYY-MM-DD"),
        (7, "型号", "必填项不能为空"),
        (8, "客户手机", "客户不存在"),
        (8, "安装日期", "安装日期不能早于销售日期"),
    ]
    assert job.preview["rows"] == [["SN-1", "JS-100", "", "上海徐汇服务网点", "2026-01-05", "2026-01-08", "INV-1", ""]]


def test_missing_required_column_fails_the_whole_file(base, run):
    job = run(base["agent"], "units", [["型号", "销售日期"], ["JS-100", "2026-01-05"]], unit=base["a"])
    assert job.status == ImportStatus.FAILED
    assert errors_of(job) == [(1, "序列号", "缺少必填列")]
    assert "序列号" in job.message


def test_unreadable_and_empty_files(base, run):
    job = run(base["agent"], "units", [["序列号", "型号"]], unit=base["a"])
    assert job.status == ImportStatus.FAILED
    assert job.message
    with pytest.raises(ValidationFailed) as exc:
        services.import_job_create(
            actor=base["agent"],
            kind="units",
            upload=upload([["x"]], name="old.xls"),
            mode="all_or_nothing",
            org_unit_id=base["a"].pk,
        )
    assert exc.value.errors[0].field == "file"


def test_gbk_csv_with_chinese_headers_imports(base, run, confirm):
    # given: what Excel in China saves as "CSV (逗号分隔)"
    rows = [
        ["客户名称", "客户类型", "性别", "手机", "其他电话", "省", "市", "区县", "详细地址", "来源渠道", "同意营销"],
        [
            "深圳清泉科技有限公司",
            "企业",
            "",
            "13812345678",
            "0755-86001234",
            "广东",
            "深圳",
            "南山",
            "科苑路15号",
            "经销商",
            "是",
        ],
        ["陈女士", "个人", "女", "+86 139-0000-0001", "", "北京市", "市辖区", "朝阳区", "建国路1号", "微信", "否"],
    ]
    job = run(base["agent"], "customers", rows, unit=base["a"], name="客户.csv", encoding="gbk")
    assert job.file_format == "csv"
    assert (job.rows_valid, job.rows_invalid) == (2, 0), job.errors
    # when
    job = confirm(base["agent"], job)
    # then
    assert job.status == ImportStatus.DONE, job.message
    company = Customer.objects.get(name="深圳清泉科技有限公司")
    assert company.kind == "company" and company.source_channel == "dealer" and company.marketing_consent
    assert company.marketing_consent_at is not None
    assert sorted(company.phones.values_list("number", "kind", "is_primary")) == [
        ("075586001234", "landline", False),
        ("13812345678", "mobile", True),
    ]
    lady = Customer.objects.get(name="陈女士")
    assert lady.gender == "f" and lady.source_channel == "wechat"
    phone = lady.phones.get()
    assert (phone.number, phone.reversed_number) == ("13900000001", "10000000931")
    assert lady.addresses.get().region.full_name == "北京市朝阳区"


# --- both modes -------------------------------------------------------------------------------


def test_all_or_nothing_writes_nothing_when_one_row_is_bad(base, run, confirm):
    # given
    rows = [UNIT_HEADER, ["SN-1", "JS-100", "", "2026-01-05", "", ""], ["SN-2", "NOPE", "", "", "", ""]]
    job = run(base["agent"], "units", rows, unit=base["a"])
    # when / then: the import cannot be started
    with pytest.raises(Conflict):
        services.import_job_confirm(actor=base["agent"], job=job)
    assert SoldUnit.objects.count() == 0
    assert ImportJob.objects.get(pk=job.pk).status == ImportStatus.VALIDATED


def test_all_or_nothing_rolls_back_everything_when_the_data_changed_since_the_check(base, run, confirm):
    # given: a clean file of three units …
    rows = [UNIT_HEADER] + [[f"SN-{i}", "JS-100", "", "2026-01-05", "", ""] for i in range(3)]
    job = run(base["agent"], "units", rows, unit=base["a"])
    assert job.rows_valid == 3
    # … one of which someone registers by hand before the import runs
    factories.sold_unit(base["agent"], base["model"], None, base["a"], serial="SN-2")
    # when
    job = confirm(base["agent"], job)
    # then: nothing of the file is written
    assert job.status == ImportStatus.FAILED
    assert SoldUnit.objects.count() == 1
    assert (4, "序列号", "序列号重复（已登记）") in errors_of(job)
    assert not AuditEntry.objects.filter(target_type="exchange.importjob").exists()


def test_valid_rows_only_writes_the_rest_with_one_audit_entry(base, run, confirm):
    # given
    owner = factories.customer(base["agent"], base["a"], name="王先生", phone="13900000000")
    rows = [
        UNIT_HEADER,
        ["SN-1", "JS-100", "13900000000", "2026-01-05", "2026-01-06", "INV-1"],
        ["SN-2", "NOPE", "", "", "", ""],
        ["SN-3", "JS-100", "", "", "", ""],
    ]
    job = run(base["agent"], "units", rows, unit=base["a"], mode="valid_rows_only")
    # when
    job = confirm(base["agent"], job)
    # then
    assert job.status == ImportStatus.DONE
    assert (job.rows_imported, job.rows_invalid) == (2, 1)
    assert sorted(SoldUnit.objects.values_list("serial", flat=True)) == ["SN-1", "SN-3"]
    unit = SoldUnit.objects.get(serial="SN-1")
    assert unit.customer == owner and unit.org_unit == base["a"] and unit.version == 1
    ownership = unit.ownerships.get()
    assert ownership.customer == owner and ownership.from_date == dt.date(2026, 1, 5)
    entries = AuditEntry.objects.filter(target_type="exchange.importjob", object_id=str(job.pk))
    assert entries.count() == 1
    entry = entries.get()
    assert entry.action == "create" and entry.channel == "import" and entry.actor == base["agent"]
    assert entry.changes == {"rows": [None, 2], "units": [None, 2], "ownerships": [None, 1]}
    assert entry.org_unit_id == base["a"].pk
    assert job.summary == {"rows": 2, "units": 2, "ownerships": 1}


def test_customers_get_consecutive_numbers_reserved_at_once(base, run, confirm):
    before = factories.customer(base["agent"], base["a"], name="老客户", phone="13700000000")
    rows = [CUSTOMER_HEADER] + [
        [f"客户{i}", f"1380000000{i}", "广东省", "深圳市", "南山区", f"路{i}号", "", "", "标签甲"] for i in range(3)
    ]
    job = confirm(base["manager"], run(base["manager"], "customers", rows, unit=base["a"]))
    assert job.status == ImportStatus.DONE, job.message
    number = int(before.code[1:])
    codes = list(Customer.objects.exclude(pk=before.pk).order_by("code").values_list("code", flat=True))
    assert codes == [f"C{number + i:08d}" for i in (1, 2, 3)]
    assert all(c.tags.get().name == "标签甲" for c in Customer.objects.exclude(pk=before.pk))
    assert job.summary == {"rows": 3, "customers": 3, "phones": 3, "addresses": 3, "tags": 3}
    entry = AuditEntry.objects.get(target_type="exchange.importjob")
    assert f"C{number + 1:08d}" in entry.note and f"C{number + 3:08d}" in entry.note
    assert "1380000000" not in str(entry.changes) + entry.note  # no personal data in the trail
    # A second import of the same file finds every customer again.
    again = run(base["manager"], "customers", rows, unit=base["a"])
    assert again.rows_invalid == 3
    assert errors_of(again)[0][1:] == ("手机", f"手机号已登记（客户 C{number + 1:08d}）")


# --- product models and fee schedules (through their apps' services) --------------------------


def test_product_models_import_through_the_catalog_service(base, run, confirm):
    rows = [
        ["型号", "名称", "产品线", "保修政策", "经销价", "需要安装"],
        ["JS-200", "反渗透净水器", "water", "整机12个月", "1,200", "是"],
        ["JS-100", "重复", "WATER", "P12", "", ""],
        ["JS-300", "空调", "AIR", "P12", "-5", ""],
    ]
    job = run(base["manager"], "product_models", rows, unit=base["manager"].org_unit, mode="valid_rows_only")
    assert errors_of(job) == [
        (3, "型号", "型号已存在"),
        (4, "产品线", "产品线不存在"),
        (4, "经销价", "金额不能为负数"),
    ]
    job = confirm(base["manager"], job)
    model = ProductModel.objects.get(code="JS-200")
    assert model.dealer_price == Decimal("1200.00") and model.needs_installation and model.is_active
    # The catalog service wrote its own audit entry, plus the job's summary.
    assert AuditEntry.objects.filter(target_type="catalog.productmodel", object_id=str(model.pk)).exists()
    assert job.summary == {"rows": 1, "product_models": 1}


def test_agents_may_not_import_product_models(base, run):
    with pytest.raises(PermissionDenied):
        run(base["agent"], "product_models", [["型号"], ["X"]], unit=base["a"])


def test_labour_items_become_fee_schedule_versions(base, run, confirm):
    rows = [
        ["收费标准名称", "生效日期", "省", "市", "区县", "项目编码", "项目名称", "产品线", "标准工时（分钟）", "单价"],
        ["2026 全国", "2026-01-01", "", "", "", "L1", "更换滤芯", "WATER", 30, 50],
        ["2026 全国", "2026-01-01", "", "", "", "L2", "上门检测", "", "20", "¥30.5"],
        ["2026 深圳", "2026-01-01", "广东省", "深圳市", "", "L1", "更换滤芯", "", 30, 60],
        ["2026 深圳", "2026-01-01", "广东省", "深圳市", "", "L1", "更换滤芯", "", 30, 60],
    ]
    job = run(base["manager"], "labour_items", rows, unit=base["manager"].org_unit, mode="valid_rows_only")
    assert errors_of(job) == [(5, "项目编码", "同一收费标准中项目编码重复（第 4 行）")]
    job = confirm(base["manager"], job)
    assert job.summary == {"rows": 3, "fee_schedules": 2, "labour_items": 3}
    national = FeeSchedule.objects.get(region__isnull=True)
    assert sorted(national.labour_items.values_list("code", "price")) == [
        ("L1", Decimal("50.00")),
        ("L2", Decimal("30.50")),
    ]
    assert FeeSchedule.objects.get(region_id="440300").labour_items.count() == 1


# --- scoping and the bulk services ------------------------------------------------------------


def test_a_job_of_another_outlet_is_not_found(base, run, make_user):
    job = run(base["agent"], "units", [UNIT_HEADER, ["SN-1", "JS-100", "", "", "", ""]], unit=base["a"])
    other = make_user("agent", base["b"])
    with pytest.raises(NotFound):
        selectors.import_job_get(actor=other, job_id=job.pk)
    assert not selectors.import_job_list(actor=other).exists()
    assert selectors.import_job_get(actor=base["manager"], job_id=job.pk) == job


def test_importing_into_an_invisible_unit_is_not_found(base, run):
    with pytest.raises(NotFound):
        run(base["agent"], "units", [UNIT_HEADER], unit=base["b"])
    # … and so is a row naming it by code
    rows = [["序列号", "型号", "销售门店编码"], ["SN-1", "JS-100", "O-B"]]
    job = run(base["agent"], "units", rows, unit=base["a"])
    assert errors_of(job) == [(2, "销售门店编码", "组织不存在")]


def test_customer_batch_create_applies_the_rules_of_customer_create(base):
    factories.customer(base["agent"], base["a"], name="张三", phone="13812345678")
    batch = [
        CustomerData(name="甲", org_unit_id=base["a"].pk, phones=(PhoneData("13812345678"),)),
        CustomerData(name="乙", org_unit_id=base["a"].pk, addresses=(AddressData("440000", "某路"),)),
        CustomerData(name="丙", org_unit_id=base["a"].pk, birthday=dt.date(2999, 1, 1)),
    ]
    with pytest.raises(ValidationFailed) as exc:
        services.customer_batch_create(actor=base["agent"], batch=batch)
    assert {e.field for e in exc.value.errors} == {"0.phones.0.number", "1.addresses.0.region_code", "2.birthday"}
    assert Customer.objects.count() == 1
    with pytest.raises(NotFound):
        services.customer_batch_create(actor=base["agent"], batch=[CustomerData(name="丁", org_unit_id=base["b"].pk)])


def test_unit_batch_create_refuses_customers_the_actor_may_not_see(base, make_user):
    stranger = factories.customer(make_user("agent", base["b"]), base["b"], name="外店客户", phone="13600000000")
    batch = [
        UnitData(serial="SN-9", product_model_id=base["model"].pk, org_unit_id=base["a"].pk, customer_id=stranger.pk)
    ]
    with pytest.raises(ValidationFailed) as exc:
        services.unit_batch_create(actor=base["agent"], batch=batch)
    assert exc.value.errors[0].field == "0.customer_id"
    assert services.unit_batch_create(
        actor=base["agent"], batch=[UnitData("SN-9", base["model"].pk, base["a"].pk)]
    ) == {
        "units": 1,
        "ownerships": 0,
    }


def test_the_import_runs_once_even_if_the_task_runs_twice(base, run, confirm):
    job = confirm(
        base["agent"], run(base["agent"], "units", [UNIT_HEADER, ["SN-1", "JS-100", "", "", "", ""]], unit=base["a"])
    )
    services.import_job_commit_run(job_id=job.pk)
    services.import_job_validate_run(job_id=job.pk)
    assert SoldUnit.objects.count() == 1
    assert ImportJob.objects.get(pk=job.pk).status == ImportStatus.DONE
    with pytest.raises(Conflict):
        services.import_job_confirm(actor=base["agent"], job=job)


def test_old_files_are_purged_and_reports_kept(base, run, confirm, settings):
    job = confirm(
        base["agent"], run(base["agent"], "units", [UNIT_HEADER, ["SN-1", "JS-100", "", "", "", ""]], unit=base["a"])
    )
    path = job.file.path
    ImportJob.objects.filter(pk=job.pk).update(finished_at=job.finished_at - dt.timedelta(days=31))
    assert services.import_files_purge() == 1
    job.refresh_from_db()
    assert not job.file and job.file_purged_at and job.rows_imported == 1
    import os

    assert not os.path.exists(path)
    assert CustomerPhone.objects.count() == 0
