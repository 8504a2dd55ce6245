"""Counters and reserved keys (core.sequences): numbers count up per name; `reserve` hands out a number
and a primary key that nothing else — the ORM's own inserts included — will take."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import DEFAULT_DB_ALIAS, connection, connections, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from aftersales.core.models import Sequence, SystemFlag
from aftersales.core.sequences import next_code, next_value, reserve
from aftersales.notifications.models import MessageChannel, OutboxMessage

pytestmark = pytest.mark.django_db


def message(**kw: Any) -> OutboxMessage:
    return OutboxMessage(
        channel=MessageChannel.SMS, recipient="13800000000", body="测试", next_attempt_at=timezone.now(), **kw
    )


def test_numbers_count_up_per_name_and_by_blocks() -> None:
    assert next_value("test-a") == 1 and next_value("test-a") == 2
    assert next_value("test-b") == 1
    assert next_value("test-a", count=10) == 12 and next_value("test-a") == 13
    assert next_code("test-c", "C", width=4) == "C0001"
    with pytest.raises(ValueError, match="at least 1"):
        next_value("test-a", count=0)


def test_reserved_numbers_and_keys_are_new_each_time() -> None:
    first, second = reserve("test-r", OutboxMessage), reserve("test-r", OutboxMessage)
    assert (first.value, second.value) == (1, 2) and second.pk > first.pk
    assert Sequence.objects.get(name="test-r").value == 2


def test_the_orm_never_takes_a_reserved_key() -> None:
    made = message(dedupe_key="before")
    made.save()
    reserved = reserve("test-r", OutboxMessage)
    assert reserved.pk > made.pk
    later = message(dedupe_key="after")
    later.save()  # the database picks the key: past the reserved one
    assert later.pk > reserved.pk
    keyed = message(pk=reserved.pk, dedupe_key="reserved")
    keyed.save(force_insert=True)
    assert OutboxMessage.objects.get(pk=reserved.pk).dedupe_key == "reserved"


def test_a_table_that_never_had_a_row_gets_a_key_past_its_rows() -> None:
    OutboxMessage.objects.all().delete()
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM sqlite_sequence WHERE name = %s", [OutboxMessage._meta.db_table])
    reserved = reserve("test-r", OutboxMessage)
    assert reserved.pk >= 1
    later = message(dedupe_key="next")
    later.save()
    assert later.pk > reserved.pk


def test_inside_a_callers_transaction_a_rollback_gives_the_number_back() -> None:
    reserve("test-r", OutboxMessage)
    taken = []

    def caller_that_fails() -> None:
        with transaction.atomic():
            taken.append(reserve("test-r", OutboxMessage).value)
            raise RuntimeError("the caller fails")

    with pytest.raises(RuntimeError, match="caller fails"):
        caller_that_fails()
    assert taken == [2] and reserve("test-r", OutboxMessage).value == 2


def test_a_model_without_an_auto_increment_key_is_refused() -> None:
    with pytest.raises(ValueError, match="no auto-increment key"):
        reserve("test-r", SystemFlag)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="synchronous_commit is PostgreSQL's")
def test_postgresql_commits_a_reservation_of_its_own_without_waiting_for_the_disk(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Inside a caller's transaction the caller's commit decides: the statement leaves the setting alone.
    with CaptureQueriesContext(connection) as queries:
        reserve("test-r", OutboxMessage)
    assert len(queries) == 1 and "synchronous_commit" not in queries[0]["sql"]
    # On its own (autocommit) it turns durable waiting off for its own transaction only. Here the test's
    # transaction stands in for it, so the setting shows — and goes with that transaction.
    wrapper = connections[DEFAULT_DB_ALIAS]
    monkeypatch.setattr(wrapper, "get_autocommit", lambda: True)
    try:
        reserve("test-r", OutboxMessage)
    finally:
        monkeypatch.undo()
    with connection.cursor() as cursor:
        cursor.execute("SHOW synchronous_commit")
        assert cursor.fetchone() == ("off",)
