"""`manage.py regions_load`: (re)load the PRC administrative divisions from the data package."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from aftersales.core.services import regions_load


class Command(BaseCommand):
    help = "Load or refresh the PRC administrative divisions (province/city/district)."

    def handle(self, *args: Any, **options: Any) -> None:
        created, updated = regions_load()
        self.stdout.write(self.style.SUCCESS(f"regions: {created} created, {updated} updated"))
