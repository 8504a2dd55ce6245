"""The agent workbench in the UI: pages by role, scoping, queue counts and the one-query-plus-count rule,
lifecycle moves, the stale-version message, bulk actions, intake with its lookups, the composer."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation
from django.utils.translation import gettext
from tests import factories

from aftersales.accounts.models import UserKind
from aftersales.customers.models import Customer
from aftersales.service import search, services
from aftersales.service.models import Attachment, FaultCategory, ServiceRequest, TimelineEntry
from aftersales.service.services import RequestData
from aftersales.service.views import STALE_MESSAGE

# A 1×1 transparent PNG: a real image for the composer's upload.
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000005000127bd7c6a0000000049454e44ae426082"
)


def zh(text: object) -> str:
    """What the page shows for an English source string (the Chinese translation once it exists)."""
    with translation.override("zh-hans"):
        return gettext(str(text))


@pytest.fixture
def world(org, make_user):
    manager = make_user("manager", org["hq"])
    agent = make_user("agent", org["a"], full_name="李客服")
    tech = make_user("technician", org["a"], full_name="王师傅")
    model = factories.product_model(manager)
    customer = factories.customer(agent, org["a"], name="陈先生", phone="13812345678")
    unit = factories.sold_unit(
        agent, model, customer, org["a"], serial="JS-0001", sale_date=timezone.localdate() - dt.timedelta(days=30)
    )
    return {
        "org": org,
        "manager": manager,
        "agent": agent,
        "tech": tech,
        "model": model,
        "customer": customer,
        "unit": unit,
    }


def create(world, **kw) -> ServiceRequest:
    actor = kw.pop("actor", None) or world["agent"]
    data = {
        "type": "repair",
        "customer_id": world["customer"].pk,
        "title": "净水器漏水",
        "description": "厨房净水器底部漏水",
        "channel": "phone",
        "unit_id": world["unit"].pk,
        "auto_assign": False,
        **kw,
    }
    request, _created = services.request_create(actor=actor, data=RequestData(**data))
    return request


def fresh(sr: ServiceRequest) -> ServiceRequest:
    return ServiceRequest.objects.get(pk=sr.pk)


# --- pages by role and scoping ----------------------------------------------------------------


def test_each_page_by_role(world, make_user, ui_client_for):
    sr = create(world)
    agent = ui_client_for(world["agent"])
    for url in ("/service/", "/service/new/", "/service/incomplete/", f"/service/{sr.pk}/"):
        assert agent.get(url).status_code == 200, url
    page = agent.get(f"/service/{sr.pk}/").content.decode()
    assert sr.number in page and 'data-testid="action-start"' in page and 'data-testid="composer"' in page

    auditor = ui_client_for(make_user("auditor", world["org"]["hq"]))  # reads, never writes
    assert auditor.get("/service/").status_code == 200
    read_only = auditor.get(f"/service/{sr.pk}/").content.decode()
    assert sr.number in read_only and 'data-testid="action-start"' not in read_only
    assert 'data-testid="composer"' not in read_only
    assert auditor.get("/service/new/").status_code == 403
    assert auditor.get("/service/incomplete/").status_code == 403
    assert auditor.post(f"/service/{sr.pk}/action/", {"action": "start", "version": sr.version}).status_code == 403

    portal = ui_client_for(make_user("customer", None, kind=UserKind.CUSTOMER))
    assert portal.get("/service/").status_code == 403
    assert portal.get(f"/service/{sr.pk}/").status_code == 403

    anonymous = agent.__class__()
    assert anonymous.get("/service/").status_code == 302


def test_navigation_has_the_service_section(world, ui_client_for):
    page = ui_client_for(world["agent"]).get("/").content.decode()
    for url in ("/service/", "/service/new/", "/service/incomplete/"):
        assert f'href="{url}"' in page


def test_another_outlet_gets_404_for_the_request_page_and_its_actions(world, make_user, ui_client_for):
    sr = create(world)
    other = ui_client_for(make_user("agent", world["org"]["b"]))
    assert other.get(f"/service/{sr.pk}/").status_code == 404
    assert other.post(f"/service/{sr.pk}/action/", {"action": "start", "version": sr.version}).status_code == 404
    assert other.post(f"/service/{sr.pk}/comment/", {"visibility": "note", "body": "x"}).status_code == 404
    assert other.get("/service/?queue=all").context["page"].paginator.count == 0
    assert fresh(sr).status == "registered"


# --- the queues -------------------------------------------------------------------------------


def test_queue_counts_and_rows(world, ui_client_for):
    agent, tech = world["agent"], world["tech"]
    mine = create(world, title="我的工单")
    services.request_assign(actor=agent, request=mine, expected_version=mine.version, assignee_id=agent.pk)
    waiting = create(world, title="等配件")
    services.request_assign(actor=agent, request=waiting, expected_version=waiting.version, assignee_id=tech.pk)
    services.request_transition(
        actor=agent, request=waiting, action="wait_parts", expected_version=waiting.version, reason="缺压缩机"
    )
    create(world, title="没人管", urgency="critical")
    done = create(world, type="consultation", title="咨询", resolve_now=True, resolution="已解答")
    services.request_escalate(
        actor=agent, request=fresh(waiting), found="压缩机损坏", done="已订货", to_unit_id=world["org"]["a"].pk
    )
    client = ui_client_for(agent)

    response = client.get("/service/?queue=open")
    counts = {t["code"]: t["count"] for t in response.context["tabs"]}
    assert counts == {
        "mine": 1,
        "team": 3,
        "unassigned": 1,
        "waiting": 1,
        "escalated": 1,
        "open": 3,
        "done": None,  # the archive queues are not counted on their tabs
        "all": None,
        "overdue": 0,
        "at_risk": 0,
    }
    html = response.content.decode()
    assert 'data-testid="count-unassigned">1<' in html
    assert [r["r"].title for r in client.get("/service/?queue=unassigned").context["rows"]] == ["没人管"]
    assert [r["r"].title for r in client.get("/service/?queue=done").context["rows"]] == [done.title]
    assert [r["r"].title for r in client.get("/service/?queue=open&urgency=critical").context["rows"]] == ["没人管"]
    assert [r["r"].title for r in client.get("/service/?queue=all&q=没人管").context["rows"]] == ["没人管"]
    assert [r["r"].title for r in client.get("/service/?queue=all&q=等配件").context["rows"]] == ["等配件"]
    by_number = client.get(f"/service/?queue=all&q={mine.number.lower()}").context["rows"]
    assert [r["r"].pk for r in by_number] == [mine.pk]
    assert client.get("/service/?queue=all&assignee=" + str(world["tech"].pk)).context["page"].paginator.count == 1
    # The agent has a request of their own, so the workbench opens on "my to-do".
    assert client.get("/service/").context["queue"] == "mine"
    # Malformed filters are ignored, not a 500.
    assert client.get("/service/?queue=nope&team=x&since=yesterday&page=abc").status_code == 200


def test_sorting_by_urgency_and_promised_time(world, ui_client_for):
    now = timezone.now()
    late = create(world, title="普通", promised_at=now + dt.timedelta(days=3))
    create(world, title="特级", urgency="critical")
    soon = create(world, title="紧急", urgency="urgent", promised_at=now + dt.timedelta(hours=2))
    client = ui_client_for(world["agent"])
    titles = [r["r"].title for r in client.get("/service/?queue=all&sort=urgency").context["rows"]]
    assert titles == ["特级", "紧急", "普通"]
    order = [r["r"].pk for r in client.get("/service/?queue=all&sort=promised").context["rows"]]
    assert order[:2] == [soon.pk, late.pk]


def test_past_promised_time_is_red_while_open(world, ui_client_for):
    sr = create(world, title="过期", received_at=timezone.now() - dt.timedelta(days=2))
    ServiceRequest.objects.filter(pk=sr.pk).update(promised_at=timezone.now() - dt.timedelta(hours=1))
    create(world, title="还早", promised_at=timezone.now() + dt.timedelta(hours=5))
    client = ui_client_for(world["agent"])
    html = client.get("/service/?queue=all").content.decode()
    assert html.count('data-testid="overdue"') == 1
    response = client.get("/service/?queue=overdue")
    assert [r["r"].pk for r in response.context["rows"]] == [sr.pk]
    assert {t["code"]: t["count"] for t in response.context["tabs"]}["overdue"] == 1
    services.request_transition(
        actor=world["agent"], request=fresh(sr), action="resolve", expected_version=fresh(sr).version, resolution="好了"
    )
    assert client.get("/service/?queue=overdue").context["page"].paginator.count == 0


def test_rows_show_the_soonest_time_limit_coloured_by_state_and_sort_by_it(world, ui_client_for):
    now = timezone.now()
    late = create(world, title="超时的")
    risky = create(world, title="快到的")
    calm = create(world, title="还早的")
    waiting = create(world, title="等客户的")
    ServiceRequest.objects.filter(pk=late.pk).update(sla_due_at=now - dt.timedelta(hours=3, minutes=5))
    ServiceRequest.objects.filter(pk=risky.pk).update(
        sla_due_at=now + dt.timedelta(minutes=40), sla_warn_at=now - dt.timedelta(minutes=5)
    )
    ServiceRequest.objects.filter(pk=calm.pk).update(
        sla_due_at=now + dt.timedelta(days=2, hours=1, minutes=30), sla_warn_at=now + dt.timedelta(days=1)
    )
    ServiceRequest.objects.filter(pk=waiting.pk).update(status="waiting_customer")
    client = ui_client_for(world["agent"])
    response = client.get("/service/?queue=all&sort=due")
    rows = response.context["rows"]
    assert [r["r"].pk for r in rows][:3] == [late.pk, risky.pk, calm.pk]
    states = {r["r"].pk: r["limit"]["state"] for r in rows}
    assert states == {late.pk: "overdue", risky.pk: "at_risk", calm.pk: "running", waiting.pk: "paused"}
    html = response.content.decode()
    assert html.count('data-testid="limit-overdue"') == 1 and "超时3小时5分" in html
    assert 'data-testid="limit-at_risk"' in html and ("剩余39分钟" in html or "剩余40分钟" in html)
    assert "剩余2天1小时" in html and 'data-testid="limit-paused"' in html


def test_the_queue_is_one_query_for_the_rows_plus_a_few_counts(world, ui_client_for):
    client = ui_client_for(world["agent"])
    for i in range(3):
        create(world, title=f"故障{i}")
    client.get("/service/?queue=open")  # warm caches (permissions, content types)

    def queries(url: str) -> tuple[list[str], int]:
        search.clear_held()  # each measured cold: the search's filter-first answer is asked every time
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        sql = [q["sql"] for q in ctx.captured_queries if "service_servicerequest" in q["sql"]]
        return sql, len(ctx.captured_queries)

    urls = ["/service/?queue=open&sort=urgency", "/service/?queue=overdue", "/service/?queue=all&q=故障&urgency=normal"]
    past = timezone.now() - dt.timedelta(minutes=1)
    ServiceRequest.objects.update(promised_at=past)  # so that the overdue queue has rows too
    before = [queries(url) for url in urls]
    for i in range(12):
        create(world, title=f"更多故障{i}")
    ServiceRequest.objects.update(promised_at=past)
    after = [queries(url) for url in urls]
    for (few, total_few), (many, total_many) in zip(before, after, strict=True):
        # The page's rows, its count, and the tab counts (the backlog's in one grouped query, "all"
        # capped; "done" is the rest below the cap), the page's ids then its rows, and for a search
        # whether the filters leave few rows — whatever the number of rows.
        assert len(few) == len(many) <= 6
        assert total_few == total_many
        assert sum("COUNT(" in q.upper() for q in many) <= 4
    assert client.get("/service/?queue=overdue").context["page"].paginator.count == 15


# --- the request page: a transition, the stale-version message, assignment, escalation ----------


def test_a_transition_through_the_ui(world, ui_client_for):
    sr = create(world)
    client = ui_client_for(world["agent"])
    response = client.post(f"/service/{sr.pk}/action/", {"action": "start", "version": sr.version})
    assert response.status_code == 302 and response["Location"] == f"/service/{sr.pk}/"
    sr = fresh(sr)
    assert sr.status == "in_progress"
    page = client.get(f"/service/{sr.pk}/").content.decode()
    assert 'data-testid="action-resolve"' in page and 'data-testid="action-start"' not in page

    missing = client.post(f"/service/{sr.pk}/action/", {"action": "resolve", "version": sr.version})
    assert missing.status_code == 422
    assert zh("Say how the request was solved.") in missing.content.decode()
    illegal = client.post(f"/service/{sr.pk}/action/", {"action": "close", "version": sr.version})
    assert illegal.status_code == 409 and 'data-testid="page-error"' in illegal.content.decode()

    done = client.post(
        f"/service/{sr.pk}/action/", {"action": "resolve", "version": sr.version, "resolution": "换密封圈"}
    )
    assert done.status_code == 302
    assert fresh(sr).status == "resolved" and fresh(sr).resolution == "换密封圈"


def test_stale_version_shows_reload_message_and_keeps_what_was_typed(world, ui_client_for):
    sr = create(world)
    seen = sr.version
    client = ui_client_for(world["agent"])
    # Someone else moves the request on after this agent opened the page.
    services.request_transition(actor=world["tech"], request=fresh(sr), action="start", expected_version=seen)
    form = {
        "version": seen,
        "type": "repair",
        "urgency": "urgent",
        "title": "我刚改的标题",
        "description": "补充：水压偏高",
        "fault_category": "",
        "unit": world["unit"].pk,
        "promised_at": "",
        "promise_note": "",
        "contact_name": "",
        "contact_phone": "",
    }
    response = client.post(f"/service/{sr.pk}/edit/", form)
    assert response.status_code == 409
    html = response.content.decode()
    assert 'data-testid="stale"' in html and zh(STALE_MESSAGE) in html
    assert "我刚改的标题" in html and "补充：水压偏高" in html
    assert f'href="/service/{sr.pk}/"' in html  # the reload link
    assert fresh(sr).title == "净水器漏水"

    stale_action = client.post(f"/service/{sr.pk}/action/", {"action": "cancel", "version": seen, "reason": "客户撤回"})
    assert stale_action.status_code == 409 and zh(STALE_MESSAGE) in stale_action.content.decode()

    form["version"] = fresh(sr).version
    assert client.post(f"/service/{sr.pk}/edit/", form).status_code == 302
    assert fresh(sr).title == "我刚改的标题" and fresh(sr).urgency == "urgent"


def test_judgment_validation_errors_stay_on_the_form(world, ui_client_for):
    sr = create(world)
    client = ui_client_for(world["agent"])
    response = client.post(
        f"/service/{sr.pk}/edit/",
        {"version": sr.version, "type": "repair", "urgency": "normal", "title": "x", "promised_at": "2000-01-01 08:00"},
    )
    assert response.status_code == 422
    assert zh("The promised time must be after the time received.") in response.content.decode()


def test_assign_and_escalate_from_the_request_page(world, ui_client_for):
    sr = create(world)
    client = ui_client_for(world["agent"])
    assert "王师傅" in client.get(f"/service/{sr.pk}/").content.decode()  # in the assign form's choices
    response = client.post(f"/service/{sr.pk}/assign/", {"version": sr.version, "assignee": world["tech"].pk})
    assert response.status_code == 302
    sr = fresh(sr)
    assert sr.assignee == world["tech"] and sr.status == "dispatched"
    # A re-assignment needs a reason: the refusal lands on the form, the modal opens again.
    again = client.post(f"/service/{sr.pk}/assign/", {"version": sr.version, "assignee": world["agent"].pk})
    assert again.status_code == 422 and zh("Give a reason for the re-assignment.") in again.content.decode()
    assert again.context["open_modal"] == "assign"

    bad = client.post(f"/service/{sr.pk}/escalate/", {"to_unit": world["org"]["a"].pk, "found": "", "done": ""})
    assert bad.status_code == 422 and fresh(sr).is_escalated is False
    ok = client.post(
        f"/service/{sr.pk}/escalate/", {"to_unit": world["org"]["a"].pk, "found": "主板烧毁", "done": "已断电"}
    )
    assert ok.status_code == 302 and fresh(sr).is_escalated is True
    page = client.get(f"/service/{sr.pk}/").content.decode()
    assert 'data-testid="escalated"' in page and "主板烧毁" in page


# --- bulk actions -----------------------------------------------------------------------------


def test_bulk_assign_reports_a_stale_row_without_failing_the_others(world, ui_client_for):
    first = create(world, title="一")
    second = create(world, title="二")
    client = ui_client_for(world["agent"])
    rows = [f"{first.pk}:{first.version}", f"{second.pk}:{second.version}"]
    # The second request changes after the queue was shown.
    services.request_transition(actor=world["tech"], request=second, action="start", expected_version=second.version)
    response = client.post(
        "/service/bulk/",
        {
            "action": "assign",
            "rows": rows,
            "assignee": world["tech"].pk,
            "reason": "按区域",
            "next": "/service/?queue=all",
        },
        follow=True,
    )
    assert response.status_code == 200 and response.redirect_chain[-1][0] == "/service/?queue=all"
    assert fresh(first).assignee == world["tech"]
    assert fresh(second).assignee is None
    texts = [str(m) for m in response.context["messages"]]
    assert any(first.number in t for t in texts)
    assert any(second.number in t and zh(STALE_MESSAGE) in t for t in texts)


def test_bulk_cancel_needs_a_reason_and_cancels_each_row(world, ui_client_for):
    a, b = create(world, title="甲"), create(world, title="乙")
    client = ui_client_for(world["agent"])
    rows = [f"{a.pk}:{a.version}", f"{b.pk}:{b.version}", "999999:1", "junk"]
    refused = client.post("/service/bulk/", {"action": "cancel", "rows": rows[:2]}, follow=True)
    assert zh("Give a reason for cancelling the requests.") in [str(m) for m in refused.context["messages"]]
    assert fresh(a).status == "registered"
    done = client.post("/service/bulk/", {"action": "cancel", "rows": rows[:3], "reason": "重复报修"}, follow=True)
    assert fresh(a).status == fresh(b).status == "cancelled"
    assert any("#999999" in str(m) for m in done.context["messages"])  # an unknown row is reported, not fatal
    nothing = client.post("/service/bulk/", {"action": "assign"}, follow=True)
    assert nothing.status_code == 200


# --- intake -----------------------------------------------------------------------------------


def test_intake_lookups(world, ui_client_for):
    client = ui_client_for(world["agent"])
    found = client.get("/service/new/customers/", {"q": "5678"}).content.decode()
    assert "陈先生" in found and "138****5678" in found and "13812345678" not in found
    assert "陈先生" in client.get("/service/new/customers/", {"q": "陈"}).content.decode()
    assert 'data-testid="caller-none"' in client.get("/service/new/customers/", {"q": "9999"}).content.decode()

    picked = client.get("/service/new/customer/", {"id": world["customer"].pk}).content.decode()
    assert f'name="customer" value="{world["customer"].pk}"' in picked and "JS-0001" in picked

    unit = client.get("/service/new/unit/", {"serial": "js-0001"}).content.decode()
    assert f'name="unit" value="{world["unit"].pk}"' in unit
    assert 'data-covered="true"' in unit and 'hx-swap-oob="true"' in unit
    assert "JS-100" in unit  # the model
    assert 'data-testid="use-owner"' in unit  # no caller yet: offer the owner
    missing = client.get("/service/new/unit/", {"serial": "NOPE"}).content.decode()
    assert 'data-testid="unit-not-found"' in missing and 'name="unit"' not in missing


def test_intake_fault_categories_follow_the_units_product_line(world, ui_client_for):
    water = world["model"].product_line
    other = factories.product_model(world["manager"], code="AC-1", line_code="AC").product_line
    FaultCategory.objects.create(product_line=water, code="LEAK", name="漏水")
    FaultCategory.objects.create(product_line=other, code="COOL", name="不制冷")
    unit = ui_client_for(world["agent"]).get("/service/new/unit/", {"id": world["unit"].pk}).content.decode()
    assert "漏水" in unit and "不制冷" not in unit


def test_intake_creates_a_request_and_lands_on_its_page(world, ui_client_for):
    client = ui_client_for(world["agent"])
    leak = FaultCategory.objects.create(product_line=world["model"].product_line, code="LEAK", name="漏水")
    photo = SimpleUploadedFile("漏水.png", PNG, content_type="image/png")
    form = {
        "idempotency_key": "intake-1",
        "customer": world["customer"].pk,
        "unit": world["unit"].pk,
        "channel": "phone",
        "type": "repair",
        "urgency": "urgent",
        "title": "净水器底部漏水",
        "description": "地板湿了",
        "fault_category": leak.pk,
        "promised_at": (timezone.localtime() + dt.timedelta(hours=4)).strftime("%Y-%m-%d %H:%M"),
        "promise_note": "工程师4小时内回电",
        "attachments": [photo],
    }
    response = client.post("/service/new/", form)
    sr = ServiceRequest.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/service/{sr.pk}/"
    assert (sr.channel, sr.status, sr.urgency, sr.unit_id, sr.fault_category_id) == (
        "phone",
        "registered",
        "urgent",
        world["unit"].pk,
        leak.pk,
    )
    assert sr.warranty_covered is True and sr.promise_note == "工程师4小时内回电"
    assert Attachment.objects.get(request=sr).original_name == "漏水.png"
    page = client.get(f"/service/{sr.pk}/").content.decode()
    assert sr.number in page and 'data-testid="attachment-thumb"' in page
    # The same form sent twice (a double click) makes one request.
    form["attachments"] = []
    assert client.post("/service/new/", form).status_code == 302
    assert ServiceRequest.objects.count() == 1


def test_intake_solved_on_the_spot_and_errors(world, ui_client_for):
    client = ui_client_for(world["agent"])
    base = {"customer": world["customer"].pk, "channel": "walk_in", "type": "consultation", "urgency": "normal"}
    no_caller = client.post("/service/new/", {**base, "customer": "", "title": "怎么换滤芯"})
    assert no_caller.status_code == 422
    assert zh("Look up the caller and pick a customer (or create a new one).") in no_caller.content.decode()
    no_answer = client.post("/service/new/", {**base, "title": "怎么换滤芯", "resolve_now": "on"})
    assert no_answer.status_code == 422 and zh("Say how the request was solved.") in no_answer.content.decode()
    assert 'data-testid="picked-customer"' in no_answer.content.decode()  # the caller stays picked
    ok = client.post("/service/new/", {**base, "title": "怎么换滤芯", "resolve_now": "on", "resolution": "电话指导"})
    assert ok.status_code == 302
    assert ServiceRequest.objects.get().status == "resolved"


def test_intake_mini_form_creates_a_new_caller(world, ui_client_for):
    client = ui_client_for(world["agent"])
    data = {"new-name": "新来电", "new-phone": "13900001111", "new-org_unit": world["org"]["a"].pk}
    response = client.post("/service/new/customer/create/", data, HTTP_HX_REQUEST="true")
    customer = Customer.objects.get(name="新来电")
    assert response["HX-Retarget"] == "#customer-panel"
    assert f'name="customer" value="{customer.pk}"' in response.content.decode()
    again = client.post("/service/new/customer/create/", data, HTTP_HX_REQUEST="true")
    assert "HX-Retarget" not in again and 'data-testid="new-customer-error"' in again.content.decode()
    assert Customer.objects.filter(name="新来电").count() == 1
    bad = client.post("/service/new/customer/create/", {**data, "new-phone": "12"}, HTTP_HX_REQUEST="true")
    assert "HX-Retarget" not in bad and bad.status_code == 200


# --- the timeline and its composer --------------------------------------------------------------


def test_composer_uploads_files_and_appends_the_entry(world, ui_client_for):
    sr = create(world)
    client = ui_client_for(world["agent"])
    files = [
        SimpleUploadedFile("现场.png", PNG, content_type="image/png"),
        SimpleUploadedFile("说明.pdf", b"%PDF-1.4 test", content_type="application/pdf"),
    ]
    response = client.post(
        f"/service/{sr.pk}/comment/",
        {"visibility": "note", "body": "现场照片已上传", "attachments": files},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    html = response.content.decode()
    entry = TimelineEntry.objects.get(request=sr, kind="note")
    assert entry.is_public is False and entry.body == "现场照片已上传"
    assert f'id="entry-{entry.pk}"' in html and 'data-testid="attachment-thumb"' in html and "说明.pdf" in html
    assert 'hx-swap-oob="true"' in html  # a fresh composer
    assert sorted(a.original_name for a in entry.attachments.all()) == ["现场.png", "说明.pdf"]
    thumb = entry.attachments.get(original_name="现场.png")
    assert client.get(f"/service/attachments/{thumb.pk}/").status_code == 200

    refused = client.post(
        f"/service/{sr.pk}/comment/",
        {"visibility": "reply", "body": "", "attachments": [SimpleUploadedFile("x.html", b"<b>", "text/html")]},
        HTTP_HX_REQUEST="true",
    )
    assert refused["HX-Retarget"] == "#composer" and 'data-testid="composer-error"' in refused.content.decode()
    empty = client.post(f"/service/{sr.pk}/comment/", {"visibility": "reply", "body": " "})
    assert empty.status_code == 422
    plain = client.post(f"/service/{sr.pk}/comment/", {"visibility": "reply", "body": "已安排工程师"})
    reply = TimelineEntry.objects.get(request=sr, kind="reply")
    assert plain.status_code == 302 and plain["Location"].endswith(f"#entry-{reply.pk}") and reply.is_public


def test_the_timeline_shows_every_kind_of_step(world, ui_client_for):
    sr = create(world)
    agent = world["agent"]
    services.request_comment(actor=agent, request=sr, body="内部：客户脾气急", public=False)
    services.request_comment(actor=agent, request=sr, body="您好，已安排上门", public=True)
    services.request_assign(actor=agent, request=sr, expected_version=sr.version, assignee_id=world["tech"].pk)
    services.request_escalate(actor=agent, request=sr, found="漏水严重", done="已关阀门", to_user_id=world["tech"].pk)
    html = ui_client_for(agent).get(f"/service/{sr.pk}/").content.decode()
    for kind in ("system", "status", "note", "reply", "assignment", "escalation"):
        assert f'data-kind="{kind}"' in html, kind
    assert "tl-note" in html and "内部：客户脾气急" in html and "漏水严重" in html


# --- incomplete records -----------------------------------------------------------------------


def test_incomplete_records_list_the_missing_fields(world, ui_client_for):
    sr = create(world, unit_id=None, title="缺资料")  # a repair without unit, fault or promise
    create(world, type="consultation", title="完整的咨询")
    response = ui_client_for(world["agent"]).get("/service/incomplete/")
    assert response.status_code == 200
    rows = response.context["page"].object_list
    assert [row["r"].pk for row in rows] == [sr.pk]
    html = response.content.decode()
    with translation.override("zh-hans"):
        expected = [str(ServiceRequest._meta.get_field("fault_category").verbose_name), zh("Unit or product model")]
    for label in expected:
        assert label in html


def test_tab_counts_and_totals_stop_at_the_cap(world, ui_client_for, monkeypatch):
    from aftersales.core import pagination

    monkeypatch.setattr(pagination, "COUNT_CAP", 3)
    for i in range(5):
        create(world, title=f"故障{i}")
    response = ui_client_for(world["agent"]).get("/service/?queue=all&size=25")
    tabs = {t["code"]: t["count"] for t in response.context["tabs"]}
    assert tabs["all"] is None and tabs["done"] is None and tabs["open"] == 5  # backlog counts stay exact
    html = response.content.decode()
    assert 'data-testid="count-open">5<' in html
    assert 'data-testid="count-all"' not in html and 'data-testid="count-done"' not in html
    assert response.context["page"].paginator.capped and len(response.context["rows"]) == 3


def test_queue_counts_equal_the_queues_own_filters(world, make_user):
    """The workbench's counts (plain SQL around the scoped backlog) agree with the ORM's definition of
    each queue for every combination of promised time, due time and warning time, and for each kind of
    actor (head office, outlet, another outlet, someone who registered a request elsewhere)."""
    import itertools
    import random

    from aftersales.service import rules, selectors

    now = timezone.now()
    hour = dt.timedelta(hours=1)
    times = [None, now - hour, now + hour]
    agent, tech = world["agent"], world["tech"]
    other = make_user("agent", world["org"]["b"])
    requests = []
    for promised, due, warn in itertools.product(times, times, times):
        requests.append(create(world, title=f"时限{len(requests)}"))
        ServiceRequest.objects.filter(pk=requests[-1].pk).update(promised_at=promised, sla_due_at=due, sla_warn_at=warn)
    rng = random.Random(7)
    states = sorted(rules.OPEN | rules.DONE)
    for sr in requests:
        ServiceRequest.objects.filter(pk=sr.pk).update(
            status=rng.choice(states),
            assignee=rng.choice([None, agent, tech]),
            is_escalated=rng.random() < 0.3,
        )
    # A request of outlet B that the outlet-A agent registered: in the agent's scope through the registrant.
    customer_b = factories.customer(other, world["org"]["b"], name="周女士")
    elsewhere = create(world, actor=other, customer_id=customer_b.pk, unit_id=None)
    ServiceRequest.objects.filter(pk=elsewhere.pk).update(created_by=agent, promised_at=now - hour)

    for actor in (world["manager"], agent, tech, other):
        counts = selectors.queue_counts(actor=actor, now=now)
        backlog = selectors.scoped(actor).filter(status__in=rules.OPEN)
        expected = {
            "open": backlog.count(),
            "mine": backlog.filter(assignee_id=actor.pk).count(),
            "team": backlog.filter(org_unit_id=actor.org_unit_id).count(),
            "unassigned": backlog.filter(assignee__isnull=True).count(),
            "waiting": backlog.filter(status__in=rules.WAITING).count(),
            "escalated": backlog.filter(is_escalated=True).count(),
            "overdue": backlog.filter(selectors.overdue_q(now)).count(),
            "at_risk": backlog.filter(selectors.at_risk_q(now)).count(),
        }
        assert {k: counts[k] for k in expected} == expected, actor.username
        assert counts["all"] is None and counts["done"] is None
    assert selectors.queue_counts(actor=agent, now=now)["overdue"] >= 1


def test_queue_counts_of_someone_who_sees_nothing(world, make_user):
    from aftersales.service import selectors

    create(world)
    portal = make_user("customer", None, kind=UserKind.CUSTOMER)  # no customer record: sees nothing
    counts = selectors.queue_counts(actor=portal)
    assert counts["open"] == 0 and counts["mine"] == 0 and counts["all"] is None


def test_the_judgment_form_offers_the_customers_units_by_serial_and_model(world, ui_client_for):
    second = factories.sold_unit(
        world["agent"], world["model"], world["customer"], world["org"]["a"], serial="JS-0002", sale_date=None
    )
    other = factories.customer(world["agent"], world["org"]["a"], name="张女士", phone="13900000000")
    theirs = factories.sold_unit(world["agent"], world["model"], other, world["org"]["a"], serial="JS-9999")
    sr = create(world)
    page = ui_client_for(world["agent"]).get(f"/service/{sr.pk}/").content.decode()
    code = world["model"].code
    for unit in (world["unit"], second):
        assert f'<option value="{unit.pk}"' in page and f"{unit.serial} · {code}" in page
    assert theirs.serial not in page  # another customer's unit
