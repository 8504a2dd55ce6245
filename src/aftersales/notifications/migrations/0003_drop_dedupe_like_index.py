"""PostgreSQL: the outbox dedupe key's `varchar_pattern_ops` index goes: keys are looked up whole (the
unique index). Every message written wrote it."""

from django.db import migrations

from aftersales.core.migration_sql import postgresql_like_indexes


class Migration(migrations.Migration):
    dependencies = [("notifications", "0002_default_templates")]

    operations = [postgresql_like_indexes("notifications", "outboxmessage", ["dedupe_key"])]
