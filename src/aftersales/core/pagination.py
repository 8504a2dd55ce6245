"""The one pagination convention of the API: ?page=&page_size= in, {items,count,page,page_size,pages} out."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.functional import cached_property
from ninja import Field, Schema
from ninja.pagination import PaginationBase

COUNT_CAP = 10_000
# Search results are counted to a lower cap: each match counted is a full-text check (PostgreSQL reads
# the stored tsvector of every one), and ten pages of hits are more than anyone reads before refining
# the words.
SEARCH_COUNT_CAP = 200

# A list may bring its own way of counting (a full-text search on PostgreSQL does, see
# service.search): a function (queryset, cap) -> (total, was capped) set on its `query` under this name.
# Django copies a Query's attributes when it clones one, so filters and orderings added later keep it.
COUNTER_ATTRIBUTE = "capped_counter"
# And its own way of reading a page's ids (a PostgreSQL search read newest first does): a function
# (queryset, start, stop) -> the page's ids in order, or None to read them the ordinary way.
PAGER_ATTRIBUTE = "page_ids_reader"


def capped_count(qs: Any, cap: int | None = None) -> tuple[int, bool]:
    """How many rows, counted up to `cap` ("10,000+" beyond): an exact total of a very large set (a
    common search word, a head office's closed requests) scans every row — 0.3-0.5 s on PostgreSQL at
    1M rows (shared/research/cjk_search.md) — while a capped one stops early. (total, was capped)."""
    if isinstance(qs, Shaped):
        cap = qs.cap if cap is None else cap
        qs = qs.qs
    cap = COUNT_CAP if cap is None else cap
    if not isinstance(qs, QuerySet):
        return len(qs), False
    counter = getattr(qs.query, COUNTER_ATTRIBUTE, None)
    if counter is not None:
        return counter(qs, cap)  # type: ignore[no-any-return]
    n = qs.order_by()[: cap + 1].count()
    return min(n, cap), n > cap


def page_rows(qs: Any, start: int, stop: int) -> list[Any]:
    """The rows of one page: their ids first (sorted and limited on the bare table), then the rows
    with their related records by id. Joining first let PostgreSQL, misjudging a team's backlog (3
    rows estimated, 2,450 there), join every candidate to customer, unit and model before sorting:
    110 ms instead of 2 for the 20 rows shown. A list that brings its own reader of ids
    (PAGER_ATTRIBUTE) has them read by it."""
    pager = getattr(qs.query, PAGER_ATTRIBUTE, None) if isinstance(qs, QuerySet) else None
    if pager is None and (not isinstance(qs, QuerySet) or not qs.query.select_related):
        return list(qs[start:stop])
    ids = pager(qs, start, stop) if pager is not None else None
    if ids is None:
        ids = list(qs.values_list("pk", flat=True)[start:stop])
    if not ids:
        return []
    # A fresh query by primary key (not the list's own: its filters — a full-text MATCH — would be
    # evaluated again), with the list's related records.
    rows = qs.model._default_manager.filter(pk__in=ids).prefetch_related(*getattr(qs, "_prefetch_related_lookups", ()))
    rows.query.select_related = qs.query.select_related
    rows.query.deferred_loading = qs.query.deferred_loading  # the list's .only()/.defer()
    found = {row.pk: row for row in rows}
    return [found[pk] for pk in ids if pk in found]


class CappedPaginator(Paginator):
    """Django's paginator with the total counted up to the cap (`capped` says the list is longer) and
    each page read by `page_rows`."""

    capped = False

    def __init__(self, *args: Any, cap: int | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.cap = cap

    @cached_property
    def count(self) -> int:
        total, self.capped = capped_count(self.object_list, self.cap)
        return total

    def page(self, number: Any) -> Page[Any]:
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = bottom + self.per_page
        if top + self.orphans >= self.count:
            top = self.count
        return Page(page_rows(self.object_list, bottom, top), number, self)


class PagePagination(PaginationBase):
    class Input(Schema):
        # No list is counted past COUNT_CAP rows, so no page of it lies beyond that number.
        page: int = Field(1, ge=1, le=COUNT_CAP, description="1-based page number (at most 10,000)")
        page_size: int = Field(20, ge=1, le=100, description="rows per page (1-100)")

    class Output(Schema):
        items: list[Any]
        count: int
        count_capped: bool = Field(False, description="true: there are more than `count` (10,000) rows")
        page: int
        page_size: int
        pages: int

    items_attribute = "items"

    def paginate_queryset(
        self, queryset: QuerySet[Any], pagination: Any, request: HttpRequest, **params: Any
    ) -> dict[str, Any]:
        size = min(pagination.page_size, settings.API_PAGE_SIZE_MAX)
        offset = (pagination.page - 1) * size
        count, capped = capped_count(queryset)
        return {
            "items": list(queryset[offset : offset + size]),
            "count": count,
            "count_capped": capped,
            "page": pagination.page,
            "page_size": size,
            "pages": max(1, math.ceil(count / size)) if count else 0,
        }


class Shaped:
    """A queryset that the paginator slices first; only the page's rows are then shaped for output.

    Lets an endpoint build its output dicts (masking, computed fields) without touching other pages.
    """

    def __init__(
        self, qs: QuerySet[Any], shape: Callable[[Any], Any], *, by_id: bool = False, cap: int | None = None
    ) -> None:
        # by_id: read the page with `page_rows` (lists whose rows join several tables at scale);
        # cap: count up to this many (default COUNT_CAP).
        self.qs, self.shape, self.by_id, self.cap = qs, shape, by_id, cap

    def count(self) -> int:
        return capped_count(self)[0]

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, item: slice) -> list[Any]:
        rows = page_rows(self.qs, item.start or 0, item.stop or 0) if self.by_id else self.qs[item]
        return [self.shape(row) for row in rows]
