"""The SQLite backend's writer queue (core.sqlite_backend): a write transaction holds an exclusive flock on
"<database>.writelock" from BEGIN to COMMIT/ROLLBACK, and nothing else takes it.

The tests that watch BEGIN and COMMIT run as transactional tests: the ordinary `db` fixture wraps each
test in one transaction (which holds the lock throughout). They ask for the `transactional_db` fixture
rather than `django_db(transaction=True)`: the root conftest's override (triggers off for the flush, the
reference data loaded again after it) only applies to the fixture.
"""

from __future__ import annotations

import contextlib
import fcntl
import sqlite3
import threading
import time
from typing import Any

import pytest
from django.db import connection, connections, transaction
from django.db.backends.sqlite3 import base as django_sqlite

from aftersales.core.models import Sequence
from aftersales.core.sqlite_backend import base
from aftersales.core.sqlite_backend.base import DatabaseWrapper


class Rollback(Exception):
    """Raised inside a transaction to roll it back."""


pytestmark = pytest.mark.skipif(connection.vendor != "sqlite", reason="the writer queue is SQLite's")


def lock_path() -> str:
    path = connection._write_lock_path()  # type: ignore[attr-defined]
    assert path is not None
    return path


def lock_is_free() -> bool:
    """Whether another open file description could take the lock now (then gives it back)."""
    with base.lock_if_free(lock_path()) as free:
        return free


def held() -> bool:
    return bool(connection._write_lock_held)  # type: ignore[attr-defined]


@pytest.fixture
def flock_calls(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The flock operations the connection makes on its own lock descriptor."""
    calls: list[int] = []
    real = fcntl.flock

    def recording(fd: Any, operation: int) -> None:
        if fd == connection._write_lock_fd:  # type: ignore[attr-defined]
            calls.append(operation)
        real(fd, operation)

    monkeypatch.setattr(base.fcntl, "flock", recording)
    return calls


# --- the lock file ---------------------------------------------------------------------------


def test_the_test_database_is_a_file_with_a_lock_file_beside_it(db: Any) -> None:
    assert isinstance(connections["default"], DatabaseWrapper)
    name = connection.settings_dict["NAME"]
    assert not connection.is_in_memory_db()  # type: ignore[attr-defined]
    assert lock_path() == f"{name}.writelock"


@pytest.mark.parametrize(
    "name", [":memory:", "", "file:memorydb_default?mode=memory&cache=shared", "file:/tmp/some.sqlite3?mode=rwc"]
)
def test_memory_and_uri_names_get_no_lock_path(name: str) -> None:
    wrapper = DatabaseWrapper({**connection.settings_dict, "NAME": name}, alias="lockless")
    assert wrapper._write_lock_path() is None


def test_a_memory_database_writes_in_transactions_without_a_lock(db: Any) -> None:
    wrapper = DatabaseWrapper({**connection.settings_dict, "NAME": ":memory:"}, alias="lockless")
    try:
        wrapper.set_autocommit(False, force_begin_transaction_with_broken_autocommit=True)
        with wrapper.cursor() as cursor:
            cursor.execute("CREATE TABLE t (x INTEGER)")
            cursor.execute("INSERT INTO t VALUES (1)")
        assert wrapper._write_lock_fd is None and not wrapper._write_lock_held
        wrapper.commit()
        wrapper.set_autocommit(True)
        with wrapper.cursor() as cursor:
            cursor.execute("SELECT x FROM t")
            assert cursor.fetchall() == [(1,)]
    finally:
        wrapper.close()
    assert wrapper._write_lock_fd is None


# --- BEGIN … COMMIT / ROLLBACK ---------------------------------------------------------------


def test_a_transaction_holds_the_lock_until_it_commits(transactional_db: None, flock_calls: list[int]) -> None:
    assert not held() and lock_is_free()
    with transaction.atomic():
        assert held()
        assert not lock_is_free()
        Sequence.objects.create(name="lock-commit", value=1)
        assert not lock_is_free()
    assert not held() and lock_is_free()
    assert flock_calls == [fcntl.LOCK_EX, fcntl.LOCK_UN]
    assert Sequence.objects.filter(name="lock-commit").exists()


def test_a_rollback_releases_the_lock(transactional_db: None, flock_calls: list[int]) -> None:
    with contextlib.suppress(Rollback), transaction.atomic():
        Sequence.objects.create(name="lock-rollback", value=1)
        assert held() and not lock_is_free()
        raise Rollback
    assert not held() and lock_is_free()
    assert flock_calls == [fcntl.LOCK_EX, fcntl.LOCK_UN]
    assert not Sequence.objects.filter(name="lock-rollback").exists()


def test_a_transaction_marked_for_rollback_releases_the_lock(transactional_db: None) -> None:
    with transaction.atomic():
        assert held()
        transaction.set_rollback(True)
    assert not held() and lock_is_free()


def test_savepoints_neither_take_the_lock_again_nor_release_it_early(
    transactional_db: None, flock_calls: list[int]
) -> None:
    with transaction.atomic():
        assert flock_calls == [fcntl.LOCK_EX]
        with transaction.atomic():
            assert held() and not lock_is_free()
            Sequence.objects.create(name="inner-kept", value=1)
        assert held() and not lock_is_free()  # the savepoint's release is not the commit
        with contextlib.suppress(Rollback), transaction.atomic():
            Sequence.objects.create(name="inner-undone", value=1)
            raise Rollback
        assert held() and not lock_is_free()  # nor is a rollback to a savepoint
        with transaction.atomic(), transaction.atomic():
            assert held()
        assert flock_calls == [fcntl.LOCK_EX]
    assert not held() and lock_is_free()
    assert flock_calls == [fcntl.LOCK_EX, fcntl.LOCK_UN]
    assert Sequence.objects.filter(name="inner-kept").exists()
    assert not Sequence.objects.filter(name="inner-undone").exists()


def test_each_transaction_takes_the_lock_anew(transactional_db: None, flock_calls: list[int]) -> None:
    for i in range(3):
        with transaction.atomic():
            Sequence.objects.create(name=f"again-{i}", value=i)
        assert lock_is_free()
    assert flock_calls == [fcntl.LOCK_EX, fcntl.LOCK_UN] * 3


def test_reads_and_single_writes_outside_a_transaction_do_not_take_the_lock(
    transactional_db: None, flock_calls: list[int]
) -> None:
    Sequence.objects.create(name="autocommit", value=1)
    Sequence.objects.filter(name="autocommit").update(value=2)
    assert Sequence.objects.get(name="autocommit").value == 2
    assert flock_calls == [] and not held()


def test_a_failed_begin_releases_the_lock(transactional_db: None, monkeypatch: pytest.MonkeyPatch) -> None:
    def failing_begin(self: Any) -> None:
        raise sqlite3.OperationalError("database is locked")

    monkeypatch.setattr(django_sqlite.DatabaseWrapper, "_start_transaction_under_autocommit", failing_begin)
    with pytest.raises(Exception, match="database is locked"), transaction.atomic():
        pass  # pragma: no cover
    monkeypatch.undo()
    assert not held() and lock_is_free()
    with transaction.atomic():  # and the connection works on
        Sequence.objects.create(name="after-failed-begin", value=1)
    assert lock_is_free()


def test_closing_the_connection_inside_a_transaction_releases_the_lock(transactional_db: None) -> None:
    with transaction.atomic():
        assert held()
        connection.close()
        assert not held() and lock_is_free()
        assert connection._write_lock_fd is None  # type: ignore[attr-defined]
    # A new connection takes it again for its own transactions.
    with transaction.atomic():
        assert held() and not lock_is_free()
    assert lock_is_free()


def test_a_second_writer_waits_for_the_first_to_commit(transactional_db: None) -> None:
    """Writers queue on the lock: another connection's transaction begins only after this one ends."""
    entered = threading.Event()
    errors: list[BaseException] = []
    order: list[str] = []

    def writer() -> None:
        try:
            with transaction.atomic():
                entered.set()
                order.append("second begins")
                Sequence.objects.create(name="second-writer", value=2)
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)
        finally:
            connections.close_all()

    with transaction.atomic():
        Sequence.objects.create(name="first-writer", value=1)
        thread = threading.Thread(target=writer)
        thread.start()
        assert not entered.wait(0.3)  # queued on the lock, not inside SQLite's busy handler's loop
        order.append("first commits")
    started = time.monotonic()
    thread.join(10)
    assert not thread.is_alive() and not errors, errors
    assert time.monotonic() - started < 5
    assert order == ["first commits", "second begins"]
    assert set(Sequence.objects.filter(name__endswith="-writer").values_list("name", flat=True)) == {
        "first-writer",
        "second-writer",
    }
    assert lock_is_free()


@pytest.mark.parametrize(
    "query",
    [
        "SELECT 1",
        "SELECT * FROM t WHERE a = %s AND b IN (%s, %s)",
        "SELECT '100%%' || %s",  # a literal percent sign, doubled for the placeholders
        "INSERT INTO t (a, b) VALUES (%s, %s), (%s, %s)",
    ],
)
def test_the_cursor_converts_placeholders_as_djangos_and_once_per_statement(db: Any, query: str) -> None:
    with connection.cursor() as wrapper:
        cursor = wrapper.cursor
        assert isinstance(cursor, base.CursorWrapper)
        expected = django_sqlite.SQLiteCursorWrapper.convert_query(cursor, query)
        assert cursor.convert_query(query) == expected
        assert base._qmark(query) is base._qmark(query)  # held, not made again
        # Named parameters keep Django's own conversion.
        assert cursor.convert_query("SELECT %(a)s", param_names=["a"]) == "SELECT :a"


def test_statements_through_the_cursor_still_run(db: Any) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT %s || '%%', %s", ["50", 2])
        assert cursor.fetchone() == ("50%", 2)
        cursor.executemany("UPDATE core_sequence SET value = value WHERE name = %s", [["a"], ["b"]])


def test_an_integer_sqlite_cannot_bind_is_a_data_error(db: Any) -> None:
    # sqlite3 raises OverflowError, which is no database error: a 30-digit id in a request was a 500.
    from django.db import DataError

    from aftersales.service.models import ServiceRequest

    with pytest.raises(DataError, match="too large"):
        ServiceRequest.objects.filter(customer_id=2**64).exists()  # Django range-checks only integer fields
    with connection.cursor() as cursor:
        with pytest.raises(DataError):
            cursor.execute("SELECT %s", [2**70])
        with pytest.raises(DataError):
            cursor.executemany("UPDATE core_sequence SET value = %s WHERE 0", [(1,), (2**70,)])
        cursor.execute("SELECT %s", [2**63 - 1])  # the largest that binds
        assert cursor.fetchone() == (2**63 - 1,)
