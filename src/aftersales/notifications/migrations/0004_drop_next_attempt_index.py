"""The outbox's single-column next-attempt index goes: delivery asks for pending messages by next
attempt, which outbox_due_idx (status, next_attempt_at) answers, and every message written wrote both.
Dropped by name (core.migration_sql)."""

from django.db import migrations, models

from aftersales.core.migration_sql import field_index_dropped


class Migration(migrations.Migration):
    dependencies = [("notifications", "0003_drop_dedupe_like_index")]

    operations = [
        field_index_dropped(
            "notifications", "outboxmessage", "next_attempt_at", models.DateTimeField(verbose_name="next attempt")
        ),
    ]
