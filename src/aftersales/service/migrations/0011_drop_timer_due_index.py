"""The timers' single-column due-time index goes: the sweeps read running timers by due time through
timer_open_due_idx (met_at, due_at), and every timer written wrote both (at 1M requests about 4 of a
create's ~60 pages in SQLite's write-ahead log). Dropped by name (core.migration_sql)."""

from django.db import migrations, models

from aftersales.core.migration_sql import field_index_dropped


class Migration(migrations.Migration):
    dependencies = [("service", "0010_open_load")]

    operations = [
        field_index_dropped("service", "requesttimer", "due_at", models.DateTimeField(verbose_name="due at")),
    ]
