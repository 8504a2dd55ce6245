"""The timers' single-column due-time index goes: the sweeps read running timers by due time through
timer_open_due_idx (met_at, due_at), and every timer written wrote both (at 1M requests about 4 of a
create's ~60 pages in SQLite's write-ahead log). Dropped by name (core.migration_sql)."""

from django.db import migrations, models

from aftersales.core.migration_sql import single_column_indexes


class Migration(migrations.Migration):
    dependencies = [("service", "0010_open_load")]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="requesttimer",
                    name="due_at",
                    field=models.DateTimeField(verbose_name="due at"),
                ),
            ],
            database_operations=[single_column_indexes("service", "requesttimer", ["due_at"])],
        ),
    ]
