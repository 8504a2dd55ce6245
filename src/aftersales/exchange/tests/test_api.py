"""API of imports: upload, report (masked preview), confirm, scoping, exports."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook
from tests import factories

from aftersales.catalog.models import SoldUnit
from aftersales.exchange.tests.helpers import upload


@pytest.fixture
def base(org, make_user, api_client_for):
    manager = make_user("manager", org["hq"])
    agent = make_user("agent", org["a"])
    factories.product_model(manager)
    return {"agent": agent, "agent_api": api_client_for(agent), "manager_api": api_client_for(manager), "org": org}


def _post(client, rows, *, capture, kind="units", mode="all_or_nothing", unit, name="data.xlsx"):
    with capture(execute=True):
        return client.post(
            "/api/v1/imports",
            {"kind": kind, "mode": mode, "org_unit_id": unit.pk, "file": upload(rows, name=name)},
        )


def test_upload_report_and_confirm(base, django_capture_on_commit_callbacks):
    rows = [["序列号", "型号"], ["SN-1", "JS-100"], ["SN-2", "XX-1"]]
    response = _post(
        base["agent_api"],
        rows,
        capture=django_capture_on_commit_callbacks,
        mode="valid_rows_only",
        unit=base["org"]["a"],
    )
    assert response.status_code == 201, response.content
    job_id = response.json()["id"]
    job = base["agent_api"].get(f"/api/v1/imports/{job_id}").json()
    assert job["status"] == "validated"
    assert job["errors"] == [{"row": 3, "column": "型号", "message": "型号不存在"}]
    assert job["preview_rows"][0][0] == "SN-1"
    with django_capture_on_commit_callbacks(execute=True):
        response = base["agent_api"].post(f"/api/v1/imports/{job_id}/confirm")
    assert response.status_code == 200
    assert base["agent_api"].get(f"/api/v1/imports/{job_id}").json()["status"] == "done"
    assert SoldUnit.objects.count() == 1
    listing = base["agent_api"].get("/api/v1/imports").json()
    assert listing["count"] == 1 and listing["items"][0]["id"] == job_id


def test_errors_answer_with_the_usual_codes(base, make_user, api_client_for, django_capture_on_commit_callbacks):
    rows = [["序列号", "型号"], ["SN-1", "XX-1"]]
    job_id = _post(base["agent_api"], rows, capture=django_capture_on_commit_callbacks, unit=base["org"]["a"]).json()[
        "id"
    ]
    conflict = base["agent_api"].post(f"/api/v1/imports/{job_id}/confirm")
    assert conflict.status_code == 409 and conflict.json()["code"] == "conflict"
    other = api_client_for(make_user("agent", base["org"]["b"]))
    assert other.get(f"/api/v1/imports/{job_id}").status_code == 404
    bad = _post(
        base["agent_api"], rows, capture=django_capture_on_commit_callbacks, unit=base["org"]["a"], name="a.xls"
    )
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "file"
    forbidden = _post(
        base["agent_api"],
        rows,
        capture=django_capture_on_commit_callbacks,
        kind="product_models",
        unit=base["org"]["a"],
    )
    assert forbidden.status_code == 403


def test_customer_preview_is_masked_for_roles_without_personal_data(base, django_capture_on_commit_callbacks):
    rows = [
        ["客户名称", "手机", "省", "市", "区县", "详细地址"],
        ["张三", "13812345678", "广东省", "深圳市", "南山区", "科技园1号"],
    ]
    job_id = _post(
        base["agent_api"], rows, capture=django_capture_on_commit_callbacks, kind="customers", unit=base["org"]["a"]
    ).json()["id"]
    masked = base["agent_api"].get(f"/api/v1/imports/{job_id}").json()["preview_rows"][0]
    assert masked[2] == "138****5678" and masked[4] == "****"
    full = base["manager_api"].get(f"/api/v1/imports/{job_id}").json()["preview_rows"][0]
    assert full[2] == "13812345678" and full[4] == "科技园1号"


def test_exports(base):
    response = base["agent_api"].get("/api/v1/exports/product_models")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).worksheets[0]
    assert sheet["A2"].value == "JS-100"
    assert base["agent_api"].get("/api/v1/exports/nothing").status_code == 422
