"""Benchmark set-up inside one database's environment: who the load signs in as and what it asks for.

Run by bench/perf.py as `python bench/prepare.py` with the benchmark's DATABASE_URL/AFTERSALES_DATA_DIR;
prints one JSON object: API tokens and session cookies of a team agent, a head-office agent and a
manager, the busiest outlet (the queue's team), customers that agent may file for, request ids to open.
Every token and session is made through the product's own services, as a person would get them.
"""

from __future__ import annotations

import json
import os
import random
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "aftersales.settings")

import django  # noqa: E402

django.setup()

from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY  # noqa: E402
from django.contrib.sessions.backends.db import SessionStore  # noqa: E402
from django.db import connection  # noqa: E402
from django.db.models import Count  # noqa: E402

from aftersales.accounts.models import OrgUnit, OrgUnitKind, User  # noqa: E402
from aftersales.accounts.services import api_token_create  # noqa: E402
from aftersales.customers.models import Customer  # noqa: E402
from aftersales.service import rules  # noqa: E402
from aftersales.service.models import ServiceRequest  # noqa: E402


def _session(user: User) -> str:
    store = SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = "aftersales.accounts.backends.LockoutModelBackend"
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store.create()
    return str(store.session_key)


def _first(role: str, **unit: object) -> User:
    user = User.objects.filter(groups__name=role, is_active=True, **unit).order_by("pk").first()
    if user is None:
        raise SystemExit(f"no active {role} for {unit}: load the bench data first (manage.py demo --scale bench)")
    return user


def main() -> None:
    rng = random.Random(20261201)  # noqa: S311 (benchmark sampling, not secrets)
    # The queue's team: the outlet with the most open requests of the generated data (the benchmark's
    # own creates come in by the API channel, for another outlet, so a rerun measures the same queue).
    busiest = (
        ServiceRequest.objects.filter(status__in=rules.OPEN, org_unit__kind=OrgUnitKind.OUTLET)
        .exclude(channel="api")
        .values("org_unit_id")
        .annotate(n=Count("id"))
        .order_by("-n")
        .first()
    )
    if busiest is None:
        raise SystemExit("no open requests: load the bench data first (manage.py demo --scale bench)")
    team = OrgUnit.objects.get(pk=busiest["org_unit_id"])
    team_agent = User.objects.filter(org_unit=team, is_active=True, groups__name="agent").order_by("pk").first()
    team_agent = team_agent or _first("supervisor", org_unit=team)
    head_agent = _first("agent", org_unit__kind=OrgUnitKind.DEPARTMENT)
    manager = _first("manager")
    # Creates: an agent of another outlet files for that outlet's customers.
    intake_agent = (
        User.objects.filter(groups__name="agent", is_active=True, org_unit__kind=OrgUnitKind.OUTLET)
        .exclude(org_unit=team)
        .order_by("pk")
        .first()
    ) or team_agent
    customers = list(
        Customer.objects.filter(org_unit__path__startswith=intake_agent.org_unit.path, merged_into__isnull=True)
        .order_by("pk")
        .values_list("pk", flat=True)[:5000]
    )
    if not customers:
        raise SystemExit(f"no customers for the intake agent {intake_agent.username}")
    team_requests = list(
        ServiceRequest.objects.filter(org_unit=team).order_by("-id").values_list("pk", flat=True)[:20000]
    )
    all_ids = ServiceRequest.objects.order_by("-id").values_list("pk", flat=True)
    newest = all_ids.first() or 0
    tokens = {
        name: api_token_create(actor=user, name="benchmark")[1]
        for name, user in (
            ("team_agent", team_agent),
            ("intake_agent", intake_agent),
            ("head_agent", head_agent),
            ("manager", manager),
        )
    }
    print(
        json.dumps(
            {
                "vendor": connection.vendor,
                "requests": ServiceRequest.objects.count(),
                "customers": Customer.objects.count(),
                "team": {"id": team.pk, "name": team.name, "open": busiest["n"]},
                "tokens": tokens,
                "sessions": {"team_agent": _session(team_agent), "manager": _session(manager)},
                "users": {
                    "team_agent": team_agent.username,
                    "head_agent": head_agent.username,
                    "manager": manager.username,
                },
                "customers_for_intake": customers,
                "team_request_ids": rng.sample(team_requests, min(2000, len(team_requests))),
                "newest_id": newest,
            },
            ensure_ascii=False,
        )
    )


if __name__ == "__main__":
    main()
