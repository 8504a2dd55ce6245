"""SQLite's WAL checkpoints in a thread of each web worker, not inside the request that commits.

In WAL mode every commit appends the pages it changed to the write-ahead log, and by default the commit
that takes the log past 1,000 pages copies them back into the database file, with two fsyncs, inside
that request: about 1 commit in 17 of a service-request create took 7 ms instead of 0.3 ms (in-process at
1M requests), the creates' p99 was twice their p90. Here a thread in each web worker runs a PASSIVE
checkpoint every CHECKPOINT_SECONDS on a connection of its own: it never waits for a lock, writers and
readers go on meanwhile (SQLite releases the GIL while it copies), and with two workers one of them
simply finds the other checkpointing. The connections' own automatic checkpoint stays, at a larger
threshold (settings.SQLITE_OPTIONS), for processes without the thread — commands, the job worker — and
in case the thread is not running.

`AFTERSALES_SQLITE_CHECKPOINT_SECONDS=0` turns the thread off.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
import time
from collections.abc import Mapping
from typing import Any

from django.conf import settings

logger = logging.getLogger(__name__)

CHECKPOINT_SECONDS = 1.0
_started_in: int | None = None


def checkpoint(connection: sqlite3.Connection) -> tuple[int, int, int]:
    """One PASSIVE checkpoint through `connection`: (busy, frames in the log, frames copied so far)."""
    # fetchall: a statement left with rows unread keeps a read mark, and the log could never restart.
    ((busy, log_frames, copied),) = connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
    return int(busy), int(log_frames), int(copied)


def _loop(path: str, seconds: float) -> None:
    connection: sqlite3.Connection | None = None
    while True:
        time.sleep(seconds)
        try:
            if connection is None:
                # Its own connection, kept (opening one reads the schema: ~3 ms), in autocommit.
                connection = sqlite3.connect(path, timeout=0, isolation_level=None, check_same_thread=False)
            checkpoint(connection)
        except sqlite3.Error:
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
