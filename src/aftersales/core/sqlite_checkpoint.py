"""SQLite's WAL checkpoints in a thread of each web worker, not inside the request that commits.

In WAL mode every commit appends the pages it changed to the write-ahead log, and by default the commit
that takes the log past 1,000 pages copies them back into the database file, with two fsyncs, inside
that request: about 1 commit in 17 of a service-request create took 7 ms instead of 0.3 ms (in-process at
1M requests), the creates' p99 was twice their p90. Here a thread in each web worker runs a PASSIVE
checkpoint every CHECKPOINT_SECONDS on a connection of its own, one worker's thread at a time: it waits
for no lock, writers and readers go on meanwhile (SQLite releases the GIL while it copies). Because the
log starts again only at a write that finds it copied to its end, which a steady stream of writes never
leaves it, a round that finds the log past RESTART_FRAMES finishes the copy in the writers' queue
(checkpoint_and_restart). The connections' own automatic checkpoint stays, at a larger threshold
(settings.SQLITE_OPTIONS), for processes without the thread — commands, the job worker — and in case
the thread is not running.

Between checkpoints the same thread writes the log out to disk every FLUSH_SECONDS (fdatasync, outside
any lock). A checkpoint must first make the log durable, and at 1M requests a create adds ~55 pages to
it: a second of saturated creates is ~200 MB, whose fsync held the checkpoint for 60-90 ms and stalled
the commits of both workers meanwhile (the slowest creates came once a second, at the checkpoints).
Written out in tenths of a second, the checkpoint finds little left (16-30 ms), and the creates' p99
fell from ~2.1 to ~1.75 × their p50 in alternating runs.

`AFTERSALES_SQLITE_CHECKPOINT_SECONDS=0` turns the thread off."""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
import time
from collections.abc import Mapping
from contextlib import AbstractContextManager
from typing import Any

from django.conf import settings

from aftersales.core.sqlite_backend.base import lock_if_free, write_queue

logger = logging.getLogger(__name__)

CHECKPOINT_SECONDS = 1.0
# How often, between checkpoints, the log is written out to disk (see the module's text).
FLUSH_SECONDS = 0.1
# The log starts again from its beginning only at a write that finds it copied to its end and no reader
# inside it; under a steady stream of writes some commit always lands while a copy runs, and the log
# grows. Past this many frames (160 MB; ~2 s of saturated creates) the thread ends a round with a
# RESTART checkpoint inside the writers' queue — a pause for the writers, so it is kept rare. Below
# wal_autocheckpoint (settings.SQLITE_OPTIONS): no commit should reach the connections' own checkpoint,
# which runs inside the commit, holding the write lock, with two fsyncs of everything unwritten.
RESTART_FRAMES = 40_000
# How long the RESTART checkpoint waits for readers still inside the log (they take milliseconds);
# past it the log goes on growing and the next round tries again.
RESTART_WAIT_MS = 50
_started_in: int | None = None


def checkpoint(connection: sqlite3.Connection, mode: str = "PASSIVE") -> tuple[int, int, int]:
    """One checkpoint through `connection`: (busy, frames in the log, frames copied so far)."""
    if mode not in {"PASSIVE", "RESTART"}:
        raise ValueError(mode)
    # fetchall: a statement left with rows unread keeps a read mark, and the log could never restart.
    ((busy, log_frames, copied),) = connection.execute(f"PRAGMA wal_checkpoint({mode})").fetchall()
    return int(busy), int(log_frames), int(copied)


def _flush(path: str, *, log_only: bool = False) -> int:
    """fdatasync the database file and its log (or the log only), as SQLite's checkpoint does, but
    outside any lock. Returns how many of the files there were (a log is made by the first write)."""
    flushed = 0
    for name in (path + "-wal",) if log_only else (path, path + "-wal"):
        try:
            fd = os.open(name, os.O_RDONLY)
        except FileNotFoundError:
            continue
        try:
            os.fdatasync(fd)
            flushed += 1
        finally:
            os.close(fd)
    return flushed


def checkpoint_and_restart(connection: sqlite3.Connection, path: str) -> tuple[int, int, int]:
    """Copy the log back beside the writers (PASSIVE); when it has grown to RESTART_FRAMES, copy what
    they added meanwhile in their queue, with no commit landing, and wait there up to RESTART_WAIT_MS
    for the readers still inside the log (RESTART), so that the next write starts it again from the
    beginning. Returns the last checkpoint's (busy, frames, copied).

    What the writers wait for meanwhile is mostly the checkpoint's two fsyncs, which write out whatever
    of the two files is still unwritten — 100-200 ms after a copy of 40,000 frames on this machine's
    disk. So both files are flushed first, outside the queue, and the checkpoint inside it only has the
    frames of the last moments to write."""
    busy, frames, copied = checkpoint(connection)
    if frames < RESTART_FRAMES:
        return busy, frames, copied
    _flush(path)
    with write_queue(path):
        connection.execute(f"PRAGMA busy_timeout = {RESTART_WAIT_MS}")
        try:
            return checkpoint(connection, "RESTART")
        finally:
            connection.execute("PRAGMA busy_timeout = 0")


def _turn(path: str) -> AbstractContextManager[bool]:
    """Whether this process's thread has the checkpointing to itself now (the other workers' threads
    skip a round rather than copy and fsync beside it)."""
    return lock_if_free(path + ".checkpointlock")


def _loop(path: str, seconds: float) -> None:
    """Every `seconds` a checkpoint round; in between, every FLUSH_SECONDS, the log written out. Each
    tick is taken only with the turn: another worker's thread has it meanwhile."""
    connection: sqlite3.Connection | None = None
    tick = min(seconds, FLUSH_SECONDS)
    next_round = time.monotonic() + seconds
    while True:
        time.sleep(tick)
        try:
            with _turn(path) as mine:
                if not mine:
                    continue
                if time.monotonic() < next_round - tick / 2:
                    _flush(path, log_only=True)
                    continue
                next_round = time.monotonic() + seconds
                if connection is None:
                    # Its own connection, kept (opening one reads the schema: ~3 ms), in autocommit.
                    connection = sqlite3.connect(path, timeout=0, isolation_level=None, check_same_thread=False)
                checkpoint_and_restart(connection, path)
        except (sqlite3.Error, OSError):
            logger.warning("SQLite checkpoint failed", exc_info=True)
            if connection is not None:
                connection.close()
            connection = None


def database_path(given: Mapping[str, Any] | None = None) -> str | None:
    """The (default) database's file when it is SQLite on disk; None otherwise."""
    database: Mapping[str, Any] = settings.DATABASES["default"] if given is None else given
    if "sqlite3" not in database["ENGINE"] and "sqlite_backend" not in database["ENGINE"]:
        return None
    name = str(database.get("NAME") or "")
    if not name or name == ":memory:" or name.startswith("file:"):
        return None
    return name


def start() -> bool:
    """Start this process's checkpoint thread (once per process; after a fork, again). True if started."""
    global _started_in  # noqa: PLW0603 (once per process)
    raw = os.environ.get("AFTERSALES_SQLITE_CHECKPOINT_SECONDS", "")
    try:
        seconds = float(raw) if raw.strip() else CHECKPOINT_SECONDS
    except ValueError:
        logger.warning("AFTERSALES_SQLITE_CHECKPOINT_SECONDS is not a number: %r; using %s", raw, CHECKPOINT_SECONDS)
        seconds = CHECKPOINT_SECONDS
    path = database_path()
    if seconds <= 0 or path is None or _started_in == os.getpid():
        return False
    _started_in = os.getpid()
    threading.Thread(target=_loop, args=(path, seconds), name="sqlite-checkpoint", daemon=True).start()
    return True
