"""Capped counts of searches and the team shortcut of the request list (commit 009391c).

- `capped_count` defers to a counter a queryset carries on its `query` (COUNTER_ATTRIBUTE), through clones;
- `pg_capped_count`: PostgreSQL's two-step capped count (newest PG_COUNT_WINDOW documents first, then all),
  exact below the cap, and leaving the session's planner settings as they were;
- the API's `count` / `count_capped` of `?q=` on both databases;
- `_scoped_to_team` never shows more than `scoped()` does; `queue=team` lists the agent's own unit;
- `_narrowed`: a broad scope without filters skips the filter-first count, a filter brings it back.
"""

from __future__ import annotations

from typing import Any

import pytest
from conftest import make_unit
from django.db import connection, transaction
from django.db.models.query import QuerySet
from django.test import Client
from django.test.utils import CaptureQueriesContext
from tests import factories

from aftersales.accounts.models import OrgUnitKind, User, UserKind
from aftersales.core import pagination
from aftersales.core.pagination import COUNTER_ATTRIBUTE, PAGER_ATTRIBUTE, Shaped, capped_count, page_rows
from aftersales.customers.models import Customer
from aftersales.service import api, search, selectors, services
from aftersales.service.models import ServiceRequest

postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="PostgreSQL's full-text count (pg_capped_count)"
)

LIST = "/api/v1/service-requests"
FILTER_FIRST_LIMIT = f"LIMIT {search.FILTER_FIRST_MAX + 1}"


@pytest.fixture
def world(org, make_user):
    agent = make_user("agent", org["a"])
    colleague = make_user("agent", org["a"])
    agent_b = make_user("agent", org["b"])
    manager = make_user("manager", org["hq"])
    customer_a = factories.customer(agent, org["a"], name="陈先生", phone="13812345678")
    customer_b = factories.customer(agent_b, org["b"], name="李女士", phone="13700000000", addresses=())
    return {
        "org": org,
        "agent": agent,
        "colleague": colleague,
        "agent_b": agent_b,
        "manager": manager,
        "customer_a": customer_a,
        "customer_b": customer_b,
    }


create = factories.service_request


def leaks(world: dict[str, Any], n: int, **kw: Any) -> list[ServiceRequest]:
    return [create(world["agent"], world["customer_a"], "净水器漏水", **kw) for _ in range(n)]


def colds(world: dict[str, Any], n: int, **kw: Any) -> list[ServiceRequest]:
    return [create(world["agent"], world["customer_a"], "空调不制冷", **kw) for _ in range(n)]


def ids(qs: Any) -> set[int]:
    return set(qs.values_list("pk", flat=True))


def api_ids(client: Client, query: str) -> set[int]:
    response = client.get(f"{LIST}?page_size=100&{query}")
    assert response.status_code == 200, response.content
    return {row["id"] for row in response.json()["items"]}


def show(setting: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SHOW {setting}")
        return cursor.fetchone()[0]


# --- capped_count and its counter hook -------------------------------------------------------------------


def test_capped_count_without_a_counter_counts_to_the_cap(world):
    leaks(world, 3)
    qs = ServiceRequest.objects.all()
    assert capped_count(qs, cap=5) == (3, False)
    assert capped_count(qs, cap=3) == (3, False)
    assert capped_count(qs, cap=2) == (2, True)
    assert capped_count(Shaped(qs, str, cap=1)) == (1, True)
    assert capped_count([1, 2, 3], cap=1) == (3, False)  # not a queryset: its length


def test_capped_count_uses_the_counter_on_the_query_and_it_survives_clones(db):
    calls: list[tuple[Any, int]] = []

    def counter(qs: QuerySet[Any], cap: int) -> tuple[int, bool]:
        calls.append((qs, cap))
        return 7, True

    qs = ServiceRequest.objects.all()
    setattr(qs.query, COUNTER_ATTRIBUTE, counter)
    later = qs.filter(status="registered").order_by("-id").select_related("customer")
    assert getattr(later.query, COUNTER_ATTRIBUTE) is counter
    assert capped_count(later, cap=5) == (7, True)
    assert calls[-1][0] is later and calls[-1][1] == 5
    # The default cap, and the cap of a Shaped list, reach the counter too.
    assert capped_count(later) == (7, True) and calls[-1][1] == pagination.COUNT_CAP
    assert capped_count(Shaped(later.order_by("id"), str, cap=3)) == (7, True) and calls[-1][1] == 3
    # A queryset without the attribute is counted the ordinary way (0 rows here), the counter untouched.
    before = len(calls)
    assert capped_count(ServiceRequest.objects.filter(status="registered"), cap=5) == (0, False)
    assert len(calls) == before


def test_only_a_postgresql_search_brings_its_own_counter(world):
    leaks(world, 1)
    joined, searched = search.restrict(ServiceRequest.objects.all(), "漏水")
    assert searched
    listed = selectors.request_list(actor=world["manager"], q="漏水")  # a head office: the index joined
    counter = getattr(listed.query, COUNTER_ATTRIBUTE, None)
    if connection.vendor == "postgresql":
        assert getattr(joined.query, COUNTER_ATTRIBUTE) is search.pg_capped_count
        # request_list orders and selects related rows after restrict(): the counter is still there.
        assert counter is search.pg_capped_count
    else:
        assert getattr(joined.query, COUNTER_ATTRIBUTE, None) is None
        assert counter is None
    # One character is not searchable by the index: a plain filter, counted the ordinary way.
    single, searched = search.restrict(ServiceRequest.objects.all(), "漏")
    assert not searched and getattr(single.query, COUNTER_ATTRIBUTE, None) is None


# --- pg_capped_count --------------------------------------------------------------------------------------


def pg_search(query: str = "漏水") -> QuerySet[ServiceRequest]:
    qs, _searched = search.restrict(ServiceRequest.objects.all(), query)
    return qs


WINDOW = "service_searchdocument.request_id >= "  # the window step's condition
LISTED = "SELECT listed.id FROM ("  # the walk of a filtered list's newest rows


def steps_run(ctx: CaptureQueriesContext) -> list[str]:
    """The count's steps: the read of the newest rows (the window, or a filtered list's own), then the
    planner's count of everything."""
    return [
        q["sql"]
        for q in ctx.captured_queries
        if "COUNT(" in q["sql"].upper() or WINDOW in q["sql"] or q["sql"].startswith(LISTED)
    ]


@postgresql_only
def test_pg_capped_count_is_exact_below_the_cap_and_capped_above(world):
    leaks(world, 4)
    colds(world, 2)
    qs = pg_search("漏水")
    assert search.pg_capped_count(qs, 10) == (4, False)
    assert search.pg_capped_count(qs, 4) == (4, False)
    assert search.pg_capped_count(qs, 3) == (3, True)
    assert search.pg_capped_count(qs, 1) == (1, True)
    assert search.pg_capped_count(pg_search("不制冷"), 10) == (2, False)
    assert search.pg_capped_count(pg_search("空调 漏水"), 10) == (0, False)
    # Other filters of the list are kept in both steps.
    assert search.pg_capped_count(qs.filter(org_unit=world["org"]["b"]), 10) == (0, False)
    # capped_count of the search goes through it.
    assert capped_count(qs.order_by("-id"), cap=3) == (3, True)


@postgresql_only
def test_pg_capped_count_finds_the_cap_among_the_newest_documents_in_one_step(world, monkeypatch):
    monkeypatch.setattr(search, "PG_COUNT_WINDOW", 3)
    colds(world, 3)
    leaks(world, 4)  # the newest four documents match
    qs = pg_search("漏水")
    with CaptureQueriesContext(connection) as ctx:
        assert search.pg_capped_count(qs, 2) == (2, True)
    steps = steps_run(ctx)
    assert len(steps) == 1 and WINDOW in steps[0]  # the window alone answered
    assert getattr(qs, search.FOUND_ATTRIBUTE) == [r.pk for r in ServiceRequest.objects.order_by("-id")[:3]]
    # Exactly the cap within the window (3 of the newest 3): the second step must still look further.
    with CaptureQueriesContext(connection) as ctx:
        assert search.pg_capped_count(qs, 3) == (3, True)
    assert len(steps_run(ctx)) == 2
    assert search.pg_capped_count(qs, 4) == (4, False)


@postgresql_only
def test_pg_capped_count_counts_matches_older_than_the_window(world, monkeypatch):
    monkeypatch.setattr(search, "PG_COUNT_WINDOW", 3)
    old = leaks(world, 4)
    colds(world, 3)  # the newest three documents do not match
    qs = pg_search("漏水")
    with CaptureQueriesContext(connection) as ctx:
        assert search.pg_capped_count(qs, 10) == (4, False)
    steps = steps_run(ctx)
    assert len(steps) == 2 and WINDOW in steps[0] and WINDOW not in steps[1]
    assert search.pg_capped_count(qs, 2) == (2, True)
    assert search.pg_capped_count(qs, 4) == (4, False)
    assert search.pg_capped_count(qs.filter(pk=old[0].pk), 10) == (1, False)
    # The window reaching back over everything gives the same answers.
    monkeypatch.setattr(search, "PG_COUNT_WINDOW", 1_000_000)
    assert search.pg_capped_count(qs, 10) == (4, False)
    assert search.pg_capped_count(qs, 2) == (2, True)


@postgresql_only
def test_the_window_is_the_newest_documents_whatever_the_gaps_between_ids(world, monkeypatch):
    """Ids have gaps (a rolled-back create uses one up): the window is found by position, so a gap of
    50,000 ids among the newest documents neither empties it nor sends every count to the second step."""
    monkeypatch.setattr(search, "PG_COUNT_WINDOW", 3)
    older = leaks(world, 2)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT setval(pg_get_serial_sequence('service_servicerequest', 'id'), "
            "(SELECT max(id) FROM service_servicerequest) + 50000)"
        )
    newer = leaks(world, 2)
    assert newer[0].pk - older[-1].pk > 50_000
    assert search.pg_window_floor() == older[-1].pk  # the third newest document
    qs = pg_search("漏水")
    with CaptureQueriesContext(connection) as ctx:
        assert search.pg_capped_count(qs, 2) == (2, True)
    assert len(steps_run(ctx)) == 1  # answered by the window: three matches among the newest three


@postgresql_only
def test_the_window_start_is_held_for_a_while_and_only_ever_widens_the_window(world, monkeypatch):
    monkeypatch.setattr(search, "PG_COUNT_WINDOW", 2)
    first = leaks(world, 3)
    assert search.pg_window_floor() == first[1].pk
    colds(world, 2)  # the window's start is held: the window now holds four documents, still exact
    with CaptureQueriesContext(connection) as ctx:
        assert search.pg_window_floor() == first[1].pk
    assert ctx.captured_queries == []
    assert search.pg_capped_count(pg_search("漏水"), 10) == (3, False)
    assert search.pg_capped_count(pg_search("不制冷"), 1) == (1, True)
    monkeypatch.setattr(search, "PG_WINDOW_FLOOR_SECONDS", 0.0)  # once it is old, found again
    newest = ServiceRequest.objects.order_by("-id")[1]
    assert search.pg_window_floor() == newest.pk


@postgresql_only
def test_pg_capped_count_restores_the_planner_settings_in_an_outer_transaction(world, monkeypatch):
    leaks(world, 3)
    qs = pg_search("漏水")
    seen: list[tuple[str, tuple[str, str]]] = []
    original_count, original_fetch = QuerySet.count, QuerySet._fetch_all

    def settings() -> tuple[str, str]:
        return show("enable_bitmapscan"), show("max_parallel_workers_per_gather")

    def count(self: QuerySet[Any]) -> int:
        seen.append(("count", settings()))
        return original_count(self)

    def fetch(self: QuerySet[Any]) -> None:
        seen.append(("read", settings()))
        original_fetch(self)

    with transaction.atomic():
        before = settings()
        monkeypatch.setattr(QuerySet, "count", count)
        monkeypatch.setattr(QuerySet, "_fetch_all", fetch)
        total = search.pg_capped_count(qs, 10)
        monkeypatch.setattr(QuerySet, "count", original_count)
        monkeypatch.setattr(QuerySet, "_fetch_all", original_fetch)
        after = (show("enable_bitmapscan"), show("max_parallel_workers_per_gather"))
        # Still inside the caller's transaction, where a SET LOCAL left behind would last to its end.
        assert after == before
        assert before[0] == "on" and before[1] != "0"
        # Later queries of the same transaction plan with bitmap scans again.
        assert pg_search("漏水").count() == 3
    assert total == (3, False)
    # The newest-first step ran without bitmap scans and parallel workers, the second the planner's way.
    assert list(dict.fromkeys(seen)) == [("read", ("off", "0")), ("count", before)]  # list() asks len() first
    assert (show("enable_bitmapscan"), show("max_parallel_workers_per_gather")) == before


# --- pages of a search read newest first (PAGER_ATTRIBUTE, pg_newest_page) ------------------------------


def test_page_rows_reads_ids_with_the_lists_own_reader_and_falls_back_without_one(world):
    made = leaks(world, 4)
    qs = ServiceRequest.objects.order_by("-id").select_related("customer")
    calls: list[tuple[int, int]] = []

    def reader(qs: QuerySet[Any], start: int, stop: int) -> list[int] | None:
        calls.append((start, stop))
        return [made[0].pk, made[2].pk] if start == 0 else None

    setattr(qs.query, PAGER_ATTRIBUTE, reader)
    assert [r.pk for r in page_rows(qs, 0, 2)] == [made[0].pk, made[2].pk]  # in the reader's order
    assert [r.pk for r in page_rows(qs, 2, 4)] == [made[1].pk, made[0].pk]  # None: the ordinary read
    assert calls == [(0, 2), (2, 4)]
    # A list without select_related is read through the reader too.
    plain = ServiceRequest.objects.order_by("-id")
    setattr(plain.query, PAGER_ATTRIBUTE, reader)
    assert [r.pk for r in page_rows(plain, 0, 2)] == [made[0].pk, made[2].pk]


def newest(query: str) -> QuerySet[ServiceRequest]:
    return selectors.request_sorted(pg_search(query), "newest", searched=True)


def planners_page(qs: QuerySet[ServiceRequest], start: int, stop: int) -> list[int]:
    return list(qs.values_list("pk", flat=True)[start:stop])


def page_ids(qs: QuerySet[ServiceRequest], start: int, stop: int) -> list[int]:
    return [r.pk for r in page_rows(qs, start, stop)]


@postgresql_only
def test_a_common_phrases_pages_are_the_ids_the_count_found_or_read_among_the_newest_documents(world, monkeypatch):
    monkeypatch.setattr(search, "PG_COUNT_WINDOW", 4)
    leaks(world, 3)
    colds(world, 1)
    recent = leaks(world, 3)  # three of the newest four match
    qs = newest("漏水")
    pager = getattr(qs.query, PAGER_ATTRIBUTE)
    assert pager.func is search.pg_newest_page and pager.keywords == {"matches_first": True}
    assert search.pg_capped_count(qs, 2) == (2, True)
    assert getattr(qs, search.VERDICT_ATTRIBUTE) == "recent"
    assert getattr(qs, search.FOUND_ATTRIBUTE) == [r.pk for r in reversed(recent)]  # the cap and one more
    # A page among them is those ids: nothing is read again.
    with CaptureQueriesContext(connection) as ctx:
        assert search.pg_newest_page(qs, 0, 2) == [recent[2].pk, recent[1].pk] == planners_page(qs, 0, 2)
        assert search.pg_newest_page(qs, 1, 3) == [recent[1].pk, recent[0].pk]
    assert len(ctx.captured_queries) == 1  # the planner's page, for comparison
    assert page_ids(qs, 0, 2) == [recent[2].pk, recent[1].pk]
    # Beyond them, a page is read among the newest documents when they fill it.
    assert search.pg_capped_count(qs, 1) == (1, True)
    with CaptureQueriesContext(connection) as ctx:
        assert search.pg_newest_page(qs, 2, 3) == [recent[0].pk]
    reads = [q["sql"] for q in ctx.captured_queries if q["sql"].startswith('SELECT "service_servicerequest"."id" AS')]
    assert len(reads) == 1 and WINDOW in reads[0]
    # A page the window cannot fill (the fourth match is older) is read the planner's way, the same rows.
    assert page_ids(qs, 2, 5) == planners_page(qs, 2, 5)
    assert search.pg_newest_page(qs, 2, 5) is None
    # Clones do not carry the verdict: a list not counted yet tries the window too.
    assert getattr(qs.filter(status="registered"), search.VERDICT_ATTRIBUTE, None) is None
    assert search.pg_newest_page(qs.all(), 0, 3) == [r.pk for r in reversed(recent)]


@postgresql_only
def test_a_rare_phrases_page_is_read_from_its_matches_first(world, monkeypatch):
    monkeypatch.setattr(search, "PG_COUNT_WINDOW", 2)
    old = leaks(world, 2)
    colds(world, 3)
    qs = newest("漏水")
    assert search.pg_capped_count(qs, 10) == (2, False)
    assert getattr(qs, search.VERDICT_ATTRIBUTE) == "rare"
    seen: list[str] = []
    original = QuerySet._fetch_all

    def fetch(self: QuerySet[Any]) -> None:
        seen.append(show("enable_indexscan"))
        original(self)

    with transaction.atomic():
        monkeypatch.setattr(QuerySet, "_fetch_all", fetch)
        ids = search.pg_newest_page(qs, 0, 20)
        monkeypatch.setattr(QuerySet, "_fetch_all", original)
        assert show("enable_indexscan") == "on"  # restored inside the caller's transaction
    assert ids == [old[1].pk, old[0].pk] == planners_page(qs, 0, 20)
    assert seen and set(seen) == {"off"}
    # Nothing to find: an empty page, whatever the planner guessed.
    nothing = newest("13812")
    assert search.pg_capped_count(nothing, 10) == (0, False)
    assert search.pg_newest_page(nothing, 0, 20) == []
    # With other filters a few matches may be a few of very many: the planner's way.
    assert search.pg_newest_page(qs, 0, 20, matches_first=False) is None
    monkeypatch.setattr(search, "FILTER_FIRST_MAX", 0)  # the filtered rows are "many": the index joined
    listed = selectors.request_list(actor=world["manager"], q="漏水", status="registered", sort="newest")
    assert getattr(listed.query, PAGER_ATTRIBUTE).keywords == {"matches_first": False}
    assert getattr(selectors.request_list(actor=world["manager"], q="漏水").query, PAGER_ATTRIBUTE).keywords == {
        "matches_first": True
    }


@postgresql_only
def test_many_older_matches_and_other_orders_are_read_the_planners_way(world, monkeypatch):
    monkeypatch.setattr(search, "PG_COUNT_WINDOW", 2)
    older = leaks(world, 4)
    colds(world, 2)
    qs = newest("漏水")
    assert search.pg_capped_count(qs, 3) == (3, True)
    assert getattr(qs, search.VERDICT_ATTRIBUTE) == "older"
    assert search.pg_newest_page(qs, 0, 2) is None
    assert page_ids(qs, 0, 2) == [older[3].pk, older[2].pk]
    by_due = selectors.request_sorted(pg_search("漏水"), "due", searched=True)
    assert search.pg_newest_page(by_due, 0, 2) is None
    assert search.pg_newest_page(qs, 3, 3) is None


@postgresql_only
def test_a_page_the_count_saw_among_the_newest_documents_is_not_read_again(world, monkeypatch):
    monkeypatch.setattr(search, "PG_COUNT_WINDOW", 4)
    older = leaks(world, 3)
    colds(world, 2)
    recent = leaks(world, 2)  # two matches among the newest four documents, three older ones
    qs = newest("漏水")
    assert search.pg_capped_count(qs, 2) == (2, True)
    assert getattr(qs, search.VERDICT_ATTRIBUTE) == "older"
    assert getattr(qs, search.FOUND_ATTRIBUTE) == [recent[1].pk, recent[0].pk]
    with CaptureQueriesContext(connection) as ctx:
        assert search.pg_newest_page(qs, 0, 2) == [recent[1].pk, recent[0].pk]
    assert ctx.captured_queries == []
    assert search.pg_newest_page(qs, 0, 3) is None  # the third row is older: the planner's way
    assert page_ids(qs, 0, 4) == [recent[1].pk, recent[0].pk, older[2].pk, older[1].pk]
    # Fewer matches than the cap, all of the page among the newest: those ids too.
    few = newest("漏水")
    assert search.pg_capped_count(few, 10) == (5, False)
    assert getattr(few, search.VERDICT_ATTRIBUTE) == "rare"
    assert search.pg_newest_page(few, 0, 2, matches_first=False) == [recent[1].pk, recent[0].pk]
    # Every match among the newest: every page is read from them.
    monkeypatch.setattr(search, "PG_COUNT_WINDOW", 100)
    every = newest("漏水")
    assert search.pg_capped_count(every, 10) == (5, False)
    assert getattr(every, search.VERDICT_ATTRIBUTE) == "found"
    with CaptureQueriesContext(connection) as ctx:
        assert search.pg_newest_page(every, 3, 20, matches_first=False) == [older[1].pk, older[0].pk]
        assert search.pg_newest_page(every, 5, 20) == []
    assert ctx.captured_queries == []


# --- a filtered list's own newest rows, walked first --------------------------------------------------------


def filtered_search(qs: QuerySet[ServiceRequest], query: str = "漏水") -> QuerySet[ServiceRequest]:
    joined, _searched = search.restrict(qs, query, filtered=True)
    return selectors.request_sorted(joined, "newest", searched=True)


@postgresql_only
def test_a_filtered_search_is_counted_among_the_lists_own_newest_rows(world, monkeypatch):
    """The newest documents are not the filter's (the newest requests are mostly open): the list's own
    newest rows are walked instead, by its own indexes, and each one's document checked."""
    monkeypatch.setattr(search, "PG_COUNT_WINDOW", 2)
    urgent = leaks(world, 3, urgency="urgent")
    colds(world, 1, urgency="urgent")
    leaks(world, 3)  # the newest documents match, but are not urgent
    qs = filtered_search(ServiceRequest.objects.filter(urgency="urgent"))
    counter = getattr(qs.query, COUNTER_ATTRIBUTE)
    assert counter.func is search.pg_capped_count and counter.keywords["phrases"] == ["漏水"]
    with CaptureQueriesContext(connection) as ctx:
        assert capped_count(qs, 2) == (2, True)
    steps = steps_run(ctx)
    assert len(steps) == 1 and steps[0].startswith(LISTED) and WINDOW not in steps[0]  # one step
    assert getattr(qs, search.FOUND_ATTRIBUTE) == [r.pk for r in reversed(urgent)]
    assert search.pg_newest_page(qs, 0, 2) == [urgent[2].pk, urgent[1].pk] == planners_page(qs, 0, 2)
    # Every match among the list's newest rows: exact, and every page is those ids.
    assert capped_count(qs, 10) == (3, False)
    assert getattr(qs, search.VERDICT_ATTRIBUTE) == "found"
    assert page_ids(qs, 0, 20) == [r.pk for r in reversed(urgent)] == planners_page(qs, 0, 20)
    # The walk is bounded: beyond its rows, the matches are counted the planner's way, still exact.
    monkeypatch.setattr(search, "PG_LIST_ROWS", 2)  # the cold one and the newest urgent leak
    with CaptureQueriesContext(connection) as ctx:
        assert capped_count(qs, 10) == (3, False)
    assert len(steps_run(ctx)) == 2
    assert getattr(qs, search.FOUND_ATTRIBUTE) == [urgent[2].pk]
    assert getattr(qs, search.VERDICT_ATTRIBUTE) == "rare"
    assert page_ids(qs, 0, 20) == planners_page(qs, 0, 20) == [r.pk for r in reversed(urgent)]
    assert capped_count(qs, 2) == (2, True)
    assert getattr(qs, search.VERDICT_ATTRIBUTE) == "older"


@postgresql_only
def test_the_walk_of_a_filtered_lists_rows_keeps_every_filter_and_the_scope(world, monkeypatch):
    urgent = leaks(world, 3, urgency="urgent")
    mine = selectors.request_list(actor=world["agent_b"], q="", urgency="urgent")  # outlet B: none of A's
    assert capped_count(filtered_search(mine), 10) == (0, False)
    assert getattr(filtered_search(mine), search.FOUND_ATTRIBUTE, None) is None  # not counted yet
    qs = filtered_search(ServiceRequest.objects.filter(urgency="urgent"))
    # A filter added after the search (the overdue queue's) is kept by the walk.
    later = qs.filter(pk__in=[urgent[0].pk, urgent[2].pk])
    assert capped_count(later, 10) == (2, False)
    assert getattr(later, search.FOUND_ATTRIBUTE) == [urgent[2].pk, urgent[0].pk]
    assert capped_count(qs.filter(org_unit=world["org"]["b"]), 10) == (0, False)
    # Another condition on the index (not the search's own) cannot be walked without it: the window's way.
    other = qs.extra(where=["service_searchdocument.body <> ''"])  # noqa: S610 (a fixed condition)
    with CaptureQueriesContext(connection) as ctx:
        assert capped_count(other, 10) == (3, False)
    assert not any(sql.startswith(LISTED) for sql in steps_run(ctx))
    assert any(WINDOW in sql for sql in steps_run(ctx))


@postgresql_only
def test_request_list_walks_the_rows_only_of_lists_with_other_filters(world, monkeypatch):
    monkeypatch.setattr(search, "FILTER_FIRST_MAX", 0)  # the filtered rows are "many": the index joined
    leaks(world, 2)
    filtered = selectors.request_list(actor=world["manager"], q="漏水", status="registered", sort="newest")
    counter = getattr(filtered.query, COUNTER_ATTRIBUTE)
    assert counter.func is search.pg_capped_count and counter.keywords["phrases"] == ["漏水"]
    assert getattr(selectors.request_list(actor=world["manager"], q="漏水").query, COUNTER_ATTRIBUTE) is (
        search.pg_capped_count
    )


@pytest.mark.parametrize("cap", [1, 3, 200])  # each way of reading a page on PostgreSQL: recent, older, rare
@pytest.mark.parametrize("filtered", [False, True])  # the newest documents walked, or the list's own rows
def test_the_api_lists_a_search_newest_first_however_its_page_is_read(
    world, api_client_for, monkeypatch, cap, filtered
):
    monkeypatch.setattr(search, "PG_COUNT_WINDOW", 3)
    monkeypatch.setattr(search, "PG_LIST_ROWS", 4)
    monkeypatch.setattr(search, "FILTER_FIRST_MAX", 0)  # a filtered list is "large": the index is joined
    monkeypatch.setattr(api, "SEARCH_COUNT_CAP", cap)
    client = api_client_for(world["manager"])
    urgent = {"urgency": "urgent"}
    old_leaks = [*leaks(world, 1), *leaks(world, 2, **urgent)]
    cold = [*colds(world, 2), *colds(world, 3, **urgent)]
    new_leaks = [*leaks(world, 2, **urgent), *leaks(world, 1)]
    filters = "&urgency=urgent" if filtered else ""
    shown = (lambda r: r.urgency == "urgent") if filtered else (lambda r: True)
    for query, expected in (
        ("漏水", [*reversed(new_leaks), *reversed(old_leaks)]),
        ("不制冷", list(reversed(cold))),
        ("55555", []),  # digits no phone starts or ends with: a word, found nowhere
    ):
        expected = [r for r in expected if shown(r)]
        for size in (1, 2, 3, 10):
            listed: list[int] = []
            for number in (1, 2, 3, 4):
                response = client.get(f"{LIST}?q={query}{filters}&page_size={size}&page={number}")
                assert response.status_code == 200, response.content
                listed += [row["id"] for row in response.json()["items"]]
            assert listed == [r.pk for r in expected][: size * 4], (query, size)
        response = client.get(f"{LIST}?q={query}{filters}")
        assert (response.json()["count"], response.json()["count_capped"]) == (
            min(len(expected), cap),
            len(expected) > cap,
        )


# --- the API's count and count_capped ---------------------------------------------------------------------


def test_api_search_count_and_count_capped_at_a_small_cap(world, api_client_for, monkeypatch):
    monkeypatch.setattr(api, "SEARCH_COUNT_CAP", 3)
    leak_rows = leaks(world, 5)
    colds(world, 3)
    for who in ("manager", "agent"):  # head office: the index joined; an outlet: filter first
        client = api_client_for(world[who])
        body = client.get(f"{LIST}?q=漏水").json()
        assert (body["count"], body["count_capped"]) == (3, True), who
        assert {row["id"] for row in body["items"]} <= {r.pk for r in leak_rows}
        assert len(body["items"]) >= 3
        exact = client.get(f"{LIST}?q=不制冷").json()  # exactly the cap: not capped
        assert (exact["count"], exact["count_capped"]) == (3, False), who
        none = client.get(f"{LIST}?q=冷媒").json()
        assert (none["count"], none["count_capped"], none["pages"]) == (0, False, 0), who
        # Without q= the list's own cap (10,000) applies, not the search's.
        plain = client.get(LIST).json()
        assert (plain["count"], plain["count_capped"]) == (8, False), who


def test_api_search_below_the_default_cap_is_exact(world, api_client_for):
    leaks(world, 2)
    colds(world, 1)
    for who in ("manager", "agent"):
        body = api_client_for(world[who]).get(f"{LIST}?q=漏水").json()
        assert (body["count"], body["count_capped"]) == (2, False), who
    assert api.SEARCH_COUNT_CAP == pagination.SEARCH_COUNT_CAP == 200


@postgresql_only
def test_api_search_count_when_matches_are_older_than_the_window(world, api_client_for, monkeypatch):
    monkeypatch.setattr(api, "SEARCH_COUNT_CAP", 3)
    monkeypatch.setattr(search, "PG_COUNT_WINDOW", 2)
    leaks(world, 2)
    colds(world, 2)
    client = api_client_for(world["manager"])
    body = client.get(f"{LIST}?q=漏水").json()
    assert (body["count"], body["count_capped"]) == (2, False)
    leaks(world, 2)  # two more, the newest: 4 matches, 2 of them in the window
    body = client.get(f"{LIST}?q=漏水").json()
    assert (body["count"], body["count_capped"]) == (3, True)
    body = client.get(f"{LIST}?q=不制冷").json()
    assert (body["count"], body["count_capped"]) == (2, False)


# --- a scope of every unit is no condition -----------------------------------------------------------------


def test_a_scope_of_every_unit_lists_every_request_without_a_unit_condition(world):
    org = world["org"]
    head = User.objects.get(pk=make_user_at(world, org["hq"]).pk)  # an agent at the root: every unit below
    own = create(world["agent"], world["customer_a"])
    other = create(world["agent_b"], world["customer_b"])
    listed = selectors.scoped(head)
    assert where(listed) == ""
    assert ids(listed) == {own.pk, other.pk}
    outlet = selectors.scoped(User.objects.get(pk=world["agent"].pk))
    assert "org_unit_id" in where(outlet) and ids(outlet) == {own.pk}
    # A second root is not the head office's: the condition is back, and its requests stay out of sight.
    elsewhere = make_unit("独立经销商", "D-1", OrgUnitKind.OUTLET)
    dealer = make_user_at(world, elsewhere)
    theirs = create(dealer, factories.customer(dealer, elsewhere, name="王先生", phone="13900000000", addresses=()))
    head = User.objects.get(pk=head.pk)  # a fresh request's user: its units are looked up again
    listed = selectors.scoped(head)
    assert "org_unit_id" in where(listed)
    assert ids(listed) == {own.pk, other.pk}
    assert theirs.pk in ids(selectors.scoped(User.objects.get(pk=dealer.pk)))


def where(qs: QuerySet[Any]) -> str:
    return str(qs.query).partition(" WHERE ")[2]


def make_user_at(world: dict[str, Any], unit: Any) -> Any:
    count = User.objects.count()
    user = User.objects.create(username=f"scope{count}", full_name=f"测试{count}", org_unit=unit, kind=UserKind.STAFF)
    user.groups.set(world["agent"].groups.all())
    return user


# --- _scoped_to_team never widens the scope ---------------------------------------------------------------


@pytest.fixture
def teams(world):
    """Requests of outlet A, its team A1 and outlet B; two of B's are the A agent's (assigned, registered)."""
    org = world["org"]
    own = create(world["agent"], world["customer_a"], "净水器漏水")
    colleagues = create(world["colleague"], world["customer_a"], "净水器漏水")
    team_a1 = create(world["colleague"], world["customer_a"], "净水器漏水", org_unit_id=org["a1"].pk)
    b_other = create(world["agent_b"], world["customer_b"], "净水器漏水")
    b_assigned = create(world["agent_b"], world["customer_b"], "净水器漏水")
    b_registered = create(world["agent_b"], world["customer_b"], "净水器漏水")
    b_cold = create(world["agent_b"], world["customer_b"], "空调不制冷")
    # Where a rule or a transfer may put them: B's requests worked on or registered by the A agent.
    ServiceRequest.objects.filter(pk=b_assigned.pk).update(assignee=world["agent"])
    ServiceRequest.objects.filter(pk=b_registered.pk).update(created_by=world["agent"])
    return {
        "own": own,
        "colleagues": colleagues,
        "a1": team_a1,
        "b_other": b_other,
        "b_assigned": b_assigned,
        "b_registered": b_registered,
        "b_cold": b_cold,
    }


@pytest.mark.parametrize("q", ["", "漏水"])
def test_an_outlet_agent_asking_for_another_outlets_team_sees_only_what_scoped_allows(world, teams, q):
    agent, b = world["agent"], world["org"]["b"].pk
    expected = {teams["b_assigned"].pk, teams["b_registered"].pk}
    assert ids(selectors.request_list(actor=agent, team_id=b, q=q)) == expected
    assert ids(selectors.request_list(actor=agent, team_id=b, q=q)) == ids(
        selectors.request_list(actor=agent, q=q).filter(org_unit_id=b)
    )
    assert ids(selectors._scoped_to_team(agent, b)) == {*expected}
    # Every other combination stays inside the same two.
    assert ids(selectors.request_list(actor=agent, team_id=b, q=q, queue="open")) == expected
    assert ids(selectors.request_list(actor=agent, team_id=b, q=q, status="registered")) == expected
    assert ids(selectors.request_list(actor=agent, team_id=b, q="不制冷")) == set()
    # A team that does not exist shows nothing.
    assert ids(selectors.request_list(actor=agent, team_id=999_999, q=q)) == set()


@pytest.mark.parametrize("q", ["", "q=漏水&"])
def test_the_api_keeps_an_outlet_agent_out_of_another_outlets_team(world, teams, api_client_for, q):
    b = world["org"]["b"].pk
    seen = api_ids(api_client_for(world["agent"]), f"{q}team_id={b}")
    assert seen == {teams["b_assigned"].pk, teams["b_registered"].pk}
    assert api_ids(api_client_for(world["colleague"]), f"{q}team_id={b}") == set()  # neither is theirs
    body = api_client_for(world["colleague"]).get(f"{LIST}?{q}team_id={b}").json()
    assert (body["count"], body["count_capped"]) == (0, False)


@pytest.mark.parametrize("q", ["", "q=漏水&"])
def test_a_team_inside_the_scope_shows_all_its_requests(world, teams, api_client_for, make_user, q):
    org = world["org"]
    agent = api_client_for(world["agent"])
    assert api_ids(agent, f"{q}team_id={org['a'].pk}") == {teams["own"].pk, teams["colleagues"].pk}
    assert api_ids(agent, f"{q}team_id={org['a1'].pk}") == {teams["a1"].pk}
    everything_of_b = {teams["b_other"].pk, teams["b_assigned"].pk, teams["b_registered"].pk}
    if not q:
        everything_of_b.add(teams["b_cold"].pk)
    # Head office (accounts.view_all_units) and B's own agent see the whole team.
    assert world["manager"].has_perm("accounts.view_all_units")
    assert api_ids(api_client_for(world["manager"]), f"{q}team_id={org['b'].pk}") == everything_of_b
    assert api_ids(api_client_for(world["agent_b"]), f"{q}team_id={org['b'].pk}") == everything_of_b
    # A region sees its outlets' teams, and nothing of another region's.
    region = api_client_for(make_user("supervisor", org["east"]))
    assert api_ids(region, f"{q}team_id={org['a1'].pk}") == {teams["a1"].pk}
    assert api_ids(region, f"{q}team_id={org['b'].pk}") == set()


def test_the_scope_condition_is_left_out_only_for_a_team_inside_the_scope(world):
    org, agent = world["org"], world["agent"]

    def where(**kw: Any) -> str:
        return str(selectors.request_list(actor=agent, **kw).query).split(" WHERE ", 1)[1]

    # Inside: a plain team condition, no `unit IN (…) OR assignee OR registrant`.
    for kw in ({"team_id": org["a"].pk}, {"team_id": org["a1"].pk}, {"queue": "team"}):
        assert "created_by_id" not in where(**kw) and 'assignee_id" = ' not in where(**kw), kw
    # Outside: the scope stays (it is what lets through the requests assigned to or registered by them).
    assert "created_by_id" in where(team_id=org["b"].pk)
    assert "created_by_id" in where()


def test_team_filter_shows_nothing_to_those_who_may_see_no_requests(world, teams, make_user):
    org = world["org"]
    nobody = make_user("", org["hq"])  # no role: no service.view_servicerequest, though a head-office unit
    assert ids(selectors.request_list(actor=nobody, team_id=org["a"].pk)) == set()
    assert ids(selectors.request_list(actor=nobody, team_id=org["a"].pk, q="漏水")) == set()
    inactive = make_user("manager", org["hq"], is_active=False)
    assert ids(selectors.request_list(actor=inactive, team_id=org["b"].pk)) == set()
    assert ids(selectors.request_list(actor=inactive, queue="team")) == set()


def test_a_portal_customer_asking_for_a_team_sees_only_their_own(world, teams, make_user):
    portal = make_user("customer", None, kind=UserKind.CUSTOMER)
    Customer.objects.filter(pk=world["customer_b"].pk).update(portal_user=portal)
    portal = type(portal).objects.get(pk=portal.pk)
    client = Client()
    client.force_login(portal)
    b, a = world["org"]["b"].pk, world["org"]["a"].pk
    mine = {teams["b_other"].pk, teams["b_assigned"].pk, teams["b_registered"].pk, teams["b_cold"].pk}
    assert api_ids(client, f"team_id={b}") == mine
    assert api_ids(client, f"team_id={b}&q=漏水") == mine - {teams["b_cold"].pk}
    assert api_ids(client, f"team_id={a}") == set()
    assert api_ids(client, f"team_id={a}&q=漏水") == set()


def test_the_team_queue_lists_the_agents_own_units_open_requests(world, teams, api_client_for):
    resolved = create(world["agent"], world["customer_a"], "净水器漏水")
    services.request_transition(
        actor=world["agent"], request=resolved, action="resolve", expected_version=resolved.version, resolution="已修"
    )
    expected = {teams["own"].pk, teams["colleagues"].pk}  # unit A's open ones: not A1's, not B's, not resolved
    client = api_client_for(world["agent"])
    assert api_ids(client, "queue=team") == expected
    assert api_ids(client, "queue=team&q=漏水") == expected
    assert api_ids(client, "queue=team&q=不制冷") == set()
    assert ids(selectors.request_list(actor=world["agent"], queue="team")) == expected
    # A's team member sees A1's open ones; B's agent B's — including those the A agent works on.
    member = world["colleague"]
    member.org_unit = world["org"]["a1"]
    member.save(update_fields=["org_unit"])
    member = type(member).objects.get(pk=member.pk)
    assert api_ids(api_client_for(member), "queue=team") == {teams["a1"].pk}
    b_open = {teams["b_other"].pk, teams["b_assigned"].pk, teams["b_registered"].pk, teams["b_cold"].pk}
    assert api_ids(api_client_for(world["agent_b"]), "queue=team") == b_open
    # The team queue together with another team's filter: the two contradict, nothing.
    assert api_ids(client, f"queue=team&team_id={world['org']['b'].pk}") == set()


# --- _narrowed: the filter-first count only where filters can make the set small -------------------------


def test_narrowed_by_queue_filters_and_scope_size(world, monkeypatch):
    agent, manager = world["agent"], world["manager"]
    assert selectors._narrowed(agent, "all")  # an outlet and its team: 2 units
    assert selectors._narrowed(agent, "")
    assert not selectors._narrowed(manager, "all")  # every unit
    assert not selectors._narrowed(manager, "", "", None, None)
    assert selectors._narrowed(manager, "open")
    assert selectors._narrowed(manager, "all", "closed")
    assert selectors._narrowed(manager, "all", "", "", "", world["org"]["b"].pk)
    monkeypatch.setattr(selectors, "NARROW_SCOPE_UNITS", 1)
    assert not selectors._narrowed(agent, "all")
    assert selectors._narrowed(agent, "all", "registered")
    assert selectors._narrowed(agent, "mine")


@pytest.fixture
def filter_first_calls(monkeypatch):
    calls: list[str] = []
    original = search.restrict_filter_first

    def recording(qs: QuerySet[ServiceRequest], query: str) -> QuerySet[ServiceRequest]:
        calls.append(query)
        return original(qs, query)

    monkeypatch.setattr(search, "restrict_filter_first", recording)
    return calls


def filter_first_counts(ctx: CaptureQueriesContext) -> list[str]:
    return [q["sql"] for q in ctx.captured_queries if FILTER_FIRST_LIMIT in q["sql"]]


def test_a_broad_scope_without_filters_skips_the_filter_first_count(world, monkeypatch, filter_first_calls):
    leak_rows = leaks(world, 3)
    colds(world, 1)
    narrow_found = ids(selectors.request_list(actor=world["agent"], q="漏水"))
    assert narrow_found == {r.pk for r in leak_rows}
    assert filter_first_calls == ["漏水"]  # 2 units <= NARROW_SCOPE_UNITS: filter first
    filter_first_calls.clear()

    monkeypatch.setattr(selectors, "NARROW_SCOPE_UNITS", 1)
    with CaptureQueriesContext(connection) as ctx:
        found = ids(selectors.request_list(actor=world["agent"], q="漏水"))
    assert found == narrow_found  # the same rows the other way
    assert filter_first_calls == []
    assert filter_first_counts(ctx) == []
    # Head office, any size of the constant: the index directly.
    with CaptureQueriesContext(connection) as ctx:
        assert ids(selectors.request_list(actor=world["manager"], q="漏水")) == narrow_found
    assert filter_first_calls == [] and filter_first_counts(ctx) == []


def test_a_filter_brings_the_filter_first_count_back(world, monkeypatch, filter_first_calls):
    leak_rows = leaks(world, 2)
    colds(world, 1)
    monkeypatch.setattr(selectors, "NARROW_SCOPE_UNITS", 1)
    for actor in (world["agent"], world["manager"]):
        filter_first_calls.clear()
        with CaptureQueriesContext(connection) as ctx:
            found = ids(selectors.request_list(actor=actor, q="漏水", status="registered"))
        assert found == {r.pk for r in leak_rows}
        assert filter_first_calls == ["漏水"]
        assert len(filter_first_counts(ctx)) == 1
        filter_first_calls.clear()
        with CaptureQueriesContext(connection) as ctx:
            assert ids(selectors.request_list(actor=actor, q="漏水", queue="open")) == {r.pk for r in leak_rows}
        assert filter_first_calls == ["漏水"] and len(filter_first_counts(ctx)) == 1
    # A number is looked up directly: neither way of searching.
    filter_first_calls.clear()
    with CaptureQueriesContext(connection) as ctx:
        found = ids(selectors.request_list(actor=world["agent"], q=leak_rows[0].number, status="registered"))
    assert found == {leak_rows[0].pk}
    assert filter_first_calls == [] and filter_first_counts(ctx) == []


def test_through_the_api_a_broad_scope_search_runs_no_filter_first_count(world, api_client_for, monkeypatch):
    leaks(world, 2)
    monkeypatch.setattr(selectors, "NARROW_SCOPE_UNITS", 1)
    client = api_client_for(world["agent"])
    with CaptureQueriesContext(connection) as ctx:
        body = client.get(f"{LIST}?q=漏水").json()
    assert (body["count"], body["count_capped"]) == (2, False)
    assert filter_first_counts(ctx) == []
    with CaptureQueriesContext(connection) as ctx:
        body = client.get(f"{LIST}?q=漏水&status=registered").json()
    assert (body["count"], body["count_capped"]) == (2, False)
    assert len(filter_first_counts(ctx)) == 1


# --- keeping the index merged --------------------------------------------------------------------------


def test_compacting_the_index_keeps_every_match(world):
    from aftersales.service.tasks import search_index_compact_job

    found = {r.pk for r in leaks(world, 3)}
    colds(world, 2)
    steps = search.index_compact()
    assert steps >= (1 if connection.vendor == "sqlite" else 0)
    assert ids(ServiceRequest.objects.filter(search.matching("漏水"))) == found
    assert search.index_compact(full=True) >= 0
    assert ids(ServiceRequest.objects.filter(search.matching("漏水"))) == found
    # Later documents go into the merged index like any other.
    found |= {r.pk for r in leaks(world, 1)}
    assert isinstance(search_index_compact_job.call_local(), int)
    assert ids(ServiceRequest.objects.filter(search.matching("漏水"))) == found
    assert len(ids(ServiceRequest.objects.filter(search.matching("不制冷")))) == 2


def test_the_filter_first_answer_is_held_per_person_and_filters_for_a_while(world, monkeypatch, filter_first_calls):
    monkeypatch.setattr(search, "FILTER_FIRST_MAX", 3)
    made = leaks(world, 2)
    manager = world["manager"]

    def listed(actor: Any = manager, **kw: Any) -> tuple[set[int], int]:
        with CaptureQueriesContext(connection) as ctx:
            found = ids(selectors.request_list(actor=actor, status="registered", **kw))
        return found, sum("COUNT(" in q["sql"] and "LIMIT 4)" in q["sql"] for q in ctx.captured_queries)

    assert listed(q="漏水") == ({r.pk for r in made}, 1)  # counted: two rows, their text checked
    assert filter_first_calls == ["漏水"]
    # Other words under the same filters: the answer is held, not counted again.
    assert listed(q="净水器") == ({r.pk for r in made}, 0)
    assert filter_first_calls == ["漏水", "净水器"]
    # The list grows past the limit: within the minute the held answer still gives the right rows.
    made += leaks(world, 3)
    assert listed(q="漏水") == ({r.pk for r in made}, 0)
    assert filter_first_calls[-1] == "漏水" and len(filter_first_calls) == 3
    # Other filters or another person: counted for themselves.
    assert listed(q="漏水", urgency="normal")[1] == 1
    assert listed(world["colleague"], q="漏水")[1] == 1
    # An answer grown old is counted again: five rows now, the full-text index joined instead.
    monkeypatch.setattr(search, "FILTER_FIRST_SECONDS", 0.0)
    assert listed(q="漏水") == ({r.pk for r in made}, 1)
    assert len(filter_first_calls) == 3


def test_the_held_answers_are_bounded(world, monkeypatch):
    monkeypatch.setattr(search, "FILTER_FIRST_HELD", 2)
    qs = ServiceRequest.objects.all()
    for n in range(3):
        search.few_enough_to_filter_first(qs, key=("k", n))
    assert len(search._few_enough) == 1  # dropped when full, then the new answer held
