"""`manage.py demo [--seed N] [--scale small|medium|large|bench]`: load deterministic demo data.

`bench` is the benchmarks' million-request data set (a few minutes; see core.demo)."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.utils.module_loading import autodiscover_modules

from aftersales.core import context
from aftersales.core.context import Channel
from aftersales.core.demo import SCALES, DemoContext, contributors
from aftersales.core.models import SystemFlag

DEMO_FLAG = "demo_loaded"


class Command(BaseCommand):
    help = "Load realistic Chinese demo data (deterministic from --seed)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--seed", type=int, default=20261122)
        parser.add_argument("--scale", choices=sorted(SCALES), default="small")
        parser.add_argument("--force", action="store_true", help="load again even if demo data exists")

    def handle(self, *args: Any, **options: Any) -> None:
        if SystemFlag.objects.filter(key=DEMO_FLAG).exists() and not options["force"]:
            raise CommandError("演示数据已加载过 (demo data already loaded); use --force to add another set.")
        autodiscover_modules("demo")
        ctx = DemoContext(seed=options["seed"], scale=SCALES[options["scale"]], out=self.stdout)
        started = time.monotonic()
        with context.acting(channel=Channel.IMPORT):
            for contributor in contributors():
                t0 = time.monotonic()
                with transaction.atomic():
                    contributor.fn(ctx)
                ctx.log(f"  {contributor.name}: {time.monotonic() - t0:.1f}s")
            SystemFlag.objects.update_or_create(
                key=DEMO_FLAG, defaults={"value": {"seed": options["seed"], "scale": options["scale"]}}
            )
        self.stdout.write(self.style.SUCCESS(f"demo data loaded in {time.monotonic() - started:.1f}s"))
