"""Single-column indexes that a composite index already leads with go — the request of a timeline entry
(timeline_request_idx), of a timer (the unique request + metric) and the user of an idempotency key (the
unique user + key): every create wrote them. Dropped by name (core.migration_sql.single_column_indexes)."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

from aftersales.core.migration_sql import single_column_indexes


class Migration(migrations.Migration):
    dependencies = [
        ("service", "0007_drop_dashboard_type_index"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="idempotencykey",
                    name="user",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="user",
                    ),
                ),
                migrations.AlterField(
                    model_name="requesttimer",
                    name="request",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="timers",
                        to="service.servicerequest",
                        verbose_name="request",
                    ),
                ),
                migrations.AlterField(
                    model_name="timelineentry",
                    name="request",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="timeline",
                        to="service.servicerequest",
                        verbose_name="request",
                    ),
                ),
            ],
            database_operations=[
                single_column_indexes("service", "idempotencykey", ["user_id"]),
                single_column_indexes("service", "requesttimer", ["request_id"]),
                single_column_indexes("service", "timelineentry", ["request_id"]),
            ],
        ),
    ]
