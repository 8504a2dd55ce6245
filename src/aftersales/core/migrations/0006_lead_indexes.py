"""The audit trail's single-column index of the actor goes: audit_actor_idx (actor, id) leads with it,
and every change of every record wrote both. Dropped by name (core.migration_sql.single_column_indexes)."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

from aftersales.core.migration_sql import single_column_indexes


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0005_sequence"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="auditentry",
                    name="actor",
                    field=models.ForeignKey(
                        blank=True,
                        db_constraint=False,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="actor",
                    ),
                ),
            ],
            database_operations=[single_column_indexes("core", "auditentry", ["actor_id"])],
        ),
    ]
