"""The audit-trail service: every service function that changes a domain record calls `audit_record`."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from django.db import models

from aftersales.core import context
from aftersales.core.inserts import Rows
from aftersales.core.models import AuditAction, AuditEntry

# The allowed actions, once: an enum's `.values` rebuilds its choices at every call.
_ACTIONS = frozenset(AuditAction.values)

Changes = dict[str, list[Any]]


def json_value(value: Any) -> Any:
    """A JSON-safe rendering of a field value, stable enough to compare old with new."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, Mapping):
        return {str(k): json_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [json_value(v) for v in value]
    return str(value)


def snapshot(instance: models.Model, fields: Iterable[str]) -> dict[str, Any]:
    """Field values of a record as JSON-safe data; foreign keys by id (`attname`)."""
    result: dict[str, Any] = {}
    for name in fields:
        f = instance._meta.get_field(name)
        attname = getattr(f, "attname", name)
        result[name] = json_value(getattr(instance, attname))
    return result


def diff(before: Mapping[str, Any], after: Mapping[str, Any]) -> Changes:
    """{field: [old, new]} for every field whose value differs."""
    keys = list(dict.fromkeys([*before.keys(), *after.keys()]))
    return {k: [before.get(k), after.get(k)] for k in keys if before.get(k) != after.get(k)}


def target_type_of(instance: models.Model) -> str:
    return instance._meta.label_lower


def audit_record(
    *,
    action: str,
    target: models.Model | None = None,
    target_type: str = "",
    object_id: str | int = "",
    object_repr: str = "",
    changes: Changes | None = None,
    note: str = "",
    org_unit_id: int | None = None,
    actor: Any = None,
) -> AuditEntry:
    """Insert one audit entry. Actor, channel, IP and request id come from the action context."""
    entry = audit_entry(
        action=action,
        target=target,
        target_type=target_type,
        object_id=object_id,
        object_repr=object_repr,
        changes=changes,
        note=note,
        org_unit_id=org_unit_id,
        actor=actor,
    )
    entry.save(force_insert=True)
    return entry


def audit_record_many(entries: Rows) -> None:
    """Insert several entries built by `audit_entry` in one statement (a create that is also judged,
    dispatched or resolved at once), converted before the caller's transaction by
    `core.inserts.rows(entries)`."""
    if not entries.of(AuditEntry):
        raise TypeError("audit_record_many() writes audit entries")
    entries.write()


def audit_entry(
    *,
    action: str,
    target: models.Model | None = None,
    target_type: str = "",
    object_id: str | int = "",
    object_repr: str = "",
    changes: Changes | None = None,
    note: str = "",
    org_unit_id: int | None = None,
    actor: Any = None,
) -> AuditEntry:
    """An unsaved audit entry: `audit_record` inserts one, `audit_record_many` several at once."""
    ctx = context.current()
    who = actor if actor is not None else ctx.actor
    if target is not None:
        target_type = target_type or target_type_of(target)
        object_id = object_id or target.pk
        object_repr = object_repr or str(target)
        if org_unit_id is None:
            # A record names its unit by `audit_unit_id` (e.g. an org unit is its own) or `org_unit_id`.
            org_unit_id = getattr(target, "audit_unit_id", getattr(target, "org_unit_id", None))
    if action not in _ACTIONS:
        raise ValueError(f"unknown audit action {action!r}")
    entry = AuditEntry(
        actor=who if who is not None and getattr(who, "pk", None) else None,
        actor_label=_actor_label(who),
        channel=ctx.channel,
        ip=ctx.ip,
        request_id=ctx.request_id,
        action=action,
        target_type=target_type,
        object_id=str(object_id),
        object_repr=object_repr[:200],
        org_unit_id=org_unit_id,
        changes=changes or {},
        note=note,
    )
    return entry


def _actor_label(who: Any) -> str:
    if who is None or not getattr(who, "pk", None):
        return "系统"
    name = getattr(who, "full_name", "") or who.get_username()
    return f"{name} ({who.get_username()})" if name != who.get_username() else name


def history_for(instance: models.Model, *, limit: int = 200) -> list[AuditEntry]:
    """The audit entries of one record, newest first (what each record page shows)."""
    return list(
        AuditEntry.objects.filter(target_type=target_type_of(instance), object_id=str(instance.pk))
        .select_related("actor")
        .order_by("-id")[:limit]
    )
