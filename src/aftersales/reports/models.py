"""The dashboard's monthly rollup: request counts by month and team, kept exact by database triggers.

The triggers on service_servicerequest (migration 0001) write a row of +1 for what a request starts to
count as and one of -1 for what it stops counting as, on every insert, relevant update and delete,
whichever code path wrote it (services, `QuerySet.update()`, raw SQL, the bulk loader). Rows are
deltas without a unique key, so concurrent writers never wait for one shared row; a read sums them
and `reports.rollup.compact` merges them every night. Months are calendar months of Asia/Shanghai.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


def _owner_team() -> models.ForeignKey:
    # No database constraint: the rows are written by triggers (a check per row would only cost), and a
    # flush may empty the org units before the requests' delete trigger writes its -1 rows.
    return models.ForeignKey(
        "accounts.OrgUnit",
        verbose_name=_("owner team"),
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,
        related_name="+",
    )


class ReceivedCount(models.Model):
    """Requests received in a month, by owner team, type and current state (a delta; read the sum)."""

    month = models.DateField(_("month"))  # its first day
    org_unit = _owner_team()
    type = models.CharField(_("type"), max_length=14)
    status = models.CharField(_("status"), max_length=16)
    n = models.IntegerField(_("count"))

    class Meta:
        verbose_name = _("monthly received count")
        verbose_name_plural = _("monthly received counts")
        # The dashboard sums every row of a period (head office) or of its units in it; every column
        # is in the index, so the sum is read from it alone.
        indexes = [models.Index(fields=["month", "org_unit", "type", "status", "n"], name="rollup_received_idx")]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.org_unit_id} {self.type}/{self.status}: {self.n:+d}"


class ResolvedCount(models.Model):
    """Requests resolved in a month that had a resolution limit, by owner team and whether they met it
    (a delta; read the sum)."""

    month = models.DateField(_("month"))  # its first day, of the resolution
    org_unit = _owner_team()
    in_time = models.BooleanField(_("resolved in time"))
    n = models.IntegerField(_("count"))

    class Meta:
        verbose_name = _("monthly resolved count")
        verbose_name_plural = _("monthly resolved counts")
        indexes = [models.Index(fields=["month", "org_unit", "in_time", "n"], name="rollup_resolved_idx")]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.org_unit_id} {'in time' if self.in_time else 'late'}: {self.n:+d}"
