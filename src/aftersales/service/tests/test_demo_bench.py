"""The bench scale's raw bulk path of `manage.py demo`, run at a tiny size (factor 1: 2,500 requests).

It writes rows behind the ORM's back, so these tests check what the ORM would have kept true: ids
follow the time received, the copied time limits equal the timers', every request is found by the
search, number sequences and id sequences are in step, and the same seed gives the same rows.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
from collections import Counter, defaultdict

import pytest
from django.db import connection, transaction
from django.db.models import Q
from django.utils.module_loading import autodiscover_modules

from aftersales.accounts.services import roles_sync
from aftersales.core import context, search
from aftersales.core.context import Channel
from aftersales.core.demo import DemoContext, Scale, contributors
from aftersales.core.models import Sequence
from aftersales.customers.models import Customer
from aftersales.service.models import RequestTimer, SearchDocument, ServiceRequest, TimelineEntry
from aftersales.service.search import document_text, matching

NOW = dt.datetime(2026, 11, 22, 6, 0, tzinfo=dt.UTC)
OPEN = {"received", "registered", "dispatched", "in_progress", "waiting_customer", "waiting_parts"}


def _load(seed: int = 20261122) -> str:
    autodiscover_modules("demo")
    ctx = DemoContext(seed=seed, scale=Scale("bench", 1), out=io.StringIO(), now=NOW)
    with context.acting(channel=Channel.IMPORT):
        for contributor in contributors():
            with transaction.atomic():
                contributor.fn(ctx)
    return ctx.out.getvalue()  # type: ignore[attr-defined]


@pytest.fixture
def bench(db):
    roles_sync()
    return _load()


def test_requests_are_numbered_and_stored_in_the_order_received(bench):
    rows = list(ServiceRequest.objects.order_by("id").values_list("id", "received_at", "number"))
    assert len(rows) == 2500
    received = [r[1] for r in rows]
    assert received == sorted(received)
    assert received[-1] <= NOW and received[0] >= NOW - dt.timedelta(days=731)
    # Each day's sequence holds exactly as many numbers as were given out that day, in order.
    by_day: dict[str, list[int]] = defaultdict(list)
    for _pk, _at, number in rows:
        day, seq = number[2:].split("-")
        by_day[f"sr-{day[:4]}-{day[4:6]}-{day[6:]}"].append(int(seq))
    sequences = dict(Sequence.objects.filter(name__startswith="sr-").values_list("name", "value"))
    assert set(sequences) == set(by_day)
    for name, seqs in by_day.items():
        assert seqs == list(range(1, len(seqs) + 1))
        assert sequences[name] == len(seqs)


def test_the_mix_is_realistic(bench):
    requests = ServiceRequest.objects.all()
    statuses = Counter(requests.values_list("status", flat=True))
    open_share = sum(statuses[s] for s in OPEN) / 2500
    assert 0.015 < open_share < 0.07, statuses
    assert statuses["closed"] > 2500 / 2
    types = Counter(requests.values_list("type", flat=True))
    assert types.most_common(1)[0][0] == "repair"
    assert {"maintenance", "installation", "consultation", "complaint", "return", "exchange"} <= set(types)
    assert requests.values("org_unit").distinct().count() >= 15
    # Open requests are recent; assignees belong to the owner team.
    oldest_open = min(requests.filter(status__in=OPEN).values_list("received_at", flat=True))
    assert oldest_open > NOW - dt.timedelta(days=60)
    for request in requests.filter(assignee__isnull=False).select_related("assignee")[:200]:
        assert request.assignee.org_unit_id == request.org_unit_id
    assert not requests.filter(status__in=["received", "registered"], assignee__isnull=False).exists()
    assert requests.values("title").distinct().count() > 50
    assert requests.values("description").distinct().count() > 2000
    assert TimelineEntry.objects.count() / 2500 == pytest.approx(3.8, abs=0.6)


def test_the_copied_time_limits_equal_the_timers(bench):
    running: dict[int, list[tuple[dt.datetime, dt.datetime]]] = defaultdict(list)
    in_time: dict[int, bool] = {}
    for request_id, metric, due, warn, paused, met, breached in RequestTimer.objects.values_list(
        "request_id", "metric", "due_at", "warn_at", "paused_at", "met_at", "breached_at"
    ):
        if met is None and paused is None:
            running[request_id].append((due, warn))
        if metric == "resolution" and met is not None:
            in_time[request_id] = breached is None
    met_share = sum(in_time.values()) / len(in_time)
    assert 0.8 < met_share < 0.95
    for pk, status, due, warn, timely, resolved in ServiceRequest.objects.values_list(
        "id", "status", "sla_due_at", "sla_warn_at", "resolved_in_time", "resolved_at"
    ):
        limits = running.get(pk, [])
        assert due == (min(d for d, _w in limits) if limits else None)
        assert warn == (min(w for _d, w in limits) if limits else None)
        assert timely is in_time.get(pk)
        if status in {"resolved", "closed"}:
            assert resolved is not None and pk in in_time
        elif status in OPEN:
            assert resolved is None and pk not in in_time


def test_every_request_has_the_search_document_the_app_would_write(bench):
    assert SearchDocument.objects.count() == 2500
    sample = ServiceRequest.objects.select_related("customer", "unit", "product_model").order_by("id")[::50]
    for request in sample:
        assert request.search_document.body == document_text(request)
        found = ServiceRequest.objects.filter(matching(request.title)).values_list("id", flat=True)
        assert request.pk in set(found)
    for word, low, high in (("漏水", 0.03, 0.25), ("不制冷", 0.01, 0.15), ("滤芯更换", 0.01, 0.15)):
        hits = ServiceRequest.objects.filter(matching(word)).count()
        assert low < hits / 2500 < high, (word, hits)
        # The index finds exactly the requests whose title or description contains the word.
        containing = ServiceRequest.objects.filter(Q(title__contains=word) | Q(description__contains=word))
        assert hits == containing.count()


def test_id_sequences_continue_after_the_bulk_rows(bench):
    request = ServiceRequest.objects.order_by("-id").first()
    assert request is not None
    last = request.pk
    request.pk = None
    request.number = "SR-TEST"
    request.save()
    assert request.pk == last + 1
    customer = Customer.objects.order_by("-id").first()
    assert customer is not None
    last = customer.pk
    customer.pk = None
    customer.code = "C-TEST"
    customer.save()
    assert customer.pk == last + 1


def _schema() -> list[tuple[str, ...]]:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT tablename, indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema() "
                "UNION ALL SELECT event_object_table, trigger_name, action_statement FROM information_schema.triggers "
                "UNION ALL SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint"
            )
        else:
            cursor.execute("SELECT type, name, tbl_name, sql FROM sqlite_master WHERE sql IS NOT NULL")
        return sorted(cursor.fetchall())


def test_the_schema_ends_as_the_migrations_made_it(db):
    """Indexes, foreign keys (PostgreSQL) and the full-text trigger (SQLite) are dropped during the load
    and made again from their own stored definitions."""
    roles_sync()
    before = _schema()
    _load()
    assert _schema() == before


def _digest() -> str:
    """What the rows say, without the ids (PostgreSQL's id sequences do not roll back)."""
    h = hashlib.sha256()
    for row in ServiceRequest.objects.order_by("id").values_list(
        "number", "type", "status", "urgency", "channel", "title", "description", "received_at", "sla_due_at",
        "resolved_in_time", "customer__name", "unit__serial", "org_unit__code", "assignee__username",
    ):  # fmt: skip
        h.update(repr(row).encode())
    for row in TimelineEntry.objects.order_by("id").values_list("kind", "body", "data", "created_at"):
        h.update(repr(row).encode())
    return h.hexdigest()


def test_the_same_seed_gives_the_same_rows(db):
    roles_sync()
    digests = []
    for seed in (7, 7, 8):
        with transaction.atomic():
            _load(seed)
            digests.append(_digest())
            transaction.set_rollback(True)
    assert digests[0] == digests[1] != digests[2]
    assert connection.vendor in {"sqlite", "postgresql"}
    assert search.index_text("漏水") == "漏水"
