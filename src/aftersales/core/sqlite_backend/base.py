"""Django's SQLite backend with a process-wide writer queue.

SQLite lets one writer in at a time; the others sleep-poll in its busy handler (1, 2, 5, 10 … ms), so
under concurrent writes the database is often free while every waiter is still asleep: tail latency
grows and throughput falls. Here each write transaction (Django starts them with `BEGIN IMMEDIATE`)
first takes an exclusive `flock` on a lock file beside the database and lets it go at commit or
rollback: writers from every worker process and thread queue in the kernel and the next one starts the
moment the last one ends (shared/research/create_path.md: +28 % creates per second, p99 35 → 18 ms).
Reads never take it, and single statements outside a transaction only meet SQLite's own lock.
"""

from __future__ import annotations

import fcntl
import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from typing import Any

from django.db.backends.sqlite3 import base


def write_lock_path(name: str) -> str:
    """The lock file of the writer queue of the database file `name`."""
    return name + ".writelock"


@contextmanager
def write_queue(name: str) -> Iterator[None]:
    """Wait for a turn in the writer queue of the database file `name` and hold it, on a descriptor of
    its own (flock belongs to an open file: a thread sharing its connection's descriptor would not be
    kept out by it). For work outside Django's connections, such as core.sqlite_checkpoint's."""
    fd = os.open(write_lock_path(name), os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # which lets the lock go


@contextmanager
def lock_if_free(path: str) -> Iterator[bool]:
    """Hold the lock file `path` if nobody else does (True), or say that somebody does (False) —
    without waiting; let go at the end."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        yield True
    finally:
        os.close(fd)


@lru_cache(maxsize=1024)
def _qmark(query: str) -> str:
    return base.FORMAT_QMARK_REGEX.sub("?", query).replace("%%", "%")


class CursorWrapper(base.SQLiteCursorWrapper):
    """Django's cursor, with each statement's change from `%s` to SQLite's `?` placeholders done once
    per distinct statement text, not at every execution (a regular expression over the whole text:
    ~4 % of a create, whose 15 statements are the same texts every time)."""

    def convert_query(self, query: str, *, param_names: list[str] | None = None) -> str:
        if param_names is None:
            return _qmark(query)
        return super().convert_query(query, param_names=param_names)  # type: ignore[misc]  # not in the stubs

    # sqlite3 refuses to bind an integer beyond 64 bits with OverflowError, which is no database error:
    # a page number or an id of 30 digits in a request would be a 500. It is raised as the DB-API's
    # DataError (Django's DataError above it), which PostgreSQL gives for a number out of range.
    def execute(self, query: str, params: Any = None) -> Any:
        try:
            return super().execute(query, params)
        except OverflowError as exc:
            raise sqlite3.DataError(str(exc)) from exc

    def executemany(self, query: str, param_list: Any) -> Any:
        try:
            return super().executemany(query, param_list)
        except OverflowError as exc:
            raise sqlite3.DataError(str(exc)) from exc


class DatabaseWrapper(base.DatabaseWrapper):
    def create_cursor(self, name: str | None = None) -> Any:
        return self.connection.cursor(factory=CursorWrapper)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._write_lock_fd: int | None = None
        self._write_lock_held = False

    def _write_lock_path(self) -> str | None:
        name = str(self.settings_dict.get("NAME") or "")
        if not name or self.is_in_memory_db() or name.startswith("file:"):
            return None
        return write_lock_path(name)

    def _write_lock_acquire(self) -> None:
        if self._write_lock_held:
            return
        if self._write_lock_fd is None:
            path = self._write_lock_path()
            if path is None:
                return
            self._write_lock_fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        fcntl.flock(self._write_lock_fd, fcntl.LOCK_EX)
        self._write_lock_held = True

    def _write_lock_release(self) -> None:
        if self._write_lock_held and self._write_lock_fd is not None:
            fcntl.flock(self._write_lock_fd, fcntl.LOCK_UN)
        self._write_lock_held = False

    def _start_transaction_under_autocommit(self) -> None:
        self._write_lock_acquire()
        try:
            super()._start_transaction_under_autocommit()  # type: ignore[misc]  # private in the stubs
        except BaseException:
            self._write_lock_release()
            raise

    def _commit(self) -> None:
        try:
            super()._commit()  # type: ignore[misc]  # private in the stubs
        finally:
            self._write_lock_release()

    def _rollback(self) -> None:
        try:
            super()._rollback()  # type: ignore[misc]  # private in the stubs
        finally:
            self._write_lock_release()

    def _close(self) -> None:
        try:
            super()._close()  # type: ignore[misc]  # private in the stubs
        finally:
            self._write_lock_release()
            if self._write_lock_fd is not None:
                os.close(self._write_lock_fd)
                self._write_lock_fd = None
