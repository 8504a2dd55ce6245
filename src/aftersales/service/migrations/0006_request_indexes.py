"""The service request's indexes for scope and queue counts.

- A creator's open requests get an index with the state (every scope includes what a person filed).
- The single-column indexes of customer, owner team, assignee and creator go: each leads a composite
  index already, and every create and change wrote them. Django would drop them by rebuilding the
  table on SQLite (minutes at a million requests); here they are dropped by name on both databases
  while the migration state records `db_index=False` (core.migration_sql.single_column_indexes).
"""

from django.conf import settings
from django.db import migrations, models

from aftersales.core.migration_sql import single_column_indexes

COLUMNS = ("customer_id", "org_unit_id", "assignee_id", "created_by_id")


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0002_alter_apitoken_expires_at_and_more"),
        ("catalog", "0002_initial"),
        ("customers", "0004_portal_contacts"),
        ("service", "0005_dashboard_indexes"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="servicerequest",
                    name="assignee",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=models.deletion.PROTECT,
                        related_name="assigned_requests",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="assignee",
                    ),
                ),
                migrations.AlterField(
                    model_name="servicerequest",
                    name="created_by",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="created by",
                    ),
                ),
                migrations.AlterField(
                    model_name="servicerequest",
                    name="customer",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=models.deletion.PROTECT,
                        related_name="service_requests",
                        to="customers.customer",
                        verbose_name="customer",
                    ),
                ),
                migrations.AlterField(
                    model_name="servicerequest",
                    name="org_unit",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=models.deletion.PROTECT,
                        related_name="service_requests",
                        to="accounts.orgunit",
                        verbose_name="owner team",
                    ),
                ),
            ],
            database_operations=[single_column_indexes("service", "servicerequest", COLUMNS)],
        ),
        migrations.AddIndex(
            model_name="servicerequest",
            index=models.Index(fields=["created_by", "status", "id"], name="sr_creator_status_idx"),
        ),
    ]
