"""`manage.py bootstrap`: first-start set-up that `./run` calls every time (it is idempotent).

Creates the head-office unit and the administrator (printing the generated password once) and,
unless AFTERSALES_DEMO=0, loads the demo data on the very first start.
"""

from __future__ import annotations

import os
import secrets
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser

from aftersales.accounts.services import system_bootstrap
from aftersales.core.models import SystemFlag

FIRST_START_FLAG = "first_start_done"


class Command(BaseCommand):
    help = "Create the administrator and load demo data on first start (idempotent)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--admin-username", default=os.environ.get("AFTERSALES_ADMIN_USER", "admin"))
        parser.add_argument("--company", default=os.environ.get("AFTERSALES_COMPANY", "总部"))

    def handle(self, *args: Any, **options: Any) -> None:
        password = os.environ.get("AFTERSALES_ADMIN_PASSWORD") or secrets.token_urlsafe(12)
        admin = system_bootstrap(
            company_name=options["company"], admin_username=options["admin_username"], admin_password=password
        )
        if admin is not None:
            line = "=" * 64
            self.stdout.write(line)
            self.stdout.write(self.style.SUCCESS("管理员账号已创建 / administrator created (shown only this once):"))
            self.stdout.write(f"  用户名 username: {admin.username}")
            self.stdout.write(f"  密码   password: {password}")
            self.stdout.write(line)
        if not SystemFlag.objects.filter(key=FIRST_START_FLAG).exists():
            if os.environ.get("AFTERSALES_DEMO", "1") != "0":
                self.stdout.write("加载演示数据 / loading demo data …")
                call_command("demo", stdout=self.stdout)
            SystemFlag.objects.create(key=FIRST_START_FLAG, value={})
