"""Service-request services against the database: intake, each transition, assignment, escalation,
timeline and attachments, search, optimistic locking, portal scoping."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from tests import factories

from aftersales.core.errors import Conflict, NotFound, PermissionDenied, StaleVersion, ValidationFailed
from aftersales.core.models import AuditEntry
from aftersales.customers.models import Customer
from aftersales.service import selectors, services
from aftersales.service.models import AssignmentRule, ServiceRequest, StaffAvailability, TimelineEntry
from aftersales.service.services import RequestData


@pytest.fixture
def world(org, make_user):
    manager = make_user("manager", org["hq"])
    agent = make_user("agent", org["a"])
    model = factories.product_model(manager)
    customer = factories.customer(agent, org["a"], name="陈先生", phone="13812345678")
    unit = factories.sold_unit(
        agent, model, customer, org["a"], serial="JS-0001", sale_date=timezone.localdate() - dt.timedelta(days=30)
    )
    return {"manager": manager, "agent": agent, "model": model, "customer": customer, "unit": unit}


def create(world, **kw):
    data = {
        "type": "repair",
        "customer_id": world["customer"].pk,
        "title": "净水器漏水",
        "description": "厨房净水器底部漏水，滤芯更换后仍然漏水",
        "channel": "phone",
        "unit_id": world["unit"].pk,
        "auto_assign": False,
        **kw,
    }
    actor = kw.pop("actor", None) or world["agent"]
    data.pop("actor", None)
    request, _created = services.request_create(actor=actor, data=RequestData(**data))
    return request


def test_agent_intake_registers_and_snapshots_warranty(world):
    request = create(world)
    assert request.number.startswith("SR" + timezone.localdate().strftime("%Y%m%d") + "-")
    assert request.status == "registered" and request.warranty_covered is True
    assert request.product_model == world["model"] and request.org_unit == world["customer"].org_unit
    kinds = list(request.timeline.values_list("kind", "data__action"))
    assert kinds == [("system", None), ("status", "register")]
    assert AuditEntry.objects.filter(target_type="service.servicerequest", object_id=str(request.pk)).count() == 2


def test_numbers_count_per_day(world):
    a, b = create(world), create(world)
    assert int(b.number[-6:]) == int(a.number[-6:]) + 1


def test_consultation_solved_on_the_spot_in_one_step(world):
    request = create(world, type="consultation", unit_id=None, resolve_now=True, resolution="已告知滤芯更换周期")
    assert request.status == "resolved" and request.resolution == "已告知滤芯更换周期" and request.resolved_at
    with pytest.raises(ValidationFailed):
        create(world, type="consultation", resolve_now=True)


def test_intake_validation(world, org, make_user):
    other = factories.customer(world["agent"], org["a"], name="别人", phone="13900000000", addresses=())
    with pytest.raises(ValidationFailed) as exc:
        create(
            world,
            type="magic",
            title=" ",
            urgency="x",
            customer_id=other.pk,
            promised_at=timezone.now() - dt.timedelta(days=1),
        )
    fields = {e.field for e in exc.value.errors}
    assert {"type", "title", "urgency", "unit_id", "promised_at"} <= fields
    assert not ServiceRequest.objects.exists()


def test_idempotency_key_returns_the_first_request(world):
    data = RequestData(type="repair", customer_id=world["customer"].pk, title="漏水", channel="api", auto_assign=False)
    first, created = services.request_create(actor=world["agent"], data=data, idempotency_key="abc-1")
    again, created_again = services.request_create(actor=world["agent"], data=data, idempotency_key="abc-1")
    assert created and not created_again and first.pk == again.pk
    assert ServiceRequest.objects.count() == 1
    # The retry was answered before anything was reserved: the next request takes the next number.
    following = create(world)
    assert int(following.number[-6:]) == int(first.number[-6:]) + 1


def test_a_create_whose_write_fails_leaves_nothing_but_an_unused_number(world, monkeypatch):
    from django.db import IntegrityError

    from aftersales.notifications.models import OutboxMessage

    before = create(world)
    counts = (ServiceRequest.objects.count(), TimelineEntry.objects.count(), AuditEntry.objects.count())
    messages = OutboxMessage.objects.count()

    def refuse(messages):
        raise IntegrityError("the last statement of the write fails")

    monkeypatch.setattr(services, "messages_store", refuse)
    with pytest.raises(IntegrityError):
        create(world)
    monkeypatch.undo()
    assert (ServiceRequest.objects.count(), TimelineEntry.objects.count(), AuditEntry.objects.count()) == counts
    assert OutboxMessage.objects.count() == messages
    after = create(world)
    # The failed create's number and key stay unused: no later request can take them.
    assert int(after.number[-6:]) == int(before.number[-6:]) + 2 and after.pk >= before.pk + 2


def test_technicians_cannot_create_for_other_units(world, org, make_user):
    with pytest.raises(NotFound):
        create(world, actor=make_user("agent", org["b"]))
    with pytest.raises(PermissionDenied):
        create(world, actor=make_user("parts_clerk", org["a"]))


def transition(world, request, action, **kw):
    return services.request_transition(
        actor=world["agent"], request=request, action=action, expected_version=request.version, **kw
    )


def test_a_full_lifecycle(world):
    request = create(world)
    services.request_assign(
        actor=world["agent"], request=request, expected_version=request.version, assignee_id=world["agent"].pk
    )
    assert request.status == "dispatched" and request.assignee == world["agent"]
    transition(world, request, "start")
    transition(world, request, "wait_parts", reason="等压缩机")
    transition(world, request, "resume")
    transition(world, request, "resolve", resolution="更换压缩机")
    transition(world, request, "close")
    transition(world, request, "reopen", reason="客户反映仍漏水")
    assert request.status == "in_progress" and request.reopen_count == 1 and request.closed_at is None
    statuses = list(TimelineEntry.objects.filter(request=request, kind="status").values_list("data__after", flat=True))
    assert statuses == [
        "registered",
        "dispatched",
        "in_progress",
        "waiting_parts",
        "in_progress",
        "resolved",
        "closed",
        "in_progress",
    ]
    request.refresh_from_db()
    assert request.status == "in_progress"


@pytest.mark.parametrize(
    ("action", "kw"),
    [
        ("close", {}),
        ("resume", {}),
        ("reopen", {"reason": "x"}),
        ("register", {}),
    ],
)
def test_illegal_transitions_are_409(world, action, kw):
    request = create(world)  # registered
    with pytest.raises(Conflict) as exc:
        transition(world, request, action, **kw)
    assert exc.value.code == "illegal_transition"
    assert "已登记" in exc.value.message or "registered" in exc.value.message.lower()


def test_required_fields_of_transitions(world):
    request = create(world)
    with pytest.raises(ValidationFailed):
        transition(world, request, "resolve")
    with pytest.raises(ValidationFailed):
        transition(world, request, "cancel")
    transition(world, request, "cancel", reason="客户撤销")
    assert request.status == "cancelled" and request.cancel_reason == "客户撤销"
    with pytest.raises(Conflict):
        transition(world, request, "reopen", reason="x")


def test_stale_version_is_refused(world):
    request = create(world)
    stale = ServiceRequest.objects.get(pk=request.pk)
    transition(world, request, "start")
    with pytest.raises(StaleVersion):
        services.request_transition(
            actor=world["agent"], request=stale, action="resolve", expected_version=stale.version, resolution="x"
        )


def test_auto_assignment_least_load_respects_duty_and_cap(world, org, make_user):
    techs = [make_user("technician", org["a1"]) for _ in range(3)]
    StaffAvailability.objects.create(user=techs[0], on_duty=False)
    StaffAvailability.objects.create(user=techs[1], max_open=1)
    AssignmentRule.objects.create(name="徐汇维修", request_type="repair", within_unit=org["a"], target_unit=org["a1"])
    first = create(world, auto_assign=True)
    first.refresh_from_db()
    assert first.assignee == techs[1] and first.status == "dispatched" and first.org_unit == org["a1"]
    second = create(world, auto_assign=True)
    second.refresh_from_db()
    assert second.assignee == techs[2]  # techs[1] reached the cap of 1
    consultation = create(world, type="consultation", unit_id=None, auto_assign=True)
    consultation.refresh_from_db()
    assert consultation.assignee is None  # no rule for consultations
    assert services.request_auto_assign(request=first) is None  # idempotent


def test_a_create_dispatched_by_a_rule_is_written_whole_in_one_short_transaction(
    world, org, make_user, django_capture_on_commit_callbacks
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from aftersales.notifications.models import OutboxMessage
    from aftersales.sla.services import sla_presets_load

    sla_presets_load(actor=make_user("admin", org["hq"]))
    tech = make_user("technician", org["a1"], full_name="王师傅")
    AssignmentRule.objects.create(name="徐汇维修", request_type="repair", within_unit=org["a"], target_unit=org["a1"])
    create(world)  # warm the per-process calendar cache
    with django_capture_on_commit_callbacks(execute=False), CaptureQueriesContext(connection) as queries:
        request = create(world, auto_assign=True)
    sql = [q["sql"] for q in queries]
    # The write is the last transaction (a savepoint here, inside the test's own transaction).
    begin = max(i for i, q in enumerate(sql) if q.startswith(("BEGIN", "SAVEPOINT")))
    in_transaction = [q for q in sql[begin + 1 :] if not q.startswith(("COMMIT", "RELEASE"))]
    assert all(q.startswith(("INSERT", "UPDATE")) for q in in_transaction), in_transaction  # no reads under the lock
    assert len(in_transaction) <= 7, in_transaction
    # The number and the key were reserved before it, and the write does not touch the counters.
    reserving = [i for i, q in enumerate(sql) if "INSERT INTO core_sequence" in q or 'INSERT INTO "core_sequence"' in q]
    assert len(reserving) == 1 and reserving[0] < begin, sql
    assert not any("sqlite_sequence" in q or "nextval" in q for q in in_transaction)
    assert len(sql) <= 24, sql  # with the reservation's own BEGIN and COMMIT
    request.refresh_from_db()
    assert (request.status, request.assignee, request.org_unit) == ("dispatched", tech, org["a1"])
    steps = list(request.timeline.order_by("id").values_list("kind", "data__action"))
    assert steps == [("system", None), ("status", "register"), ("status", "dispatch"), ("assignment", None)]
    audits = AuditEntry.objects.filter(target_type="service.servicerequest", object_id=str(request.pk))
    assert sorted(audits.values_list("action", flat=True)) == ["create", "transition", "transition", "update"]
    assert set(OutboxMessage.objects.filter(related_id=str(request.pk)).values_list("event", flat=True)) == {
        "request.received",
        "request.dispatched",
    }
    timers = {t.metric: t for t in request.timers.all()}
    assert timers["first_response"].met_at is not None and timers["resolution"].met_at is None
    assert request.sla_due_at == min(t.due_at for t in timers.values() if t.met_at is None)
    assert request.search_document.body.startswith(request.number.lower())


def test_a_consultation_solved_on_the_spot_is_resolved_in_time(world, org, make_user):
    from aftersales.sla.services import sla_presets_load

    sla_presets_load(actor=make_user("admin", org["hq"]))
    request = create(world, type="consultation", unit_id=None, resolve_now=True, resolution="已解答")
    request.refresh_from_db()
    assert request.status == "resolved" and request.resolved_in_time is True and request.sla_due_at is None
    steps = list(request.timeline.order_by("id").values_list("data__action", flat=True))
    assert steps == [None, "register", "resolve"]
    assert all(t.met_at is not None for t in request.timers.all())


def test_round_robin(world, org, make_user):
    techs = [make_user("technician", org["a1"]) for _ in range(2)]
    AssignmentRule.objects.create(name="轮派", within_unit=org["a"], target_unit=org["a1"], strategy="round_robin")
    got = []
    for _ in range(3):
        r = create(world, auto_assign=True)
        r.refresh_from_db()
        got.append(r.assignee_id)
    assert got == [techs[0].pk, techs[1].pk, techs[0].pk]


def test_reassignment_needs_a_reason_and_dispatch_permission(world, org, make_user):
    tech = make_user("technician", org["a"])
    request = create(world)
    with pytest.raises(PermissionDenied):
        services.request_assign(actor=tech, request=request, expected_version=request.version, assignee_id=tech.pk)
    services.request_assign(
        actor=world["agent"], request=request, expected_version=request.version, assignee_id=tech.pk
    )
    with pytest.raises(ValidationFailed):
        services.request_assign(
            actor=world["agent"], request=request, expected_version=request.version, assignee_id=world["agent"].pk
        )
    services.request_assign(
        actor=world["agent"],
        request=request,
        expected_version=request.version,
        assignee_id=world["agent"].pk,
        reason="工程师请假",
    )
    assert request.assignee == world["agent"]
    outsider = make_user("technician", org["b"])
    with pytest.raises(ValidationFailed):
        services.request_assign(
            actor=world["agent"], request=request, expected_version=request.version, assignee_id=outsider.pk, reason="x"
        )


def test_escalation_needs_found_and_done(world, org, make_user):
    supervisor = make_user("supervisor", org["a"])
    request = create(world)
    with pytest.raises(ValidationFailed) as exc:
        services.request_escalate(actor=world["agent"], request=request, found="", done="", to_user_id=None)
    assert {e.field for e in exc.value.errors} == {"found", "done", "to_unit_id"}
    escalation = services.request_escalate(
        actor=world["agent"], request=request, found="主板烧毁", done="已断电检查", to_user_id=supervisor.pk
    )
    request.refresh_from_db()
    assert request.is_escalated and escalation.to_user == supervisor
    assert request.timeline.filter(kind="escalation").exists()


def test_escalating_a_stale_copy_moves_the_version_on_from_the_database(world, org, make_user):
    """Escalating takes no version, but the one it writes follows the database's: a change made
    meanwhile through another copy and the escalation never share a version number."""
    supervisor = make_user("supervisor", org["a"])
    request = create(world)
    stale = ServiceRequest.objects.get(pk=request.pk)
    services.request_transition(actor=world["agent"], request=request, action="start", expected_version=request.version)
    after_start = ServiceRequest.objects.get(pk=request.pk).version
    assert after_start == stale.version + 1
    services.request_escalate(
        actor=world["agent"], request=stale, found="主板烧毁", done="已断电", to_user_id=supervisor.pk
    )
    assert ServiceRequest.objects.get(pk=request.pk).version == after_start + 1 == stale.version
    with pytest.raises(StaleVersion):  # the version seen before the escalation is stale now
        services.request_transition(
            actor=world["agent"], request=request, action="wait_customer", expected_version=after_start, reason="等客户"
        )


def test_comments_notes_and_attachments(world):
    request = create(world)
    note = services.request_comment(actor=world["agent"], request=request, body="内部：疑似批次问题", public=False)
    photo = SimpleUploadedFile("漏水照片.jpg", b"\xff\xd8\xff fake jpeg", content_type="image/jpeg")
    reply = services.request_comment(
        actor=world["agent"], request=request, body="已安排师傅", public=True, attachments=(photo,)
    )
    assert note.kind == "note" and reply.kind == "reply"
    attachment = reply.attachments.get()
    assert attachment.original_name == "漏水照片.jpg" and attachment.file.name.endswith(".jpg")
    assert "漏水照片" not in attachment.file.name
    evil = SimpleUploadedFile("x.html", b"<script>", content_type="image/jpeg")
    with pytest.raises(ValidationFailed):
        services.request_comment(actor=world["agent"], request=request, body="x", public=True, attachments=(evil,))
    big = SimpleUploadedFile("big.png", b"0" * (services.MAX_ATTACHMENT_BYTES + 1), content_type="image/png")
    with pytest.raises(ValidationFailed):
        services.request_comment(actor=world["agent"], request=request, body="x", public=True, attachments=(big,))
    with pytest.raises(ValidationFailed):
        services.request_comment(actor=world["agent"], request=request, body=" ", public=True)


def test_search_finds_every_two_character_substring_and_replies(world):
    leak = create(world, title="净水器漏水", description="滤芯更换后仍然漏水")
    cold = create(world, title="空调不制冷", description="开机后不制冷，外机不转", unit_id=None)
    services.request_comment(actor=world["agent"], request=cold, body="疑似缺冷媒，需加注", public=False)

    def found(q):
        return set(selectors.request_list(actor=world["agent"], q=q).values_list("pk", flat=True))

    assert found("漏水") == {leak.pk}
    assert found("制冷") == {cold.pk}
    assert found("不制冷") == {cold.pk}
    assert found("滤芯更换") == {leak.pk}
    assert found("冷媒") == {cold.pk}  # from the note
    assert found("陈先生") == {leak.pk, cold.pk}  # the customer's name
    assert found("13812345678") == {leak.pk, cold.pk}  # the customer's phone
    assert found("js-0001") == {leak.pk}  # the serial
    assert found(leak.number) == {leak.pk}
    assert found("空调 漏水") == set()
    assert found("漏") == {leak.pk}  # one character: falls back to the title


def test_queues(world, org, make_user):
    tech = make_user("technician", org["a"])
    mine = create(world)
    services.request_assign(actor=world["agent"], request=mine, expected_version=mine.version, assignee_id=tech.pk)
    waiting = create(world)
    transition(world, waiting, "wait_customer", reason="客户出差")
    unassigned = create(world)

    def queue(name, actor=tech):
        return set(selectors.request_list(actor=actor, queue=name).values_list("pk", flat=True))

    assert queue("mine") == {mine.pk}
    assert queue("waiting") == {waiting.pk}
    assert queue("unassigned") == {waiting.pk, unassigned.pk}


def test_portal_customer_sees_only_own_requests_and_public_entries(world, org, make_user):
    from aftersales.accounts.models import UserKind

    portal = make_user("customer", None, kind=UserKind.CUSTOMER)
    Customer.objects.filter(pk=world["customer"].pk).update(portal_user=portal)
    portal = type(portal).objects.get(pk=portal.pk)
    own = create(world)
    services.request_comment(actor=world["agent"], request=own, body="内部备注", public=False)
    services.request_comment(actor=world["agent"], request=own, body="师傅明天上门", public=True)
    other_customer = factories.customer(world["agent"], org["a"], name="李女士", phone="13700000000", addresses=())
    other = create(world, customer_id=other_customer.pk, unit_id=None)
    assert set(selectors.request_list(actor=portal).values_list("pk", flat=True)) == {own.pk}
    with pytest.raises(NotFound):
        selectors.request_get(actor=portal, request_id=other.pk)
    bodies = [e.body for e in selectors.timeline(actor=portal, request=own)]
    assert "师傅明天上门" in bodies and "内部备注" not in bodies
    # the customer writes, confirms and rates
    services.request_comment(actor=portal, request=own, body="好的，谢谢", public=False)
    with pytest.raises(PermissionDenied):
        services.request_transition(
            actor=portal, request=own, action="resolve", expected_version=own.version, resolution="x"
        )
    transition(world, own, "resolve", resolution="已修复")
    services.request_transition(actor=portal, request=own, action="close", expected_version=own.version)
    services.request_rate(actor=portal, request=own, rating=5, comment="很满意")
    own.refresh_from_db()
    assert own.status == "closed" and own.rating == 5
    with pytest.raises(ValidationFailed):
        services.request_rate(actor=portal, request=own, rating=6)
    with pytest.raises(NotFound):
        services.request_comment(actor=portal, request=other, body="hi", public=True)


def test_incomplete_records_are_listed(world):
    incomplete = create(world)  # a repair without fault category and promised time
    complete = create(world, type="consultation", unit_id=None)
    rows = {r.pk: missing for r, missing in selectors.incomplete_requests(actor=world["agent"])}
    assert rows[incomplete.pk] == ["fault_category", "promised_at"]
    assert complete.pk not in rows


def test_events_put_chinese_messages_in_the_outbox_once(world, django_capture_on_commit_callbacks):
    from aftersales.customers.models import Customer
    from aftersales.notifications.models import OutboxMessage

    Customer.objects.filter(pk=world["customer"].pk).update(email="chen@example.cn")
    with django_capture_on_commit_callbacks(execute=True):
        request = create(world)
    sms = OutboxMessage.objects.get(channel="sms", event="request.received")
    assert sms.recipient == "13812345678" and request.number in sms.body and sms.body.startswith("【售后服务中心】")
    email = OutboxMessage.objects.get(channel="email", event="request.received")
    assert email.recipient == "chen@example.cn" and "/service/t/" in email.body
    with django_capture_on_commit_callbacks(execute=True):
        transition(world, request, "resolve", resolution="已更换滤芯")
    assert OutboxMessage.objects.filter(event="request.resolve").count() == 2
    # reacting to the same event again adds nothing (dedupe keys)
    from aftersales.service.notifications import on_resolved

    on_resolved(request_id=request.pk)
    assert OutboxMessage.objects.filter(event="request.resolve").count() == 2
    assert OutboxMessage.objects.filter(event="request.received").count() == 2


def test_tracking_link_needs_the_last_four_digits(world, client):
    from aftersales.service.tracking import track_path

    request = create(world)
    url = track_path(request.pk, "13812345678")
    assert client.get(url).status_code == 200
    assert request.number not in client.get(url).content.decode()
    wrong = client.post(url, {"last4": "0000"})
    assert wrong.status_code == 400
    assert client.post(url, {"last4": "5678"}).status_code == 302
    page = client.get(url).content.decode()
    assert request.number in page and 'data-testid="track-steps"' in page
    assert client.get(url[:-5] + "xxxx/").status_code == 404


@pytest.mark.parametrize("script_prefix", ["/", "/aftersales/"])
def test_tracking_paths_are_what_reverse_gives(script_prefix):
    from django.urls import reverse, set_script_prefix

    from aftersales.service import tracking

    set_script_prefix(script_prefix)
    try:
        for request_id in (1, 10, 999_999, 1_012_345_678):
            for phone in ("13812345678", "02161234567", "+86 138 0000 0000", "0"):
                path = tracking.track_path(request_id, phone)
                token = path.rstrip("/").rsplit("/", 1)[1]
                assert tracking.read_token(token) == (request_id, tracking._phone_digest(phone))
                assert path == reverse("service:track", args=[token])
    finally:
        set_script_prefix("/")


def test_company_contacts_see_the_companys_requests_only_when_allowed(world, org, make_user):
    from aftersales.accounts.models import UserKind
    from aftersales.customers.models import CustomerContact

    company = factories.customer(world["agent"], org["a"], name="华东制冷设备厂", phone="02161234567", kind="company")
    buyer_user = make_user("customer", None, kind=UserKind.CUSTOMER)
    engineer_user = make_user("customer", None, kind=UserKind.CUSTOMER)
    CustomerContact.objects.create(customer=company, name="采购王经理", portal_user=buyer_user)
    CustomerContact.objects.create(customer=company, name="设备李工", portal_user=engineer_user)
    buyer_user = type(buyer_user).objects.get(pk=buyer_user.pk)
    engineer_user = type(engineer_user).objects.get(pk=engineer_user.pk)
    staff_made = create(world, customer_id=company.pk, unit_id=None)
    own, _created = services.request_create(
        actor=engineer_user,
        data=RequestData(
            type="repair", customer_id=company.pk, title="冷水机报警", channel="portal", auto_assign=False
        ),
    )
    assert set(selectors.request_list(actor=engineer_user).values_list("pk", flat=True)) == {own.pk}
    assert not selectors.request_list(actor=buyer_user).exists()
    with pytest.raises(NotFound):
        selectors.request_get(actor=buyer_user, request_id=own.pk)
    Customer.objects.filter(pk=company.pk).update(portal_contacts_see_all=True)
    buyer_user = type(buyer_user).objects.get(pk=buyer_user.pk)
    assert set(selectors.request_list(actor=buyer_user).values_list("pk", flat=True)) == {own.pk, staff_made.pk}
    selectors.request_get(actor=buyer_user, request_id=own.pk)


def test_can_see_is_the_scope_for_every_kind_of_actor(world, org, make_user):
    """`policies.can_see` (one request in hand: request_get and every action) and `selectors.scoped` (the
    lists) are the same rule: for each actor, the requests can_see admits are exactly the scoped ones."""
    from aftersales.accounts.models import UserKind
    from aftersales.customers.models import CustomerContact
    from aftersales.service.policies import can_see

    agent_b = make_user("agent", org["b"])
    company = factories.customer(world["agent"], org["a"], name="华东制冷设备厂", phone="02161234567", kind="company")
    customer_b = factories.customer(agent_b, org["b"], name="李女士", phone="13700000000", addresses=())
    buyer = make_user("customer", None, kind=UserKind.CUSTOMER)
    engineer = make_user("customer", None, kind=UserKind.CUSTOMER)
    CustomerContact.objects.create(customer=company, name="采购王经理", portal_user=buyer)
    CustomerContact.objects.create(customer=company, name="设备李工", portal_user=engineer)
    engineer = type(engineer).objects.get(pk=engineer.pk)
    technician_b = make_user("technician", org["b"])
    registrant_b = make_user("agent", org["b"])
    team_agent = make_user("agent", org["a1"])
    regional = make_user("manager", org["east"])
    clerk = make_user("parts_clerk", org["a"])
    inactive = make_user("agent", org["a"])

    def new(actor, customer, **fields):
        data = RequestData(type="repair", customer_id=customer.pk, title="漏水", channel="phone", auto_assign=False)
        request, _created = services.request_create(actor=actor, data=data)
        if fields:
            ServiceRequest.objects.filter(pk=request.pk).update(**fields)
        return request.pk

    new(world["agent"], world["customer"])
    new(world["agent"], world["customer"], org_unit=org["a1"])
    new(world["agent"], world["customer"], assignee=technician_b)  # outlet A's, worked on by B's technician
    new(agent_b, customer_b)
    new(agent_b, customer_b, created_by=registrant_b, org_unit=org["a"])  # registered in B, sent to A
    new(world["agent"], company)
    new(engineer, company)
    type(inactive).objects.filter(pk=inactive.pk).update(is_active=False)
    actors = [
        world["manager"],
        world["agent"],
        agent_b,
        technician_b,
        registrant_b,
        team_agent,
        regional,
        clerk,
        type(buyer).objects.get(pk=buyer.pk),
        engineer,
        type(inactive).objects.get(pk=inactive.pk),
        None,
    ]
    every = list(ServiceRequest.objects.select_related("customer"))
    for see_all in (False, True):
        Customer.objects.filter(pk=company.pk).update(portal_contacts_see_all=see_all)
        for actor in actors:
            if actor is not None and actor.kind == UserKind.CUSTOMER:
                actor = type(actor).objects.get(pk=actor.pk)
            listed = set(selectors.scoped(actor).values_list("pk", flat=True))
            admitted = {r.pk for r in every if can_see(actor, r)}
            assert admitted == listed, (actor, see_all)
            for r in every:
                if r.pk in listed:
                    assert selectors.request_get(actor=actor, request_id=r.pk).pk == r.pk
                else:
                    with pytest.raises(NotFound):
                        selectors.request_get(actor=actor, request_id=r.pk)
    # The shapes above reach both sides of the rule for someone.
    assert any(0 < len(selectors.scoped(a)) < len(every) for a in actors if a is not None)


def test_the_timeline_gives_each_entry_its_own_files_and_customers_only_public_ones(world, make_user):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from aftersales.accounts.models import UserKind

    def jpeg(name: str) -> SimpleUploadedFile:
        return SimpleUploadedFile(name, b"\xff\xd8\xff fake jpeg", content_type="image/jpeg")

    request = create(world, attachments=(jpeg("报修.jpg"),))  # an intake file: on no entry
    note = services.request_comment(
        actor=world["agent"], request=request, body="内部", public=False, attachments=(jpeg("内部.jpg"),)
    )
    reply = services.request_comment(
        actor=world["agent"], request=request, body="已安排", public=True, attachments=(jpeg("一.jpg"), jpeg("二.jpg"))
    )
    bare = services.request_comment(actor=world["agent"], request=request, body="无附件", public=True)
    with CaptureQueriesContext(connection) as ctx:
        staff = {e.pk: e for e in selectors.timeline(actor=world["agent"], request=request)}
    assert len(ctx.captured_queries) == 2  # entries and files, however many entries
    assert list(staff) == sorted(staff)
    assert [f.original_name for f in staff[note.pk].files] == ["内部.jpg"]
    assert [f.original_name for f in staff[reply.pk].files] == ["一.jpg", "二.jpg"]
    assert staff[bare.pk].files == []
    assert all(f.original_name != "报修.jpg" for e in staff.values() for f in e.files)
    assert staff[reply.pk].author == world["agent"]

    portal = make_user("customer", None, kind=UserKind.CUSTOMER)
    Customer.objects.filter(pk=world["customer"].pk).update(portal_user=portal)
    portal = type(portal).objects.get(pk=portal.pk)
    public = {e.pk: e for e in selectors.timeline(actor=portal, request=request)}
    assert note.pk not in public and reply.pk in public
    assert [f.original_name for f in public[reply.pk].files] == ["一.jpg", "二.jpg"]
    # An entry read elsewhere (just written) has its files read when asked for.
    assert [f.original_name for f in selectors.entry_files(reply)] == ["一.jpg", "二.jpg"]
    assert selectors.entry_files(public[reply.pk]) is public[reply.pk].files
