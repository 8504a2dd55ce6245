"""The database's indexes as migrated: every foreign key that a delete looks up (CASCADE, PROTECT, …) is
indexed — by its own index, or, where that was dropped as redundant, by one that leads with it."""

from __future__ import annotations

import pytest
from django.apps import apps
from django.db import connection, models

pytestmark = pytest.mark.django_db

# Foreign keys whose own index was dropped because a composite index or unique constraint leads with them.
LED_BY_ANOTHER = {
    ("core.AuditEntry", "actor_id"),
    ("service.IdempotencyKey", "user_id"),
    ("service.RequestTimer", "request_id"),
    ("service.TimelineEntry", "request_id"),
    ("service.ServiceRequest", "customer_id"),
    ("service.ServiceRequest", "org_unit_id"),
    ("service.ServiceRequest", "assignee_id"),
    ("service.ServiceRequest", "created_by_id"),
}


def indexes_of(model: type[models.Model]) -> list[tuple[list[str], bool]]:
    with connection.cursor() as cursor:
        found = connection.introspection.get_constraints(cursor, model._meta.db_table)
    return [(c["columns"], bool(c["unique"])) for c in found.values() if c["index"] or c["unique"] or c["primary_key"]]


def test_every_foreign_key_is_indexed_by_its_own_index_or_one_that_leads_with_it():
    seen = set()
    unindexed: list[tuple[str, str]] = []
    for model in apps.get_models():
        if model._meta.managed is False or model._meta.proxy:
            continue
        for field in model._meta.local_fields:
            if not isinstance(field, models.ForeignKey) or field.remote_field.on_delete is models.DO_NOTHING:
                continue  # (deleting the target never looks these rows up: the rollup's delta rows)
            indexes = indexes_of(model)
            own = any(columns == [field.column] for columns, _unique in indexes)
            led = any(len(columns) > 1 and columns[0] == field.column for columns, _unique in indexes)
            key = (model._meta.label, field.column)
            if key in LED_BY_ANOTHER:
                seen.add(key)
                assert not own, f"{key}: its own index should be gone"
                assert led, f"{key}: no index leads with it"
                assert field.db_index is False, key
            elif not (own or led):
                unindexed.append(key)
    assert seen == LED_BY_ANOTHER
    assert unindexed == []


def test_no_prefix_indexes_on_keys_looked_up_whole():
    """PostgreSQL's `…_like` indexes of the request number and the outbox dedupe key are gone (their
    unique indexes stay); SQLite never had them."""
    from aftersales.notifications.models import OutboxMessage
    from aftersales.service.models import ServiceRequest

    for model, column in ((ServiceRequest, "number"), (OutboxMessage, "dedupe_key")):
        with connection.cursor() as cursor:
            found = connection.introspection.get_constraints(cursor, model._meta.db_table)
        on_column = {name: c for name, c in found.items() if c["columns"] == [column]}
        assert not [name for name in on_column if name.endswith("_like")], model
        assert any(c["unique"] for c in on_column.values()), model
