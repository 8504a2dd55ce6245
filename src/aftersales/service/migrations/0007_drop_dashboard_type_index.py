"""The (type, state, received, team) index served the dashboard's range counts; the dashboard now reads
the monthly rollup (reports 0001), and every create and change of state no longer writes it."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("service", "0006_request_indexes"),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name="servicerequest",
            name="sr_type_status_received_idx",
        ),
    ]
