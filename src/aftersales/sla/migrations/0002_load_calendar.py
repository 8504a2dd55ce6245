"""The PRC holiday schedule from chinesecalendar, and the default business calendar (09:00-12:00, 13:30-18:00)."""

from django.db import migrations


def load(apps, schema_editor):
    from aftersales.sla.services import public_days_load_package

    public_days_load_package(apps=apps)
    calendar = apps.get_model("sla", "BusinessCalendar")
    calendar.objects.get_or_create(
        name="标准工作时间", defaults={"intervals": [[540, 720], [810, 1080]], "is_default": True}
    )
    calendar.objects.get_or_create(name="7×24小时", defaults={"always_open": True, "intervals": []})


class Migration(migrations.Migration):
    dependencies = [("sla", "0001_initial")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
