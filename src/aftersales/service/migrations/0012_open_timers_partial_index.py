"""The open timers' index holds only the open ones: (due_at) WHERE met_at IS NULL instead of
(met_at, due_at) over every timer. The sweeps ask for open timers by due time either way; a timer met at
intake (the first response, when a request is registered as it is taken in) is no longer written to it,
one met later leaves it, and it stays a few entries per open request instead of ~1M."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("service", "0011_drop_timer_due_index")]

    operations = [
        migrations.RemoveIndex(model_name="requesttimer", name="timer_open_due_idx"),
        migrations.AddIndex(
            model_name="requesttimer",
            index=models.Index(
                fields=["due_at"], name="timer_open_due_idx", condition=models.Q(met_at__isnull=True)
            ),
        ),
    ]
