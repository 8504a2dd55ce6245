"""Optimistic locking for `VersionedModel`: a write that lost a race answers 409, never overwrites."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import F
from django.utils import timezone

from aftersales.core import config_cache
from aftersales.core.errors import StaleVersion
from aftersales.core.models import VersionedModel


def save_versioned(instance: VersionedModel, *, expected_version: int, fields: Iterable[str]) -> None:
    """UPDATE the given fields only if the row still has `expected_version`; bump the version."""
    names = list(fields)
    values = {name: getattr(instance, getattr(instance._meta.get_field(name), "attname", name)) for name in names}
    # updated_at is auto_now, which .update() does not apply by itself.
    values["updated_at"] = timezone.now()
    updated = (
        type(instance)
        ._default_manager.filter(pk=instance.pk, version=expected_version)
        .update(version=F("version") + 1, **values)
    )
    if updated != 1:
        raise StaleVersion()
    if config_cache.is_watched(type(instance)):
        config_cache.config_changed()  # .update() sends no signal
    instance.version = expected_version + 1
    instance.updated_at = values["updated_at"]
