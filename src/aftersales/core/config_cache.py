"""Per-process copies of the configuration that nearly every request reads — the roles' permissions and
each person's scope, the org tree, assignment rules and the staff they pick from, time-limit policies
and calendars, message templates — kept exact across worker processes by one number in the database.

How it stays exact:
- Each app names its configuration models with `watch(Model)` (in `AppConfig.ready`). Any save, delete
  or many-to-many change of such a model — through a service, the admin or the ORM — writes a new
  random *generation* into the `core_sequence` row "config", in the same transaction as the change: a
  rollback restores the old number, and a number never comes back, so an entry loaded under it can
  never be mistaken for another state.
- A value is served from the cache only when it was loaded under the generation the database holds
  now. A web request reads that number once (one primary-key SELECT; the middleware marks the start
  and end of each request) — after it changed the configuration inside a transaction, which a rollback
  may undo, at every use; code outside a request reads it at every use.
- `QuerySet.update()`, `bulk_create()` and raw SQL bypass Django's signals: code that changes a watched
  model that way calls `config_changed()` itself.
- Every `migrate` (and a test database's flush) ends with a new generation, which also creates the
  row on a new database; with no row nothing is cached.

Cached values are shared by every request of the process: callers treat them as read-only.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Callable, Iterable
from contextvars import ContextVar
from typing import Any, TypeVar

from django.db import connection
from django.db.models import Model
from django.db.models.signals import m2m_changed, post_delete, post_save

from aftersales.core.models import Sequence

T = TypeVar("T")

GENERATION_NAME = "config"
MAX_ENTRIES = 5000  # per-person entries (permissions, scope) are many; start afresh beyond this

_TABLE = Sequence._meta.db_table
_entries: dict[str, tuple[int, Any]] = {}
_watched: set[type[Model]] = set()
_lock = threading.Lock()
_rng = random.SystemRandom()
# Within a web request: {"generation": n} once read, {"live": 1} after a change a rollback could undo;
# None outside requests (read at every use).
_request_memo: ContextVar[dict[str, int | None] | None] = ContextVar("aftersales_config_generation", default=None)


def request_started() -> object:
    """Called by the middleware as a request begins; returns the token for `request_finished`."""
    return _request_memo.set({})


def request_finished(token: object) -> None:
    _request_memo.reset(token)  # type: ignore[arg-type]


def _read_generation() -> int | None:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT value FROM {_TABLE} WHERE name = %s", [GENERATION_NAME])  # noqa: S608 (our table)
        row = cursor.fetchone()
    return int(row[0]) if row else None


def generation() -> int | None:
    """The configuration's current generation (None: no row yet, nothing is cached)."""
    memo = _request_memo.get()
    if memo is None or "live" in memo:
        return _read_generation()
    if "generation" not in memo:
        memo["generation"] = _read_generation()
    return memo["generation"]


def cached(key: str, load: Callable[[], T]) -> T:
    """The value under `key`, loaded by `load()` unless a copy of the current generation is held."""
    current = generation()
    if current is None:
        return load()
    hit = _entries.get(key)
    if hit is not None and hit[0] == current:
        return hit[1]  # type: ignore[no-any-return]
    value = load()
    with _lock:
        if len(_entries) >= MAX_ENTRIES:
            _entries.clear()
        _entries[key] = (current, value)
    return value


def config_changed() -> None:
    """A watched model changed: give the configuration a new generation (inside the caller's transaction)."""
    value = _rng.getrandbits(62)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {_TABLE} (name, value) VALUES (%s, %s) "  # noqa: S608 (our table)
            "ON CONFLICT (name) DO UPDATE SET value = excluded.value",
            [GENERATION_NAME, value],
        )
    memo = _request_memo.get()
    if memo is not None:
        if connection.in_atomic_block:
            # A rollback would bring the old number back unseen by the memo (and serve what was loaded
            # under the new one): read it at every use for the rest of this request.
            memo.clear()
            memo["live"] = 1
        elif "live" not in memo:
            memo["generation"] = value


def after_migrate(sender: Any, using: str = "default", **kwargs: Any) -> None:
    """post_migrate: migrations write configuration without signals, and a new database has no
    generation row yet (nothing would be cached until the first change)."""
    if sender.label == "core" and using == connection.alias:
        config_changed()


def clear() -> None:
    """Forget every entry of this process (tests; a changed generation does it anyway)."""
    with _lock:
        _entries.clear()


def is_watched(model: type[Model]) -> bool:
    return model in _watched


def watch(model: type[Model], *, ignore_fields: Iterable[str] = (), m2m: Iterable[Any] = ()) -> None:
    """Treat `model` as configuration: its saves and deletes (and the changes of the many-to-many
    `through` tables given) start a new generation. A save whose `update_fields` are all in
    `ignore_fields` (e.g. a user's last sign-in time) does not."""
    _watched.add(model)
    ignored = frozenset(ignore_fields)
    uid = f"config-cache:{model._meta.label}"

    def saved(sender: Any, update_fields: Any = None, raw: bool = False, **kwargs: Any) -> None:
        if update_fields and ignored and set(update_fields) <= ignored:
            return
        config_changed()

    def deleted(sender: Any, **kwargs: Any) -> None:
        config_changed()

    def m2m_change(sender: Any, action: str, **kwargs: Any) -> None:
        if action in ("post_add", "post_remove", "post_clear"):
            config_changed()

    post_save.connect(saved, sender=model, weak=False, dispatch_uid=uid)
    post_delete.connect(deleted, sender=model, weak=False, dispatch_uid=uid)
    for through in m2m:
        m2m_changed.connect(m2m_change, sender=through, weak=False, dispatch_uid=f"{uid}:{through._meta.label}")
