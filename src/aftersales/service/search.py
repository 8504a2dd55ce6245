"""Keeping a request's search document current, and matching it (vendor-specific SQL, one place)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import partial
from typing import Any, TypeVar

from django.db import connection, transaction
from django.db.models import Q, QuerySet
from django.db.models.expressions import RawSQL
from django.db.models.sql.where import ExtraWhere

from aftersales.core import search
from aftersales.core.pagination import COUNTER_ATTRIBUTE, PAGER_ATTRIBUTE, capped_count
from aftersales.service.models import SearchDocument, ServiceRequest, TimelineEntry

T = TypeVar("T")


def document_text(request: ServiceRequest) -> str:
    """Number, customer name and phones, serial, model, title, description and every reply or note."""
    customer = request.customer
    phones = " ".join(customer.phones.values_list("number", flat=True))
    texts = TimelineEntry.objects.filter(request=request, kind__in=["reply", "note", "customer"]).values_list(
        "body", flat=True
    )
    return search.index_text(
        request.number,
        customer.name,
        phones,
        request.contact_phone,
        request.unit.serial if request.unit_id and request.unit else "",
        request.product_model.code if request.product_model_id and request.product_model else "",
        request.title,
        request.description,
        *texts,
    )


def search_document_new(request: ServiceRequest, *, phones: list[str]) -> SearchDocument:
    """The search document of a request being created (it has no replies yet), to insert with it, with
    the customer's phones read by the caller."""
    body = search.index_text(
        request.number,
        request.customer.name,
        " ".join(phones),
        request.contact_phone,
        request.unit.serial if request.unit_id and request.unit else "",
        request.product_model.code if request.product_model_id and request.product_model else "",
        request.title,
        request.description,
    )
    return SearchDocument(request=request, body=body)


# Nightly merging in steps of this many index pages, each its own short write, up to this many steps.
MERGE_PAGES = 500
MERGE_STEPS = 2_000


def index_compact(*, full: bool = False) -> int:
    """Do the full-text index's pending merging now, so that the writes of the day do not pay for it.
    Returns the steps taken (SQLite) or the pending pages flushed (PostgreSQL).

    FTS5 keeps an index as segments and, with each write, merges a little of what earlier writes left
    (its `automerge`). After a bulk load — the demo's million documents in one INSERT … SELECT — that
    backlog made every create merge for it: the search document's INSERT took ~1 ms instead of 0.05 ms,
    for thousands of creates. `full` merges everything into one segment (`optimize`: about 3 s at 1M
    documents, for after a bulk load); otherwise the pending merges run in short steps until FTS5 has
    none left (it reports that by changing fewer than two rows). PostgreSQL's GIN index keeps new
    entries in a pending list that some insert flushes when it outgrows `gin_pending_list_limit` — one
    slow create now and then; this flushes it."""
    with connection.cursor() as cursor:
        if connection.vendor != "sqlite":
            cursor.execute("SELECT gin_clean_pending_list('service_searchdocument_tsv'::regclass)")
            row = cursor.fetchone()
            return int(row[0]) if row else 0
        if full:
            cursor.execute("INSERT INTO service_fts(service_fts) VALUES ('optimize')")
            return 1
        for step in range(1, MERGE_STEPS + 1):
            cursor.execute("SELECT total_changes()")
            before = cursor.fetchone()[0]
            cursor.execute("INSERT INTO service_fts(service_fts, rank) VALUES ('merge', %s)", [MERGE_PAGES])
            cursor.execute("SELECT total_changes()")
            if cursor.fetchone()[0] - before < 2:
                return step
        return MERGE_STEPS


def document_refresh(request: ServiceRequest) -> None:
    body = document_text(request)
    updated = SearchDocument.objects.filter(request=request).update(body=body)
    if not updated:
        SearchDocument.objects.create(request=request, body=body)


# Up to this many rows left by the other filters (a team's requests, one state), the text of each is
# checked (filter first: on SQLite 0.2-1 ms for the page, ~20 ms for the count of 6k rows at 1M);
# beyond it, the full-text index is read first (research/cjk_search.md, "What makes … fast or slow").
FILTER_FIRST_MAX = 20_000


def restrict_filter_first(qs: QuerySet[ServiceRequest], query: str) -> QuerySet[ServiceRequest]:
    """The same match as `restrict`, checked row by row on the document text of a small filtered set
    (each phrase of bigrams is a substring of the stored token text)."""
    if not search.is_searchable(query):
        return qs.filter(matching(query))
    for phrase in search.pg_phrases(query):
        qs = qs.filter(search_document__body__contains=phrase)
    return qs


def restrict(
    qs: QuerySet[ServiceRequest], query: str, *, filtered: bool = False
) -> tuple[QuerySet[ServiceRequest], bool]:
    """Requests whose document contains every word of the query, as a join with the full-text index
    (not `id IN (…)`, which materialises every match first: 1-1.6 s for a common word at 1M rows).
    Order by `newest_first()` when the second value is True (the index was joined), so the newest page
    is read backwards from the index and stops early. The values are bound parameters, never SQL.
    `filtered`: `qs` has filters besides the actor's scope (see `pg_newest_page`)."""
    if not search.is_searchable(query):
        return qs.filter(matching(query)), False
    if connection.vendor == "postgresql":
        phrases = search.pg_phrases(query)
        joined = qs.extra(  # noqa: S610 (placeholders only)
            tables=["service_searchdocument"],
            where=[
                "service_searchdocument.request_id = service_servicerequest.id",
                f"service_searchdocument.tsv @@ ({pg_tsquery(phrases)})",
            ],
            params=phrases,
        )
        counter: Any = pg_capped_count
        condition = joined.query.where.children[-1]  # the one just added: the list's filters are the others
        if filtered and isinstance(condition, ExtraWhere):
            counter = partial(pg_capped_count, phrases=phrases, condition=condition)
        setattr(joined.query, COUNTER_ATTRIBUTE, counter)
        setattr(joined.query, PAGER_ATTRIBUTE, partial(pg_newest_page, matches_first=not filtered))
        return joined, True
    joined = qs.extra(  # noqa: S610 (placeholders only)
        tables=["service_fts"],
        where=["service_fts.rowid = service_servicerequest.id", "service_fts MATCH %s"],
        params=[search.fts5_match(query)],
    )
    return joined, True


# The newest this many documents are where a capped count of a PostgreSQL search looks first.
PG_COUNT_WINDOW = 20_000
# The id where that window starts, found by position (ids have gaps: a rolled-back create uses one up)
# and held per process this long. An older start only widens the window a little (new documents come
# at the top): the counts stay exact, since the window only decides which of the two steps answers.
PG_WINDOW_FLOOR_SECONDS = 60.0
_window_floor: dict[int, tuple[float, int]] = {}


# Whether a filtered list is small enough to have its rows' text checked (FILTER_FIRST_MAX), held per
# process, person and filters this long: counting to 20,001 cost 11-16 ms of a search among closed
# requests at 1M, on either database, while the answer only chooses between two ways to the same rows
# and a state's or a team's size moves slowly. The search words are not part of the key: refining them
# under the same filters asks once.
FILTER_FIRST_SECONDS = 60.0
FILTER_FIRST_HELD = 2_000  # at most this many answers held; all are dropped when it is reached
_few_enough: dict[tuple[Any, ...], tuple[float, bool]] = {}


def clear_held() -> None:
    """Forget what is held per process: the window's start and the filter-first answers (tests)."""
    _window_floor.clear()
    _few_enough.clear()


def _held(store: dict[Any, tuple[float, T]], key: Any, seconds: float, find: Callable[[], T]) -> T:
    """`find()`, or what it gave for `key` less than `seconds` ago (`store` keeps at most
    FILTER_FIRST_HELD answers and is emptied when full)."""
    now = time.monotonic()
    held = store.get(key)
    if held is not None and now - held[0] < seconds:
        return held[1]
    value = find()
    if len(store) >= FILTER_FIRST_HELD:
        store.clear()
    store[key] = (now, value)
    return value


def few_enough_to_filter_first(qs: QuerySet[ServiceRequest], key: tuple[Any, ...]) -> bool:
    """Whether `qs` (the list before the search) has at most FILTER_FIRST_MAX rows, as counted within
    the last FILTER_FIRST_SECONDS for the same `key` (who asks, and the filters)."""
    return _held(_few_enough, key, FILTER_FIRST_SECONDS, lambda: not capped_count(qs, cap=FILTER_FIRST_MAX)[1])


def pg_window_floor() -> int:
    """The smallest request id among the newest PG_COUNT_WINDOW search documents (0: fewer than that)."""

    def find() -> int:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT request_id FROM service_searchdocument ORDER BY request_id DESC LIMIT 1 OFFSET %s",
                [PG_COUNT_WINDOW - 1],
            )
            row = cursor.fetchone()
        return int(row[0]) if row else 0

    return _held(_window_floor, PG_COUNT_WINDOW, PG_WINDOW_FLOOR_SECONDS, find)


# The walk of the newest documents, newest first, and the reading of a rare phrase's matches first.
NEWEST_FIRST = ("enable_bitmapscan = off", "max_parallel_workers_per_gather = 0")
MATCHES_FIRST = ("enable_indexscan = off", "max_parallel_workers_per_gather = 0")
# A list with other filters has at most this many of its newest rows walked, each one's document
# checked (see `pg_capped_count`): 2-4 µs a row, 12-19 ms for all of them at 1M.
PG_LIST_ROWS = 5_000
# What a search's count found out, kept on the queryset it counted (the paginator then reads a page of
# that same queryset; clones do not carry it): the ids of the newest matches, newest first (the first
# rows of the list as it is ordered newest first), and a verdict: "recent" — the cap was reached among
# the newest; "found" — those ids are every match; "rare" — no more matches than the cap, some older;
# "older" — more than the cap, not among the newest.
VERDICT_ATTRIBUTE = "_pg_search_verdict"
FOUND_ATTRIBUTE = "_pg_search_found"
SEARCH_TABLE = "service_searchdocument"


@contextmanager
def _planned(settings: tuple[str, ...]) -> Iterator[None]:
    """The block's reads planned with `settings` (SET LOCAL). The block only reads: rolling it back (or
    its savepoint, inside the caller's transaction) undoes the settings and restores whatever the caller
    had; an error inside propagates as it was."""
    with transaction.atomic():
        with connection.cursor() as cursor:
            for setting in settings:
                cursor.execute(f"SET LOCAL {setting}")
        yield
        transaction.set_rollback(True)


def _in_window(qs: QuerySet[ServiceRequest]) -> QuerySet[ServiceRequest]:
    return qs.extra(  # noqa: S610 (a fixed condition, the window's start a bound parameter)
        where=["service_searchdocument.request_id >= %s"], params=[pg_window_floor()]
    )


def _newest_rows_matching(
    qs: QuerySet[ServiceRequest], phrases: list[str], condition: ExtraWhere, limit: int
) -> list[int] | None:
    """The ids of up to `limit` matches among the newest PG_LIST_ROWS rows of the list without the
    search (`qs` without `restrict`'s join and `condition`; filters added after it are kept), newest
    first: the rows are walked by the list's own indexes and each one's document is checked, stopping
    at `limit`. None when some other condition of the list is on the index."""
    bare = qs.order_by()
    bare.query.extra_tables = tuple(t for t in bare.query.extra_tables if t != SEARCH_TABLE)
    bare.query.where.children = [child for child in bare.query.where.children if child is not condition]
    newest = bare.order_by("-pk").values_list("pk", flat=True)[:PG_LIST_ROWS]
    inner, params = newest.query.sql_with_params()
    if SEARCH_TABLE in inner:
        return None
    sql = (
        f"SELECT listed.id FROM ({inner}) AS listed (id) JOIN {SEARCH_TABLE} ON {SEARCH_TABLE}.request_id = listed.id "  # noqa: S608 (the list's own SQL, placeholders only)
        f"WHERE {SEARCH_TABLE}.tsv @@ ({pg_tsquery(phrases)}) ORDER BY listed.id DESC LIMIT %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, *phrases, limit])
        return [int(row[0]) for row in cursor.fetchall()]


def pg_capped_count(
    qs: QuerySet[ServiceRequest], cap: int, *, phrases: list[str] | None = None, condition: ExtraWhere | None = None
) -> tuple[int, bool]:
    """A capped count of a PostgreSQL full-text search, in two steps.

    The planner cannot tell a common phrase from a rare one (its estimates for phrases of bigrams are
    off by up to 80×: research/cjk_search.md), and either plan is slow for the other kind: the GIN
    bitmap of a common phrase (不制冷, 滤芯更换) costs 30-50 ms however few rows are counted, a
    newest-first walk looking for a rare one reads the whole table. So the newest rows are looked at
    first, up to a bound, with bitmap scans and parallel workers off, stopping after the cap:

    - a list without other filters walks the newest PG_COUNT_WINDOW documents: 2-5 ms when the phrase
      is common enough to fill the cap there, 10-14 ms for the whole window;
    - a list with other filters (a state, a type: `restrict` gives the `phrases` and its `condition`)
      walks its own newest PG_LIST_ROWS rows by its own indexes and checks each one's document. The
      newest documents are mostly of open requests: 滤芯更换 among closed ones had 33 matches in the
      newest 20,000 documents, and the cap was then counted in the phrase's whole bitmap (12 + 39 ms);
      among the newest closed requests it is reached after about 2,200 rows (5-10 ms).

    Only when the cap is not reached there — a phrase rare among the list's rows, whose bitmap is
    mostly small — everything is counted the planner's way. The ids found first (the newest matches,
    newest first) and the verdict are left on `qs` for `pg_newest_page`."""
    with _planned(NEWEST_FIRST):
        found = _newest_rows_matching(qs, phrases, condition, cap + 1) if phrases and condition else None
        if found is None:
            recent = _in_window(qs.order_by()).extra(order_by=["-service_searchdocument.request_id"])  # noqa: S610
            found = list(recent.values_list("pk", flat=True)[: cap + 1])
    setattr(qs, FOUND_ATTRIBUTE, found)
    if len(found) > cap:
        setattr(qs, VERDICT_ATTRIBUTE, "recent")
        return cap, True
    total = qs.order_by()[: cap + 1].count()
    verdict = "older" if total > cap else "found" if total <= len(found) else "rare"
    setattr(qs, VERDICT_ATTRIBUTE, verdict)
    return min(total, cap), total > cap


def pg_newest_page(
    qs: QuerySet[ServiceRequest], start: int, stop: int, *, matches_first: bool = True
) -> list[int] | None:
    """The ids of one page of a PostgreSQL search listed newest first, read the way its count found
    right (None: the planner's way; always for other orders).

    The planner misjudges phrases both ways, and for a page of 20 either mistake is costly. A page
    among the newest matches the count found is those ids, read no more. Taking a common phrase for a
    rare one (1,158 documents estimated for 滤芯更换, 88,923 there), it reads the phrase's whole bitmap
    and sorts it: 160 ms; when the count reached its cap among the newest, later pages are read among
    the newest PG_COUNT_WINDOW documents instead, newest first (a page the window fills is the page;
    one it cannot fill goes the planner's way). Taking a rare one for a common one (a phone number's
    digits that match nothing: 1,219 estimated), it walks every document backwards looking for 20:
    290 ms; when the count found no more matches than its cap, the matches are read first (index
    walks off) and sorted: 1-6 ms. Only without other filters (`matches_first`): a few matches among a
    type's or a state's rows may be a few among the phrase's tens of thousands (滤芯更换 among
    complaints: 58 of 88,923; read first, 530 ms against the planner's 190)."""
    if stop <= start or qs.query.order_by or tuple(qs.query.extra_order_by) != (newest_first(),):
        return None
    verdict = getattr(qs, VERDICT_ATTRIBUTE, None)
    found: list[int] = getattr(qs, FOUND_ATTRIBUTE, [])
    if stop <= len(found) or verdict == "found":
        return found[start:stop]
    if verdict == "older":
        return None
    if verdict == "rare":
        if not matches_first:
            return None
        with _planned(MATCHES_FIRST):
            return list(qs.values_list("pk", flat=True)[start:stop])
    with _planned(NEWEST_FIRST):
        ids = list(_in_window(qs).values_list("pk", flat=True)[start:stop])
    return ids if len(ids) == stop - start else None


def pg_tsquery(phrases: list[str]) -> str:
    """The tsquery of every phrase (each a bound parameter, in order)."""
    return " && ".join(["phraseto_tsquery('simple', %s)"] * len(phrases))


def newest_first() -> str:
    """The order of a `restrict`ed list, newest first, on the index's own key (ids follow the time
    received): SQLite's FTS5 then walks its doclist backwards and stops after the page."""
    return "-service_searchdocument.request_id" if connection.vendor == "postgresql" else "-service_fts.rowid"


def matching(query: str) -> Q:
    """A filter for requests whose document contains every word of the query (bigram phrases)."""
    if not search.is_searchable(query):
        # One Chinese character: the bigram index cannot answer; fall back to a scan of the title.
        return Q(title__contains=query.strip())
    if connection.vendor == "postgresql":
        phrases = search.pg_phrases(query)
        sql = f"SELECT request_id FROM service_searchdocument WHERE tsv @@ ({pg_tsquery(phrases)})"  # noqa: S608 (placeholders only)
        return Q(pk__in=RawSQL(sql, phrases))  # noqa: S611 (values are bound parameters)
    match = search.fts5_match(query)
    return Q(pk__in=RawSQL("SELECT rowid FROM service_fts WHERE service_fts MATCH %s", [match]))  # noqa: S611
