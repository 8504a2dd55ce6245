"""core.sqlite_checkpoint: the web worker's thread copies the write-ahead log back, and lets it restart."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from django.db import connection

from aftersales.core import sqlite_checkpoint


def wal_database(path: Path) -> sqlite3.Connection:
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA wal_autocheckpoint=0")  # only the checkpointer copies, as under a busy writer
    db.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)")
    return db


def write(db: sqlite3.Connection, n: int) -> None:
    for i in range(n):
        db.execute("INSERT INTO t (v) VALUES (?)", (f"行{i}" * 50,))


def test_a_checkpoint_copies_the_whole_log_and_the_next_writes_start_it_again(tmp_path):
    path = tmp_path / "app.sqlite3"
    db = wal_database(path)
    write(db, 200)
    checkpointer = sqlite3.connect(path, timeout=0, isolation_level=None)
    busy, frames, copied = sqlite_checkpoint.checkpoint(checkpointer)
    assert busy == 0 and frames > 50 and copied == frames
    # Nothing holds the log (the checkpoint's own statement is finished): the next write restarts it.
    write(db, 1)
    _busy, frames_after, _copied = sqlite_checkpoint.checkpoint(checkpointer)
    assert frames_after < 5
    assert db.execute("SELECT COUNT(*) FROM t").fetchone() == (201,)
    checkpointer.close()
    db.close()


def test_an_open_reader_does_not_block_it(tmp_path):
    path = tmp_path / "app.sqlite3"
    db = wal_database(path)
    write(db, 50)
    reader = sqlite3.connect(path, isolation_level=None)
    reader.execute("BEGIN")
    assert reader.execute("SELECT COUNT(*) FROM t").fetchone() == (50,)
    write(db, 50)  # after the reader's snapshot: those frames must stay in the log for now
    checkpointer = sqlite3.connect(path, timeout=0, isolation_level=None)
    busy, frames, copied = sqlite_checkpoint.checkpoint(checkpointer)  # PASSIVE: copies what it can, at once
    assert busy == 0 and 0 < copied < frames
    reader.execute("COMMIT")
    busy, frames, copied = sqlite_checkpoint.checkpoint(checkpointer)
    assert copied == frames
    for c in (checkpointer, reader, db):
        c.close()


def test_the_thread_starts_once_per_process_and_only_for_sqlite(monkeypatch):
    started: list[tuple[str, float]] = []

    class FakeThread:
        def __init__(self, target, args, name, daemon):
            self.args = args

        def start(self):
            started.append(self.args)

    monkeypatch.setattr(sqlite_checkpoint.threading, "Thread", FakeThread)
    monkeypatch.setattr(sqlite_checkpoint, "_started_in", None)
    if connection.vendor != "sqlite":
        assert sqlite_checkpoint.database_path() is None
        assert sqlite_checkpoint.start() is False and started == []
        return
    assert sqlite_checkpoint.database_path() == str(connection.settings_dict["NAME"])
    monkeypatch.setenv("AFTERSALES_SQLITE_CHECKPOINT_SECONDS", "0")
    assert sqlite_checkpoint.start() is False
    monkeypatch.setenv("AFTERSALES_SQLITE_CHECKPOINT_SECONDS", "0.5")
    assert sqlite_checkpoint.start() is True
    assert sqlite_checkpoint.start() is False  # the same process: one thread
    assert started == [(str(connection.settings_dict["NAME"]), 0.5)]
    # A value that is not a number is reported and the default used (a worker must still start).
    monkeypatch.setattr(sqlite_checkpoint, "_started_in", None)
    monkeypatch.setenv("AFTERSALES_SQLITE_CHECKPOINT_SECONDS", "one second")
    assert sqlite_checkpoint.start() is True
    assert started[-1] == (str(connection.settings_dict["NAME"]), sqlite_checkpoint.CHECKPOINT_SECONDS)


@pytest.mark.parametrize("name", [":memory:", "", "file:memorydb_default?mode=memory&cache=shared"])
def test_no_thread_for_a_database_in_memory(name):
    assert sqlite_checkpoint.database_path({"ENGINE": "aftersales.core.sqlite_backend", "NAME": name}) is None
    assert sqlite_checkpoint.database_path({"ENGINE": "django.db.backends.postgresql", "NAME": "aftersales"}) is None
    assert sqlite_checkpoint.database_path({"ENGINE": "aftersales.core.sqlite_backend", "NAME": "/d/a.sqlite3"}) == (
        "/d/a.sqlite3"
    )
