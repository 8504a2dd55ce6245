"""Browser test: a service agent uploads a GBK CSV from Excel, reads the report and imports the valid rows."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from playwright.sync_api import Page, expect

from aftersales.accounts.models import OrgUnit, OrgUnitKind, User
from aftersales.accounts.services import roles_sync
from aftersales.customers.models import Customer
from aftersales.exchange.tests.helpers import csv_bytes

PASSWORD = "Correct-Horse-42"

pytestmark = pytest.mark.browser


@pytest.fixture
def agent(transactional_db: None) -> User:
    roles_sync()
    unit = OrgUnit.objects.create(name="上海徐汇服务网点", code="O-A", kind=OrgUnitKind.OUTLET)
    unit.path = f"/{unit.pk}/"
    unit.save(update_fields=["path"])
    user = User(username="lead", full_name="李客服", org_unit=unit)
    user.set_password(PASSWORD)
    user.save()
    user.groups.add(Group.objects.get(name="agent"))
    return user


def test_import_customers_from_a_gbk_csv(page: Page, agent: User, tmp_path) -> None:
    # given: a CSV as Excel in China saves it, one row with a bad phone
    path = tmp_path / "客户名单.csv"
    path.write_bytes(
        csv_bytes(
            [
                ["客户名称", "手机", "省", "市", "区县", "详细地址"],
                ["张三", "13812345678", "广东省", "深圳市", "南山区", "科技园1号"],
                ["李四", "1381234", "广东省", "深圳市", "南山区", "科技园2号"],
            ],
            encoding="gbk",
        )
    )
    page.goto("/login/")
    page.fill("input[name=username]", "lead")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    # when: uploaded in valid-rows-only mode
    page.goto("/exchange/new/")
    page.select_option("select[name=kind]", "customers")
    page.set_input_files("[data-testid=import-file]", str(path))
    page.check("[data-testid=mode-valid_rows_only]")
    page.click("[data-testid=import-upload]")
    # then: the job page shows the report and the preview, masked for a role without full personal data
    expect(page.get_by_test_id("job-status")).to_have_text("已校验")
    expect(page.get_by_test_id("error-table")).to_contain_text("手机号格式不正确")
    expect(page.get_by_test_id("preview-table")).to_contain_text("138****5678")
    # when: the valid row is imported
    page.get_by_test_id("confirm-import").click()
    expect(page.get_by_test_id("job-status")).to_have_text("已完成")
    expect(page.get_by_test_id("rows-imported")).to_have_text("1")
    assert list(Customer.objects.values_list("name", flat=True)) == ["张三"]
