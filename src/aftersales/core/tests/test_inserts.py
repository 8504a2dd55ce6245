"""core.inserts: one compiled INSERT per shape that writes exactly the rows `save()`/`bulk_create` write."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Iterable
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, models, transaction
from django.db.models import Model
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from tests import factories

from aftersales.accounts.models import OrgUnit, User
from aftersales.core import inserts
from aftersales.core.inserts import insert
from aftersales.core.models import AuditEntry, Sequence, SystemFlag
from aftersales.core.sequences import reserve
from aftersales.notifications.models import OutboxMessage
from aftersales.service import services
from aftersales.service.models import (
    AssignmentRule,
    IdempotencyKey,
    RequestTimer,
    SearchDocument,
    ServiceRequest,
    StaffAvailability,
    TimelineEntry,
)
from aftersales.service.services import RequestData

pytestmark = pytest.mark.django_db

FIXED = dt.datetime(2024, 3, 5, 6, 7, 8, 123456, tzinfo=dt.UTC)
SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
JSON = {
    "action": "dispatch",
    "中文键": "上海徐汇 — “引号” \\ 反斜杠",
    "n": 3,
    "f": 1.5,
    "big": 2**53 + 1,
    "flag": True,
    "none": None,
    "nested": {"list": [1, None, False, "二"], "empty": {}},
}


@pytest.fixture
def frozen_now(monkeypatch: pytest.MonkeyPatch) -> dt.datetime:
    """timezone.now() as auto_now/auto_now_add see it (DateTimeField.pre_save calls it)."""
    monkeypatch.setattr(timezone, "now", lambda: FIXED)
    return FIXED


@pytest.fixture
def world(org: dict[str, OrgUnit], make_user: Any) -> dict[str, Any]:
    manager = make_user("manager", org["hq"])
    agent = make_user("agent", org["a"])
    model = factories.product_model(manager)
    customer = factories.customer(agent, org["a"], name="陈先生", phone="13812345678")
    unit = factories.sold_unit(agent, model, customer, org["a"], serial="JS-0001", sale_date=dt.date(2024, 1, 1))
    return {"agent": agent, "customer": customer, "unit": unit, "org": org}


def new_request(world: dict[str, Any]) -> ServiceRequest:
    request, _created = services.request_create(
        actor=world["agent"],
        data=RequestData(
            type="repair",
            customer_id=world["customer"].pk,
            title="净水器漏水",
            channel="phone",
            unit_id=world["unit"].pk,
            auto_assign=False,
        ),
    )
    return request


def stored(model: type[Model], pks: Iterable[Any], *, without: Iterable[str] = ()) -> list[dict[str, Any]]:
    """The rows as the ORM reads them back, in the order of `pks`, without the given fields."""
    drop = {model._meta.pk.attname, *without}
    rows = {row[model._meta.pk.attname]: row for row in model._default_manager.filter(pk__in=list(pks)).values()}
    return [{k: v for k, v in rows[pk].items() if k not in drop} for pk in pks]


def raw_columns(model: type[Model], pk: Any, *, without: Iterable[str] = ()) -> tuple[Any, ...]:
    """The stored column values as the database driver returns them (JSON text, 0/1, microseconds …)."""
    opts = model._meta
    drop = {opts.pk.column, *without}
    columns = [f.column for f in opts.local_concrete_fields if f.column not in drop]
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        select = ", ".join(quote(c) for c in columns)
        cursor.execute(f"SELECT {select} FROM {quote(opts.db_table)} WHERE {quote(opts.pk.column)} = %s", [pk])
        return tuple(cursor.fetchone())


def inserted_pk(model: type[Model]) -> Any:
    return model._default_manager.order_by("-pk").values_list("pk", flat=True).first()


# --- the same rows as the ORM -----------------------------------------------------------------


def timeline_entry(request: ServiceRequest, author: User) -> TimelineEntry:
    return TimelineEntry(
        request=request,
        kind="note",
        is_public=True,
        author=author,
        author_label="王师傅",
        body="正文\n第二行",
        data=JSON,
    )


def test_a_timeline_entry_is_the_row_save_writes(world: dict[str, Any], frozen_now: dt.datetime) -> None:
    request = new_request(world)
    saved = timeline_entry(request, world["agent"])
    saved.save()
    ours = timeline_entry(request, world["agent"])
    insert([ours])
    ours_pk = inserted_pk(TimelineEntry)
    assert ours_pk != saved.pk
    assert stored(TimelineEntry, [ours_pk]) == stored(TimelineEntry, [saved.pk])
    assert raw_columns(TimelineEntry, ours_pk) == raw_columns(TimelineEntry, saved.pk)
    row = TimelineEntry.objects.get(pk=ours_pk)
    assert row.data == JSON and row.created_at == frozen_now and row.is_public is True
    # The JSON is real JSON to the database, not a string inside JSON.
    assert TimelineEntry.objects.filter(pk=ours_pk, data__nested__empty={}, data__action="dispatch").exists()
    assert ours.created_at == frozen_now  # auto_now_add set on the instance as save() does
    assert ours.pk is None and ours._state.adding is False and ours._state.db == connection.alias


def test_timeline_entries_without_author_and_with_default_data(world: dict[str, Any], frozen_now: dt.datetime) -> None:
    request = new_request(world)
    saved = TimelineEntry(request=request, kind="system")
    saved.save()
    insert([TimelineEntry(request=request, kind="system")])
    ours_pk = inserted_pk(TimelineEntry)
    assert stored(TimelineEntry, [ours_pk]) == stored(TimelineEntry, [saved.pk])
    assert raw_columns(TimelineEntry, ours_pk) == raw_columns(TimelineEntry, saved.pk)
    assert TimelineEntry.objects.get(pk=ours_pk).data == {}


def audit_entry(actor: User, ip: str | None, i: int) -> AuditEntry:
    return AuditEntry(
        at=dt.datetime(2024, 5, 6, 23, 59, 59, 999999, tzinfo=SHANGHAI),
        actor=actor,
        actor_label=f"测试{i}",
        channel="api",
        ip=ip,
        request_id=f"req-{i}",
        action="update",
        target_type="accounts.orgunit",
        object_id=str(i),
        object_repr="上海徐汇服务网点",
        org_unit_id=2**40 + i,
        changes={"name": ["旧", "新"], "n": [1, None]},
        note="备注",
    )


@pytest.mark.parametrize("ip", ["10.1.2.3", "2001:0db8:0000:0000:0000:0000:0000:0001", None])
def test_audit_entries_are_the_rows_bulk_create_writes(org: Any, make_user: Any, ip: str | None) -> None:
    actor = make_user("agent", org["a"])
    ours = [audit_entry(actor, ip, i) for i in range(3)]
    insert(ours)
    ours_pks = list(AuditEntry.objects.order_by("-id").values_list("pk", flat=True)[:3])[::-1]
    theirs = AuditEntry.objects.bulk_create([audit_entry(actor, ip, i) for i in range(3)])
    theirs_pks = [e.pk for e in theirs]
    assert stored(AuditEntry, ours_pks) == stored(AuditEntry, theirs_pks)
    for a, b in zip(ours_pks, theirs_pks, strict=True):
        assert raw_columns(AuditEntry, a) == raw_columns(AuditEntry, b)
    first = AuditEntry.objects.get(pk=ours_pks[0])
    assert first.at == dt.datetime(2024, 5, 6, 15, 59, 59, 999999, tzinfo=dt.UTC)
    assert first.ip == (None if ip is None else ("10.1.2.3" if "." in ip else "2001:db8::1"))
    assert first.actor_id == actor.pk and first.org_unit_id == 2**40


def outbox_message(i: int, prefix: str) -> OutboxMessage:
    return OutboxMessage(
        channel="sms",
        recipient=f"1381234567{i}",
        subject=f"主题{i}",
        body=f"您的服务单已受理 {i}",
        event="request.received",
        dedupe_key=f"{prefix}-{i}",
        related_type="service.servicerequest",
        related_id=str(i),
        next_attempt_at=dt.datetime(2024, 1, 2, 3, 4, 5, tzinfo=SHANGHAI),
    )


def test_outbox_messages_with_returning_pk(db: Any, frozen_now: dt.datetime) -> None:
    ours = [outbox_message(i, "ours") for i in range(4)]
    with CaptureQueriesContext(connection) as queries:
        insert(ours, returning_pk=True)
    assert len(queries) == 1 and queries[0]["sql"].startswith("INSERT") and "RETURNING" in queries[0]["sql"]
    pks = [m.pk for m in ours]
    assert all(isinstance(pk, int) for pk in pks) and len(set(pks)) == 4
    # Each instance got the key of its own row.
    assert dict(OutboxMessage.objects.filter(pk__in=pks).values_list("pk", "dedupe_key")) == {
        m.pk: m.dedupe_key for m in ours
    }
    assert all(m._state.adding is False and m._state.db == connection.alias for m in ours)
    assert all(m.created_at == frozen_now for m in ours)
    theirs = OutboxMessage.objects.bulk_create([outbox_message(i, "theirs") for i in range(4)])
    assert stored(OutboxMessage, pks, without=["dedupe_key"]) == stored(
        OutboxMessage, [m.pk for m in theirs], without=["dedupe_key"]
    )
    assert raw_columns(OutboxMessage, pks[0], without=["dedupe_key"]) == raw_columns(
        OutboxMessage, theirs[0].pk, without=["dedupe_key"]
    )
    # The instances behave as saved ones: an update of one changes its own row only.
    ours[2].status = "sent"
    ours[2].save(update_fields=["status"])
    assert list(OutboxMessage.objects.filter(status="sent").values_list("pk", flat=True)) == [ours[2].pk]


def timer(request: ServiceRequest, metric: str) -> RequestTimer:
    return RequestTimer(
        request=request,
        metric=metric,
        started_at=dt.datetime(2024, 2, 29, 8, 30, 0, 1, tzinfo=SHANGHAI),
        due_at=dt.datetime(2024, 3, 1, 17, 0, tzinfo=SHANGHAI),
        warn_at=dt.datetime(2024, 3, 1, 9, 0, tzinfo=dt.UTC),
        paused_at=None,
        paused_total=dt.timedelta(hours=1, minutes=2, seconds=3, microseconds=4),
        breached_at=dt.datetime(2024, 3, 2, tzinfo=dt.UTC),
        escalation_level=2,
    )


def test_request_timers_are_the_rows_save_writes(world: dict[str, Any]) -> None:
    first, second = new_request(world), new_request(world)
    RequestTimer.objects.filter(request__in=[first, second]).delete()  # whatever the create made
    saved = timer(first, "on_site")
    saved.save()
    insert([timer(second, "on_site")])
    ours = RequestTimer.objects.get(request=second, metric="on_site")
    assert stored(RequestTimer, [ours.pk], without=["request_id"]) == stored(
        RequestTimer, [saved.pk], without=["request_id"]
    )
    assert raw_columns(RequestTimer, ours.pk, without=["request_id"]) == raw_columns(
        RequestTimer, saved.pk, without=["request_id"]
    )
    assert ours.started_at == dt.datetime(2024, 2, 29, 0, 30, 0, 1, tzinfo=dt.UTC)
    assert ours.paused_total == dt.timedelta(hours=1, minutes=2, seconds=3, microseconds=4)
    # Stored datetimes compare in the database as the ORM's do.
    assert set(
        RequestTimer.objects.filter(due_at=dt.datetime(2024, 3, 1, 9, tzinfo=dt.UTC)).values_list("pk", flat=True)
    ) == {
        saved.pk,
        ours.pk,
    }


def test_a_search_document_with_the_request_as_primary_key(world: dict[str, Any]) -> None:
    first, second = new_request(world), new_request(world)
    SearchDocument.objects.filter(request__in=[first, second]).delete()
    SearchDocument(request=first, body="sr 净水 漏水").save(force_insert=True)
    doc = SearchDocument(request=second, body="sr 净水 漏水")
    with CaptureQueriesContext(connection) as queries:
        insert([doc])
    assert len(queries) == 1
    assert doc.pk == second.pk and doc._state.adding is False
    assert stored(SearchDocument, [second.pk]) == stored(SearchDocument, [first.pk]) == [{"body": "sr 净水 漏水"}]
    assert raw_columns(SearchDocument, second.pk) == raw_columns(SearchDocument, first.pk)
    # The primary key is a column like any other: a second document of the same request is refused.
    with pytest.raises(IntegrityError), transaction.atomic():
        insert([SearchDocument(request=second, body="again")])


def test_a_model_without_auto_key_cannot_return_one(world: dict[str, Any]) -> None:
    request = new_request(world)
    SearchDocument.objects.filter(request=request).delete()
    with CaptureQueriesContext(connection) as queries, pytest.raises(ValueError, match="no auto-increment key"):
        insert([SearchDocument(request=request, body="x")], returning_pk=True)
    assert len(queries) == 0
    assert not SearchDocument.objects.filter(request=request).exists()


def test_auto_now_and_auto_now_add_are_filled(db: Any, frozen_now: dt.datetime) -> None:
    flag = SystemFlag(key="insert-test", value={"loaded": True, "年份": [2024]})
    insert([flag])
    assert flag.set_at == frozen_now
    row = SystemFlag.objects.get(key="insert-test")
    assert row.set_at == frozen_now and row.value == {"loaded": True, "年份": [2024]}
    SystemFlag(key="save-test", value={"loaded": True, "年份": [2024]}).save()
    assert stored(SystemFlag, ["insert-test"]) == stored(SystemFlag, ["save-test"])
    assert raw_columns(SystemFlag, "insert-test") == raw_columns(SystemFlag, "save-test")


def test_a_service_request_with_created_and_updated_times(world: dict[str, Any], frozen_now: dt.datetime) -> None:
    template = ServiceRequest.objects.get(pk=new_request(world).pk)
    fields = {
        f.attname: getattr(template, f.attname)
        for f in ServiceRequest._meta.local_concrete_fields
        if f.attname not in ("id", "number", "created_at", "updated_at")
    }
    saved = ServiceRequest(number="SR-SAVE", **fields)
    saved.save(force_insert=True)
    ours = ServiceRequest(number="SR-OURS", **fields)
    insert([ours], returning_pk=True)
    assert ours.pk is not None and ours.pk != saved.pk
    assert ours.created_at == ours.updated_at == frozen_now
    assert stored(ServiceRequest, [ours.pk], without=["number"]) == stored(
        ServiceRequest, [saved.pk], without=["number"]
    )
    assert raw_columns(ServiceRequest, ours.pk, without=["number"]) == raw_columns(
        ServiceRequest, saved.pk, without=["number"]
    )


# --- one statement, compiled once -------------------------------------------------------------


def test_many_rows_go_in_one_insert(world: dict[str, Any]) -> None:
    request = new_request(world)
    before = TimelineEntry.objects.filter(request=request).count()
    entries = [TimelineEntry(request=request, kind="note", body=f"第{i}条", data={"i": i}) for i in range(5)]
    with CaptureQueriesContext(connection) as queries:
        insert(entries, returning_pk=True)
    assert len(queries) == 1
    assert queries[0]["sql"].startswith("INSERT") and queries[0]["sql"].count("%s") == 0  # parameters bound
    assert TimelineEntry.objects.filter(request=request).count() == before + 5
    assert [TimelineEntry.objects.get(pk=e.pk).data for e in entries] == [{"i": i} for i in range(5)]
    assert [e.pk for e in entries] == sorted(e.pk for e in entries)


def test_statements_are_kept_per_model_row_count_and_returning(world: dict[str, Any]) -> None:
    request = new_request(world)
    inserts._statements.clear()
    insert([TimelineEntry(request=request, kind="note", body="1")])
    insert([TimelineEntry(request=request, kind="note", body=str(i)) for i in (2, 3)])
    returned = [TimelineEntry(request=request, kind="note", body="4")]
    insert(returned, returning_pk=True)  # same model and count as the first, but RETURNING
    insert([TimelineEntry(request=request, kind="note", body="5")])  # the first statement again
    assert returned[0].pk is not None and TimelineEntry.objects.get(pk=returned[0].pk).body == "4"
    assert set(inserts._statements) == {
        ("service.TimelineEntry", 1, False, False),
        ("service.TimelineEntry", 2, False, False),
        ("service.TimelineEntry", 1, True, False),
    }
    bodies = list(
        TimelineEntry.objects.filter(request=request, kind="note").order_by("id").values_list("body", flat=True)
    )
    assert bodies == ["1", "2", "3", "4", "5"]
    # The statement names every column but the auto-increment key.
    sql, _converters = inserts._statements[("service.TimelineEntry", 1, False, False)]
    columns = sql.split("(", 1)[1].split(")", 1)[0]
    assert [c.strip().strip('"') for c in columns.split(",")] == [
        "request_id",
        "kind",
        "is_public",
        "author_id",
        "author_label",
        "body",
        "data",
        "created_at",
    ]
    assert "RETURNING" not in sql and connection.ops.quote_name("id") not in sql


def test_long_statements_are_built_for_the_call_only(world: dict[str, Any]) -> None:
    request = new_request(world)
    inserts._statements.clear()
    rows = inserts.MAX_CACHED_ROWS + 1
    insert([TimelineEntry(request=request, kind="note", body=str(i)) for i in range(rows)])
    insert([TimelineEntry(request=request, kind="note", body="short")])
    assert set(inserts._statements) == {("service.TimelineEntry", 1, False, False)}
    assert TimelineEntry.objects.filter(request=request, kind="note").count() == rows + 1


def test_a_primary_key_set_by_hand_is_refused_before_any_write(world: dict[str, Any]) -> None:
    request = new_request(world)
    taken = TimelineEntry.objects.filter(request=request).values_list("pk", flat=True).first()
    fresh = TimelineEntry(request=request, kind="note", body="new")
    preset = TimelineEntry(pk=999_999, request=request, kind="note", body="preset")
    with CaptureQueriesContext(connection) as queries, pytest.raises(ValueError, match="without a primary key"):
        insert([fresh, preset])
    assert len(queries) == 0
    assert not TimelineEntry.objects.filter(pk=999_999).exists() and taken is not None


def test_keyed_rows_go_in_with_the_keys_reserved_for_them(world: dict[str, Any]) -> None:
    request = new_request(world)
    reserved = reserve("test-keyed", TimelineEntry)
    keyed = TimelineEntry(pk=reserved.pk, request=request, kind="note", body="reserved")
    insert([keyed], keyed=True)
    later = TimelineEntry.objects.create(request=request, kind="note", body="ORM")  # the database's own key
    assert TimelineEntry.objects.get(pk=reserved.pk).body == "reserved" and later.pk > reserved.pk
    assert ("service.TimelineEntry", 1, False, True) in inserts._statements


def test_a_keyed_insert_needs_every_key_and_returns_none(world: dict[str, Any]) -> None:
    request = new_request(world)
    with CaptureQueriesContext(connection) as queries:
        with pytest.raises(ValueError, match="reserved keys"):
            insert([TimelineEntry(request=request, kind="note")], keyed=True)
        with pytest.raises(ValueError, match="none to return"):
            insert([TimelineEntry(pk=1, request=request, kind="note")], keyed=True, returning_pk=True)
        with pytest.raises(ValueError, match="no auto-increment key"):
            insert([SearchDocument(request=request, body="x")], keyed=True)
    assert len(queries) == 0


def test_rows_are_converted_when_made_and_written_once(world: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    request = new_request(world)
    monkeypatch.setattr(timezone, "now", lambda: FIXED)
    with CaptureQueriesContext(connection) as queries:
        prepared = inserts.rows([TimelineEntry(request=request, kind="note", body="先转换")], returning_pk=True)
    assert len(queries) == 0  # nothing written yet; the values are converted
    monkeypatch.undo()
    with CaptureQueriesContext(connection) as queries:
        prepared.write()
        prepared.write()  # written once
    assert len(queries) == 1
    entry = TimelineEntry.objects.get(body="先转换")
    assert entry.created_at == FIXED  # the time of rows(), not of write()
    with CaptureQueriesContext(connection) as queries:
        inserts.rows([]).write()
    assert len(queries) == 0


def test_rows_for_audit_and_messages_must_be_of_their_kind(world: dict[str, Any]) -> None:
    from aftersales.core.audit import audit_record_many
    from aftersales.notifications.services import messages_store

    request = new_request(world)
    entries = inserts.rows([TimelineEntry(request=request, kind="note", body="x")])
    with pytest.raises(TypeError):
        audit_record_many(entries)
    with pytest.raises(TypeError):
        messages_store(entries)
    message = OutboxMessage(channel="sms", recipient="1", body="x", dedupe_key="k", next_attempt_at=FIXED)
    with pytest.raises(TypeError):  # the keys must come back: delivery starts from them
        messages_store(inserts.rows([message]))
    with CaptureQueriesContext(connection) as queries:  # nothing to write is written as nothing
        audit_record_many(inserts.rows([]))
        messages_store(inserts.rows([], returning_pk=True))
    assert len(queries) == 0
    assert not OutboxMessage.objects.filter(dedupe_key="k").exists()


def test_an_empty_list_is_a_no_op(db: Any) -> None:
    with CaptureQueriesContext(connection) as queries:
        insert([])
        insert([], returning_pk=True)
    assert len(queries) == 0


# --- what is refused --------------------------------------------------------------------------


def test_mixing_models_is_refused_before_any_write(world: dict[str, Any]) -> None:
    request = new_request(world)
    entries = TimelineEntry.objects.count()
    mixed: list[Model] = [TimelineEntry(request=request, kind="note"), SystemFlag(key="mixed", value={})]
    with CaptureQueriesContext(connection) as queries, pytest.raises(TypeError):
        insert(mixed)
    assert len(queries) == 0
    assert TimelineEntry.objects.count() == entries and not SystemFlag.objects.filter(key="mixed").exists()


@pytest.mark.parametrize("returning_pk", [False, True])
def test_cached_configuration_models_are_refused(org: dict[str, OrgUnit], make_user: Any, returning_pk: bool) -> None:
    tech = make_user("technician", org["a1"])
    refused: list[Model] = [
        AssignmentRule(name="x", within_unit=org["a"], target_unit=org["a1"]),
        OrgUnit(name="新网点", code="O-NEW", kind="outlet", parent=org["a"]),
        StaffAvailability(user=tech),
    ]
    generation = Sequence.objects.get(name="config").value
    for obj in refused:
        with CaptureQueriesContext(connection) as queries, pytest.raises(ValueError, match="cached configuration"):
            insert([obj], returning_pk=returning_pk)
        assert len(queries) == 0
    assert not AssignmentRule.objects.exists() and not OrgUnit.objects.filter(code="O-NEW").exists()
    assert not StaffAvailability.objects.filter(user=tech).exists()
    assert Sequence.objects.get(name="config").value == generation


def test_an_unsaved_related_object_is_refused_as_save_refuses_it(world: dict[str, Any]) -> None:
    """save() and bulk_create refuse a row whose related object has no key yet (it would be lost)."""
    request = new_request(world)
    author = User(username="unsaved", full_name="未保存")
    with pytest.raises(ValueError, match="unsaved related object"):
        TimelineEntry(request=request, kind="note", author=author).save()
    before = TimelineEntry.objects.count()
    with pytest.raises(ValueError, match="unsaved related object"):
        insert([TimelineEntry(request=request, kind="note", author=author)])
    assert TimelineEntry.objects.count() == before


def test_a_related_object_saved_after_assignment_gives_its_key(world: dict[str, Any]) -> None:
    """As in save(): the key is taken from the related object when the row is written."""
    request = new_request(world)
    template = ServiceRequest.objects.get(pk=request.pk)
    other = ServiceRequest(
        **{
            f.attname: getattr(template, f.attname)
            for f in ServiceRequest._meta.local_concrete_fields
            if f.attname not in ("id", "number")
        },
        number="SR-LATER",
    )
    entry = TimelineEntry(request=other, kind="system")  # assigned while `other` has no key
    insert([other], returning_pk=True)
    insert([entry], returning_pk=True)
    assert TimelineEntry.objects.get(pk=entry.pk).request_id == other.pk


def comparable(value: Any) -> Any:
    """psycopg's JSON wrapper has no equality of its own: compare what it wraps."""
    return ("jsonb", value.obj) if type(value).__name__ == "Jsonb" else value


@pytest.mark.filterwarnings("ignore:DateTimeField .* received a naive datetime")
@pytest.mark.parametrize(
    "model", [ServiceRequest, TimelineEntry, AuditEntry, RequestTimer, SearchDocument, OutboxMessage, IdempotencyKey]
)
def test_each_fields_conversion_is_the_orms(world: dict[str, Any], frozen_now: dt.datetime, model: type[Model]) -> None:
    """The short ways (plain kinds, integer foreign keys, aware datetimes) give what get_db_prep_save
    gives, and every other value still goes the ORM's way — for the values a create writes and for
    values of other types (a numeric string, a naive datetime, a float, a model instance)."""
    from aftersales.core.inserts import _converter

    request = new_request(world)
    naive = dt.datetime(2024, 3, 5, 6, 7, 8)
    for field in model._meta.local_concrete_fields:
        if field is model._meta.auto_field:
            continue
        convert = _converter(field)
        samples: list[Any] = [None, "12", 12, 1.5, True, FIXED, FIXED.astimezone(SHANGHAI), JSON, "", "文本"]
        if isinstance(field, models.ForeignKey):
            samples.append(request if field.related_model is ServiceRequest else world["agent"])
        if isinstance(field, models.DateTimeField):
            samples.append(naive)
        for value in samples:
            obj = model()
            setattr(obj, field.attname, value)
            try:
                want = field.get_db_prep_save(field.pre_save(obj, True), connection)
            except (TypeError, ValueError, AttributeError, ValidationError):
                continue  # a value the ORM refuses for this field: not one an insert can be given
            assert comparable(convert(obj, connection)) == comparable(want), (field.name, value)


@pytest.mark.parametrize(
    "value",
    [
        FIXED,
        FIXED.replace(microsecond=0),
        dt.datetime(2024, 12, 31, 23, 59, 59, 999999, tzinfo=SHANGHAI),  # another day and year in UTC
        dt.datetime(2024, 1, 1, 0, 0, tzinfo=dt.timezone(dt.timedelta(hours=-5))),
    ],
)
def test_an_aware_datetime_is_written_as_the_backend_writes_it(value: dt.datetime) -> None:
    convert = inserts._converter(ServiceRequest._meta.get_field("received_at"))
    request = ServiceRequest(received_at=value)
    assert convert(request, connection) == connection.ops.adapt_datetimefield_value(value)
    # A naive or missing one goes the field's own way.
    request.received_at = None
    assert convert(request, connection) is None
