"""Load the PRC administrative divisions (3,400+ rows) from the data package."""

from django.db import migrations


def load(apps, schema_editor):
    from aftersales.core.services import regions_load

    regions_load(apps=apps)


class Migration(migrations.Migration):
    dependencies = [("core", "0003_region")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
