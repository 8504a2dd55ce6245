"""UI of imports and exports: upload → job page → confirm, downloads, exports masked by role, scoping."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook
from tests import factories

from aftersales.core.models import AuditEntry
from aftersales.customers.models import Customer
from aftersales.exchange.models import ImportJob, ImportKind, ImportStatus
from aftersales.exchange.tests.helpers import upload
from aftersales.sales import services as sales

UNIT_HEADER = ["序列号", "型号", "销售日期"]


@pytest.fixture
def base(org, make_user, ui_client_for):
    manager = make_user("manager", org["hq"])
    agent = make_user("agent", org["a"])
    model = factories.product_model(manager)
    return {
        "manager": manager,
        "agent": agent,
        "model": model,
        "org": org,
        "agent_client": ui_client_for(agent),
        "manager_client": ui_client_for(manager),
    }


def _sheet(response) -> list[tuple]:
    content = b"".join(response.streaming_content)
    workbook = load_workbook(io.BytesIO(content), read_only=True)
    return [tuple(row) for row in workbook.worksheets[0].iter_rows(values_only=True)]


def _upload(client, rows, *, kind="units", mode="all_or_nothing", unit, capture, name="units.xlsx"):
    with capture(execute=True):
        return client.post(
            reverse("exchange:job_create"),
            {"kind": kind, "mode": mode, "org_unit": unit.pk, "file": upload(rows, name=name)},
        )


def test_upload_check_confirm_in_the_browser(base, django_capture_on_commit_callbacks):
    client = base["agent_client"]
    # given: the form
    page = client.get(reverse("exchange:job_create"))
    assert page.status_code == 200
    assert 'data-testid="import-form"' in page.content.decode()
    # when: a file with one bad row is uploaded in valid-rows-only mode
    rows = [UNIT_HEADER, ["SN-1", "JS-100", "2026-01-05"], ["SN-2", "XX", "2026-01-05"]]
    response = _upload(
        client, rows, mode="valid_rows_only", unit=base["org"]["a"], capture=django_capture_on_commit_callbacks
    )
    job = ImportJob.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("exchange:job_detail", args=[job.pk])
    # then: the job page shows the counts, the preview and the error table, and stops polling
    html = client.get(response["Location"]).content.decode()
    assert 'data-status="validated"' in html and "every 2s" not in html
    assert 'data-testid="preview-table"' in html and "SN-1" in html
    assert 'data-testid="error-table"' in html and "型号不存在" in html
    assert 'data-testid="confirm-import"' in html
    # and the error report downloads as .xlsx
    report = client.get(reverse("exchange:job_errors", args=[job.pk]))
    assert report["Content-Type"].startswith("application/vnd.openxmlformats")
    assert _sheet(report) == [("行号", "列", "原因"), (3, "型号", "型号不存在")]
    # when confirmed
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("exchange:job_confirm", args=[job.pk]))
    job.refresh_from_db()
    assert job.status == ImportStatus.DONE and job.rows_imported == 1
    html = client.get(reverse("exchange:job_detail", args=[job.pk])).content.decode()
    assert 'data-testid="job-summary"' in html and 'data-testid="confirm-import"' not in html


def test_the_page_polls_while_the_job_runs(base, django_capture_on_commit_callbacks):
    client = base["agent_client"]
    # The validation task is queued after commit; without running it the job waits.
    client.post(
        reverse("exchange:job_create"),
        {"kind": "units", "mode": "all_or_nothing", "org_unit": base["org"]["a"].pk, "file": upload([UNIT_HEADER])},
    )
    job = ImportJob.objects.get()
    assert job.status == ImportStatus.UPLOADED
    panel = client.get(reverse("exchange:job_panel", args=[job.pk])).content.decode()
    assert 'hx-trigger="every 2s"' in panel
    assert reverse("exchange:job_panel", args=[job.pk]) in panel


def test_all_or_nothing_with_errors_offers_no_import(base, django_capture_on_commit_callbacks):
    client = base["agent_client"]
    rows = [UNIT_HEADER, ["SN-1", "JS-100", "2026-01-05"], ["SN-2", "XX", ""]]
    _upload(client, rows, unit=base["org"]["a"], capture=django_capture_on_commit_callbacks)
    job = ImportJob.objects.get()
    html = client.get(reverse("exchange:job_detail", args=[job.pk])).content.decode()
    assert 'data-testid="confirm-import"' not in html and 'data-testid="job-refusal"' in html
    response = client.post(reverse("exchange:job_confirm", args=[job.pk]), follow=True)
    assert "全部成功才导入" in response.content.decode()
    assert ImportJob.objects.get().status == ImportStatus.VALIDATED


def test_form_errors_are_shown_on_the_form(base):
    response = base["agent_client"].post(
        reverse("exchange:job_create"),
        {
            "kind": "units",
            "mode": "all_or_nothing",
            "org_unit": base["org"]["a"].pk,
            "file": upload([["x"]], name="a.xls"),
        },
    )
    assert response.status_code == 200
    assert 'data-testid="file-error"' in response.content.decode()
    assert not ImportJob.objects.exists()


def test_another_outlet_sees_nothing(base, make_user, ui_client_for, django_capture_on_commit_callbacks):
    _upload(
        base["agent_client"],
        [UNIT_HEADER, ["SN-1", "JS-100", ""]],
        unit=base["org"]["a"],
        capture=django_capture_on_commit_callbacks,
        name="徐汇网点机器.xlsx",
    )
    job = ImportJob.objects.get()
    other = ui_client_for(make_user("agent", base["org"]["b"]))
    for name in ("job_detail", "job_panel", "job_errors"):
        assert other.get(reverse(f"exchange:{name}", args=[job.pk])).status_code == 404
    assert other.post(reverse("exchange:job_confirm", args=[job.pk])).status_code == 404
    assert job.original_name not in other.get(reverse("exchange:job_list")).content.decode()


def test_roles_without_imports_are_refused(base, make_user, ui_client_for):
    technician = ui_client_for(make_user("technician", base["org"]["a"]))
    assert technician.get(reverse("exchange:job_list")).status_code == 403
    assert technician.get(reverse("exchange:job_create")).status_code == 403
    # An agent may import customers and units, not product models.
    html = base["agent_client"].get(reverse("exchange:job_create")).content.decode()
    assert 'value="units"' in html and 'value="product_models"' not in html


def test_job_list_queries_do_not_grow_with_the_page(base, django_capture_on_commit_callbacks):
    client = base["manager_client"]

    def make(count: int) -> None:
        for i in range(count):
            ImportJob.objects.create(
                kind=ImportKind.UNITS,
                original_name=f"f{i}.xlsx",
                file_format="xlsx",
                created_by=base["agent"],
                org_unit=base["org"]["a"],
            )

    make(2)
    client.get(reverse("exchange:job_list"))  # warm the session and permission caches
    with CaptureQueriesContext(connection) as few:
        assert client.get(reverse("exchange:job_list")).status_code == 200
    make(20)
    with CaptureQueriesContext(connection) as many:
        html = client.get(reverse("exchange:job_list")).content.decode()
    assert "f19.xlsx" in html
    assert len(many) == len(few) <= 12


@pytest.mark.parametrize("kind", ImportKind.values)
def test_templates_have_the_header_row_and_an_example(base, kind):
    response = base["manager_client"].get(reverse("exchange:template", args=[kind]))
    assert response.status_code == 200
    rows = _sheet(response)
    from aftersales.exchange.importers import importer_class

    assert list(rows[0]) == [c.header for c in importer_class(kind).columns]
    assert any(v is not None for v in rows[1])


def test_the_customer_template_imports_as_it_is(base, django_capture_on_commit_callbacks):
    content = b"".join(base["agent_client"].get(reverse("exchange:template", args=["customers"])).streaming_content)
    workbook = load_workbook(io.BytesIO(content))
    rows = [list(r) for r in workbook.worksheets[0].iter_rows(values_only=True)]
    _upload(
        base["agent_client"], rows, kind="customers", unit=base["org"]["a"], capture=django_capture_on_commit_callbacks
    )
    job = ImportJob.objects.get()
    assert (job.rows_valid, job.rows_invalid) == (1, 0), job.errors


# --- exports ----------------------------------------------------------------------------------


@pytest.fixture
def customers(base):
    agent, unit = base["agent"], base["org"]["a"]
    first = factories.customer(agent, unit, name="张三丰", phone="13812345678", tier="A")
    factories.customer(agent, unit, name="李四", phone="13900000000", tier="C", addresses=())
    return first


def test_customer_export_is_masked_without_the_export_permission(base, customers):
    response = base["agent_client"].get(reverse("exchange:export"), {"kind": "customers", "tier": "A"})
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    rows = _sheet(response)
    header, data = rows[0], rows[1:]
    assert header[:6] == ("客户编号", "客户名称", "客户类型", "性别", "手机", "其他电话")
    assert len(data) == 1
    row = dict(zip(header, data[0], strict=True))
    assert row["客户名称"] == "张**" and row["手机"] == "138****5678"
    assert row["区县"] == "南山区" and row["详细地址"] == "****"
    entry = AuditEntry.objects.get(action="export")
    assert entry.actor == base["agent"] and entry.target_type == "customers.customer"
    assert "personal_data=False" in entry.note and "'tier': 'A'" in entry.note


def test_the_list_pages_query_string_can_be_appended(base, customers):
    # The customer list filters individual/company as `kind`, the export is named by `kind` too.
    url = reverse("exchange:export") + "?kind=customers&q=&tier=&kind=individual&page=2"
    assert len(_sheet(base["agent_client"].get(url))) == 3
    url = reverse("exchange:export") + "?kind=customers&kind=company"
    assert len(_sheet(base["agent_client"].get(url))) == 1


def test_customer_export_is_full_with_the_permission(base, customers):
    rows = _sheet(base["manager_client"].get(reverse("exchange:export"), {"kind": "customers"}))
    assert len(rows) == 3
    by_name = {r[1]: dict(zip(rows[0], r, strict=True)) for r in rows[1:]}
    assert by_name["张三丰"]["手机"] == "13812345678"
    assert by_name["张三丰"]["省"] == "广东省" and by_name["张三丰"]["详细地址"] == "科技园1号"
    assert "personal_data=True" in AuditEntry.objects.get(action="export").note


def test_customer_export_is_scoped(base, customers, make_user, ui_client_for):
    other = ui_client_for(make_user("agent", base["org"]["b"]))
    assert _sheet(other.get(reverse("exchange:export"), {"kind": "customers"})) == [
        tuple(_sheet(base["agent_client"].get(reverse("exchange:export"), {"kind": "customers"}))[0])
    ]


def test_other_exports(base, customers):
    unit = factories.sold_unit(base["agent"], base["model"], customers, base["org"]["a"], serial="SN-7")
    sales.order_create(
        actor=base["manager"],
        customer_id=customers.pk,
        org_unit_id=base["org"]["a"].pk,
        order_date=dt.date(2026, 1, 5),
        lines=[sales.LineData(product_model_id=base["model"].pk, quantity=2, unit_price=Decimal("99.50"))],
    )
    client = base["agent_client"]
    units = _sheet(client.get(reverse("exchange:export"), {"kind": "units", "q": "SN"}))
    assert units[1][:5] == ("SN-7", "JS-100", "净水器", customers.code, "张**")
    assert units[1][7] == dt.datetime(2025, 3, 15)
    models = _sheet(client.get(reverse("exchange:export"), {"kind": "product_models"}))
    assert models[1][:3] == ("JS-100", "净水器", "WATER")
    orders = _sheet(client.get(reverse("exchange:export"), {"kind": "orders"}))
    assert orders[1][7] == 199 and orders[1][3] == "张**"
    labour = _sheet(base["manager_client"].get(reverse("exchange:export"), {"kind": "labour_items"}))
    assert labour[0][0] == "收费标准名称"
    assert AuditEntry.objects.filter(action="export").count() == 4
    assert unit.pk


def test_exports_need_the_view_permission(base, make_user, ui_client_for):
    portal = make_user("", base["org"]["a"], kind="customer")
    response = ui_client_for(portal).get(reverse("exchange:export"), {"kind": "customers"})
    assert response.status_code == 403
    assert base["agent_client"].get(reverse("exchange:export"), {"kind": "nonsense"}).status_code == 422
    assert Customer.objects.count() == 0
