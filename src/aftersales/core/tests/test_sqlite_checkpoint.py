"""core.sqlite_checkpoint: the web worker's thread copies the write-ahead log back, and lets it restart."""

from __future__ import annotations

import contextlib
import fcntl
import os
import sqlite3
import threading
from pathlib import Path

import pytest
from django.db import connection

from aftersales.core import sqlite_checkpoint
from aftersales.core.sqlite_backend import base


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


# --- starting the log again under a steady stream of writes ------------------------------------------


def frames_in_log(path: Path) -> int:
    probe = sqlite3.connect(path, timeout=0, isolation_level=None)
    try:
        return sqlite_checkpoint.checkpoint(probe)[1]
    finally:
        probe.close()


def test_a_small_log_is_only_copied_beside_the_writers(tmp_path, monkeypatch):
    path = tmp_path / "app.sqlite3"
    db = wal_database(path)
    write(db, 100)
    queued: list[str] = []
    monkeypatch.setattr(sqlite_checkpoint, "write_queue", lambda name: queued.append(name))  # must not be called
    checkpointer = sqlite3.connect(path, timeout=0, isolation_level=None)
    busy, frames, copied = sqlite_checkpoint.checkpoint_and_restart(checkpointer, str(path))
    assert (busy, copied) == (0, frames) and 0 < frames < sqlite_checkpoint.RESTART_FRAMES
    assert queued == []
    checkpointer.close()
    db.close()


def test_a_long_log_is_finished_in_the_writers_queue_and_then_starts_again(tmp_path, monkeypatch):
    path = tmp_path / "app.sqlite3"
    db = wal_database(path)
    write(db, 100)
    monkeypatch.setattr(sqlite_checkpoint, "RESTART_FRAMES", 20)
    checkpointer = sqlite3.connect(path, timeout=0, isolation_level=None, check_same_thread=False)
    # A writer holds the queue: the round waits for it (a thread, as in the web worker) …
    holder = os.open(base.write_lock_path(str(path)), os.O_RDWR | os.O_CREAT, 0o600)
    fcntl.flock(holder, fcntl.LOCK_EX)
    done = threading.Event()
    result: list[tuple[int, int, int]] = []

    def round_() -> None:
        result.append(sqlite_checkpoint.checkpoint_and_restart(checkpointer, str(path)))
        done.set()

    thread = threading.Thread(target=round_)
    thread.start()
    assert not done.wait(0.3)
    write(db, 5)  # … and the holder's commit lands before the last copy
    fcntl.flock(holder, fcntl.LOCK_UN)
    os.close(holder)
    thread.join(5)
    busy, frames, copied = result[0]
    assert busy == 0 and copied == frames > 0  # everything, the holder's frames too
    write(db, 1)  # the next write starts the log from its beginning
    assert frames_in_log(path) < 5
    assert db.execute("SELECT COUNT(*) FROM t").fetchone() == (106,)
    checkpointer.close()
    db.close()


def test_a_reader_inside_the_log_only_delays_the_restart(tmp_path, monkeypatch):
    path = tmp_path / "app.sqlite3"
    db = wal_database(path)
    write(db, 50)
    reader = sqlite3.connect(path, isolation_level=None)
    reader.execute("BEGIN")
    reader.execute("SELECT COUNT(*) FROM t").fetchone()
    write(db, 50)
    monkeypatch.setattr(sqlite_checkpoint, "RESTART_FRAMES", 20)
    monkeypatch.setattr(sqlite_checkpoint, "RESTART_WAIT_MS", 10)
    checkpointer = sqlite3.connect(path, timeout=0, isolation_level=None)
    busy, _frames, _copied = sqlite_checkpoint.checkpoint_and_restart(checkpointer, str(path))
    assert busy == 1  # it waited 10 ms for the reader, then gave up for this round
    assert base_lock_is_free(path)  # and let the writers go
    write(db, 1)
    assert frames_in_log(path) > 50  # the log went on
    reader.execute("COMMIT")
    busy, frames, copied = sqlite_checkpoint.checkpoint_and_restart(checkpointer, str(path))
    assert busy == 0 and copied == frames
    write(db, 1)
    assert frames_in_log(path) < 5
    for c in (checkpointer, reader, db):
        c.close()


def base_lock_is_free(path: Path) -> bool:
    with base.lock_if_free(base.write_lock_path(str(path))) as free:
        return free


def test_one_process_checkpoints_at_a_time(tmp_path):
    path = str(tmp_path / "app.sqlite3")
    # Another worker's thread, in the same round, finds the turn taken.
    with sqlite_checkpoint._turn(path) as first, sqlite_checkpoint._turn(path) as second:
        assert (first, second) == (True, False)
    with sqlite_checkpoint._turn(path) as later:
        assert later is True


# --- the log written out between checkpoints ------------------------------------------------------


def test_the_log_is_written_out_only_when_there_is_one(tmp_path):
    path = tmp_path / "app.sqlite3"
    assert sqlite_checkpoint._flush(str(path), log_only=True) == 0  # no database yet: nothing, no error
    db = wal_database(path)
    write(db, 10)
    assert sqlite_checkpoint._flush(str(path), log_only=True) == 1
    assert sqlite_checkpoint._flush(str(path)) == 2
    db.close()


class Stop(BaseException):
    """Ends the thread's endless loop in a test (it catches only database and OS errors)."""


def run_loop(monkeypatch, path: Path, seconds: float, ticks: int, *, turn: bool = True) -> list[str]:
    """The thread's loop for `ticks` sleeps on a clock that each sleep moves on: what it did, in order.
    `turn`: whether this process's thread gets the turn (another worker's may hold it)."""
    clock = [1000.0]
    slept = 0
    done: list[str] = []

    def sleep(s: float) -> None:
        nonlocal slept
        if slept == ticks:
            raise Stop
        slept += 1
        clock[0] += s

    def flush(name: str, *, log_only: bool = False) -> int:
        assert log_only
        done.append("flush")
        return 1

    def checkpoint_round(connection, name) -> tuple[int, int, int]:
        done.append("checkpoint")
        return (0, 0, 0)

    monkeypatch.setattr(sqlite_checkpoint.time, "sleep", sleep)
    monkeypatch.setattr(sqlite_checkpoint.time, "monotonic", lambda: clock[0])
    monkeypatch.setattr(sqlite_checkpoint, "_turn", lambda name: contextlib.nullcontext(turn))
    monkeypatch.setattr(sqlite_checkpoint, "_flush", flush)
    monkeypatch.setattr(sqlite_checkpoint, "checkpoint_and_restart", checkpoint_round)
    with pytest.raises(Stop):
        sqlite_checkpoint._loop(str(path), seconds)
    return done


def test_between_checkpoints_the_thread_writes_the_log_out_every_tenth_of_a_second(tmp_path, monkeypatch):
    done = run_loop(monkeypatch, tmp_path / "app.sqlite3", 1.0, 30)
    assert done == (["flush"] * 9 + ["checkpoint"]) * 3
    # A checkpoint interval shorter than the tick: a checkpoint every time, nothing in between.
    assert run_loop(monkeypatch, tmp_path / "app.sqlite3", 0.05, 4) == ["checkpoint"] * 4


def test_without_the_turn_the_thread_neither_writes_the_log_out_nor_checkpoints(tmp_path, monkeypatch):
    assert run_loop(monkeypatch, tmp_path / "app.sqlite3", 1.0, 25, turn=False) == []
