"""Reads of service requests: the queues, search, a request with its timeline — all scoped."""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any

from django.db import connection
from django.db.models import Case, Count, F, IntegerField, Q, QuerySet, When
from django.db.models.functions import TruncMonth
from django.utils import timezone

from aftersales.accounts import selectors as account_selectors
from aftersales.accounts.models import OrgUnit, User, UserKind
from aftersales.core import config_cache
from aftersales.core.errors import NotFound
from aftersales.core.prepared import Prepared
from aftersales.core.scoping import scope_by_unit, visible_unit_ids
from aftersales.customers import rules as customer_rules
from aftersales.customers import selectors as customer_selectors
from aftersales.service import rules, search
from aftersales.service.models import (
    Attachment,
    FaultCategory,
    RequestTimer,
    RequestType,
    ServiceRequest,
    TimelineEntry,
)
from aftersales.service.policies import can_see, contact_sees_all, customer_id_of, is_customer_actor
from aftersales.sla.rules import SHANGHAI

QUEUES = ("all", "mine", "team", "unassigned", "waiting", "open", "escalated", "done")


def scoped(actor: Any) -> QuerySet[ServiceRequest]:
    """Requests the actor may see: a customer their own; staff their units', those assigned to them and
    those they registered."""
    qs = ServiceRequest.objects.all()
    if actor is None or not getattr(actor, "is_authenticated", False) or not actor.is_active:
        return qs.none()
    if is_customer_actor(actor):
        customer_id = customer_id_of(actor)
        if not customer_id:
            return qs.none()
        qs = qs.filter(customer_id=customer_id)
        return qs if contact_sees_all(actor) else qs.filter(created_by=actor)
    if not actor.has_perm("service.view_servicerequest"):
        return qs.none()
    units = visible_unit_ids(actor)
    if units is None or (units and units >= account_selectors.every_unit_id()):
        # Every unit (a head office's whole tree): each request has a unit, so the condition would hold
        # for every row and only make the plans test a list of ~300 units on each.
        return qs
    return qs.filter(Q(org_unit_id__in=units) | own_requests_q(actor))


def own_requests_q(actor: Any) -> Q:
    """What a member of staff sees beyond their units: what they work on or registered themselves,
    wherever a rule sent it (part of `scoped`, and of the dashboard's split of it)."""
    return Q(assignee_id=actor.pk) | Q(created_by_id=actor.pk)


def _scoped_to_team(actor: Any, team_id: int) -> QuerySet[ServiceRequest]:
    """`scoped(actor)` narrowed to one team. When the team lies inside the actor's scope every one of
    its requests is visible, so the scope's `unit IN (…) OR assignee OR registrant` condition is left
    out: it only made the plans worse (PostgreSQL checked a list of 300 units on each of a team's
    rows)."""
    qs = scoped(actor)
    if qs.query.is_empty() or is_customer_actor(actor):
        return qs.filter(org_unit_id=team_id)
    units = visible_unit_ids(actor)
    if units is None or team_id in units:
        return ServiceRequest.objects.filter(org_unit_id=team_id)
    return qs.filter(org_unit_id=team_id)


# A scope of up to this many units counts as narrow for a search (an outlet with its teams), beyond it
# (a region, head office) only explicit filters make it narrow.
NARROW_SCOPE_UNITS = 20


def _has_filters(queue: str, *filters: Any) -> bool:
    """Whether a list has filters besides the actor's scope: a queue other than all, or any filter."""
    return queue not in ("", "all") or any(filters)


def _narrowed(actor: Any, queue: str, *filters: Any) -> bool:
    """Whether the other filters may leave few enough rows for a search to check their text one by
    one (then counted to be sure); a broad scope with no filter goes to the full-text index directly
    instead of counting 20,000 rows first."""
    if _has_filters(queue, *filters):
        return True
    units = visible_unit_ids(actor)
    return units is not None and len(units) <= NARROW_SCOPE_UNITS


def request_list(
    *,
    actor: Any,
    queue: str = "all",
    status: str = "",
    type: str = "",  # noqa: A002 (the domain's word)
    urgency: str = "",
    team_id: int | None = None,
    assignee_id: int | None = None,
    customer_id: int | None = None,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
    q: str = "",
    sort: str = "newest",
) -> QuerySet[ServiceRequest]:
    """One query for the page (newest first, index-friendly) plus one count; filters combine."""
    team = actor.org_unit_id if queue == "team" else team_id
    qs = _scoped_to_team(actor, team) if team else scoped(actor)
    if queue == "mine":
        qs = qs.filter(assignee_id=actor.pk, status__in=rules.OPEN)
    elif queue == "team":
        qs = qs.filter(org_unit_id=actor.org_unit_id, status__in=rules.OPEN)
    elif queue == "unassigned":
        qs = qs.filter(assignee__isnull=True, status__in=rules.OPEN)
    elif queue == "waiting":
        qs = qs.filter(status__in=rules.WAITING)
    elif queue == "open":
        qs = qs.filter(status__in=rules.OPEN)
    elif queue == "escalated":
        qs = qs.filter(is_escalated=True, status__in=rules.OPEN)
    elif queue == "done":
        qs = qs.filter(status__in=rules.DONE)
    if status:
        qs = qs.filter(status=status)
    if type:
        qs = qs.filter(type=type)
    if urgency:
        qs = qs.filter(urgency=urgency)
    if team_id:
        qs = qs.filter(org_unit_id=team_id)
    if assignee_id:
        qs = qs.filter(assignee_id=assignee_id)
    if customer_id:
        qs = qs.filter(customer_id=customer_id)
    if since:
        qs = qs.filter(received_at__gte=since)
    if until:
        qs = qs.filter(received_at__lt=until)
    text = q.strip()
    searched = False
    filters = (status, type, urgency, team_id, assignee_id, customer_id, since, until)
    if text:
        number = rules.number_in_query(text)
        digits = "" if number else customer_rules.phone_digits(text)
        callers = _phone_customers(digits)
        if number:
            qs = qs.filter(number=number)
        elif callers:
            # A phone number or part of one (leading or last digits, 尾号): the requests of the customers
            # with such a phone, and — for seven digits or more — of any document holding the digits as
            # a word (a number written in a reply). The index keeps digits as one word, so alone it
            # finds whole numbers only.
            by_phone = Q(customer_id__in=callers)
            if len(digits) >= PHONE_WORD_DIGITS:
                # Read first: joined by OR to the phones, PostgreSQL planned the index's answer badly (0.5 s).
                words = ServiceRequest.objects.filter(search.matching(digits)).values_list("pk", flat=True)
                by_phone |= Q(pk__in=list(words[:PHONE_WORD_MATCHES_MAX]))
            qs = qs.filter(by_phone)
        elif _narrowed(actor, queue, *filters) and search.few_enough_to_filter_first(
            qs, key=(getattr(actor, "pk", None), queue, *filters)
        ):
            # When the filters leave few rows, check those rows' text instead of walking every match:
            # SQLite's planner does not weigh the full-text index against the others, and PostgreSQL's
            # phrase check reads each row's stored tsvector (1.3 s for a team's 6,000 closed requests).
            qs = search.restrict_filter_first(qs, text)
        else:
            qs, searched = search.restrict(qs, text, filtered=_has_filters(queue, *filters))
    qs = qs.select_related("customer", "assignee", "org_unit", "unit", "product_model")
    return request_sorted(qs, sort, searched=searched)


SORTS = ("received", "newest", "urgency", "promised", "due")
# A search of this many digits or more is taken for (part of) a phone number when some customer has
# such a phone, and as a word of the documents too from PHONE_WORD_DIGITS on; a part of a number that
# more than PHONE_CUSTOMERS_MAX customers' phones share is searched as a word only.
PHONE_QUERY_DIGITS = 4
PHONE_WORD_DIGITS = 7
PHONE_CUSTOMERS_MAX = 500
PHONE_WORD_MATCHES_MAX = 1_000


def _phone_customers(digits: str) -> list[int]:
    """The customers whose phone starts or ends with `digits` (none when more than PHONE_CUSTOMERS_MAX
    do, or for fewer than PHONE_QUERY_DIGITS digits)."""
    if len(digits) < PHONE_QUERY_DIGITS:
        return []
    found = customer_selectors.customer_ids_by_phone(digits).values_list("customer_id", flat=True)
    ids = list(dict.fromkeys(found[: PHONE_CUSTOMERS_MAX + 1]))
    return ids if len(ids) <= PHONE_CUSTOMERS_MAX else []


def request_sorted(qs: QuerySet[ServiceRequest], sort: str, *, searched: bool = False) -> QuerySet[ServiceRequest]:
    """The orders of the queues: newest first (by id: ids follow the time received, index-only; a
    search by the full-text index's key), most urgent first, promised time or time limit soonest first
    (no limit last)."""
    if searched and sort in ("newest", ""):
        return qs.order_by().extra(order_by=[search.newest_first()])  # noqa: S610 (a fixed column name)
    if sort == "urgency":
        rank = Case(
            When(urgency="critical", then=0), When(urgency="urgent", then=1), default=2, output_field=IntegerField()
        )
        return qs.annotate(urgency_rank=rank).order_by("urgency_rank", "-received_at", "-id")
    if sort == "promised":
        return qs.order_by(F("promised_at").asc(nulls_last=True), "-id")
    if sort == "due":
        return qs.order_by(F("sla_due_at").asc(nulls_last=True), "-id")
    if sort == "received":
        return qs.order_by("-received_at", "-id")
    return qs.order_by("-id")


# The request page's and every action's read of one request: compiled once (core.prepared), then checked
# against the actor's scope in Python (policies.can_see, the same rule as `scoped`).
_request_by_pk: Prepared[ServiceRequest] = Prepared(
    lambda pk: (
        ServiceRequest.objects.select_related(
            "customer__org_unit",
            "assignee",
            "org_unit",
            "unit__product_model__warranty_policy",  # the page's warranty answer needs the policy
            "product_model",
            "fault_category",
            "created_by",
        )
        .filter(pk=pk)
        .order_by("pk")[:1]
    )
)


def request_get(*, actor: Any, request_id: int) -> ServiceRequest:
    """The request with what its page shows beside it, if the actor may see it; NotFound otherwise (a
    request outside the scope is reported as missing)."""
    request = _request_by_pk.first(pk=request_id)
    if request is None or not can_see(actor, request):
        raise NotFound()
    return request


def request_get_by_number(*, actor: Any, number: str) -> ServiceRequest:
    request = scoped(actor).filter(number=number.strip().upper()).first()
    if request is None:
        raise NotFound()
    return request


def _entries(*, public: bool) -> Prepared[TimelineEntry]:
    return Prepared(
        lambda request_id: (
            TimelineEntry.objects.filter(request_id=request_id, **({"is_public": True} if public else {}))
            .select_related("author")
            .order_by("id")
        )
    )


def _entry_files(*, public: bool) -> Prepared[Attachment]:
    return Prepared(
        lambda request_id: Attachment.objects.filter(
            request_id=request_id, entry__isnull=False, **({"is_public": True} if public else {})
        ).order_by("id")
    )


# The request page's timeline, compiled once (core.prepared): staff's and a customer's (public only).
_timeline_reads = {public: (_entries(public=public), _entry_files(public=public)) for public in (False, True)}


def timeline(*, actor: Any, request: ServiceRequest) -> list[TimelineEntry]:
    """The request's timeline in order, each entry's files (oldest first) as `entry.files`; customers
    see only the public entries and files. Two prepared reads, the files by request: through
    `prefetch_related` the ORM took 1.8 ms of the request page's ~15 to build the same two statements."""
    entries_read, files_read = _timeline_reads[is_customer_actor(actor)]
    entries = entries_read.all(request_id=request.pk)
    by_entry: dict[int, list[Attachment]] = {}
    for attachment in files_read.all(request_id=request.pk):
        by_entry.setdefault(attachment.entry_id, []).append(attachment)  # type: ignore[arg-type]
    for entry in entries:
        entry.files = by_entry.get(entry.pk, [])  # type: ignore[attr-defined]
    return entries


def entry_files(entry: TimelineEntry) -> list[Attachment]:
    """An entry's files: as `timeline` read them, or (an entry from elsewhere, just written) read now."""
    files = getattr(entry, "files", None)
    return files if files is not None else list(entry.attachments.order_by("id"))


def incomplete_requests(*, actor: Any, limit: int = 500) -> list[tuple[ServiceRequest, list[str]]]:
    """Requests lacking the fields their type and state require (feeds the record-completeness KPI)."""
    result = []
    for request in scoped(actor).exclude(status="cancelled").order_by("-id")[:limit]:
        values = {
            "customer": request.customer_id,
            "title": request.title,
            "channel": request.channel,
            "received_at": request.received_at,
            "urgency": request.urgency,
            "unit": request.unit_id,
            "product_model": request.product_model_id,
            "fault_category": request.fault_category_id,
            "promised_at": request.promised_at,
            "resolution": request.resolution,
        }
        missing = rules.missing_fields(type=request.type, status=request.status, values=values)
        if missing:
            result.append((request, missing))
    return result


def fault_categories(*, product_line_id: int | None = None) -> QuerySet[FaultCategory]:
    """Active fault categories (company-wide reference data), parents before children."""
    qs = FaultCategory.objects.filter(is_active=True)
    if product_line_id:
        qs = qs.filter(product_line_id=product_line_id)
    return qs.order_by("product_line_id", "parent_id", "code")


# --- reads for the workbench pages ------------------------------------------------------------


def overdue_q(now: dt.datetime) -> Q:
    """Open requests past a time limit (a running SLA timer, or the time promised to the customer).
    Reads the soonest limit copied onto the request (service.timers.request_due_sync)."""
    return Q(status__in=rules.OPEN) & (Q(promised_at__lt=now) | Q(sla_due_at__lt=now))


def at_risk_q(now: dt.datetime) -> Q:
    """Open requests with a time limit past its warning share but not yet due (the "at risk" queue)."""
    return Q(status__in=rules.OPEN) & Q(sla_warn_at__lte=now) & ~overdue_q(now)


# The archive queues: they grow for years and show no count on their tab (the list's own footer gives
# the total, capped, when one is opened). Counting them on every workbench view cost 15 ms on
# PostgreSQL for one outlet agent at 1M requests: a scope is an OR of three indexes, so the count
# visits each of the ~8,500 rows' pages.
UNCOUNTED_QUEUES = ("all", "done")


_BACKLOG_COUNTS_SQL = """
SELECT COUNT(*),
  COUNT(*) FILTER (WHERE assignee_id = %s),
  COUNT(*) FILTER (WHERE org_unit_id = %s),
  COUNT(*) FILTER (WHERE assignee_id IS NULL),
  COUNT(*) FILTER (WHERE status IN ({waiting})),
  COUNT(*) FILTER (WHERE is_escalated),
  COUNT(*) FILTER (WHERE promised_at < %s OR sla_due_at < %s),
  COUNT(*) FILTER (WHERE sla_warn_at <= %s
    AND NOT (COALESCE(promised_at < %s, FALSE) OR COALESCE(sla_due_at < %s, FALSE)))
FROM ({backlog}) AS backlog
"""
_BACKLOG_NAMES = ("open", "mine", "team", "unassigned", "waiting", "escalated", "overdue", "at_risk")


def queue_counts(*, actor: Any, now: dt.datetime | None = None) -> dict[str, int | None]:
    """How many requests each queue of the workbench holds (with "overdue" and "at risk", as
    `overdue_q` and `at_risk_q` select them): filtered counts over the actor's open requests in one
    statement; the archive queues ("all", "done") are not counted (None).

    The backlog itself is the ORM's (`scoped()` and the open states, so the scope rule stays in one
    place); the counts around it are plain SQL: as eight filtered `Count`s the ORM spent 4 ms of the
    workbench's time compiling a statement that runs in 0.4 ms."""
    now = now or timezone.now()
    visible = scoped(actor)
    values: tuple[Any, ...] = (0,) * len(_BACKLOG_NAMES)
    if not visible.query.is_empty():
        backlog, params = (
            visible.filter(status__in=rules.OPEN)
            .order_by()
            .values_list(
                "assignee_id", "org_unit_id", "status", "is_escalated", "promised_at", "sla_due_at", "sla_warn_at"
            )
            .query.sql_with_params()
        )
        at = connection.ops.adapt_datetimefield_value(now)
        waiting = sorted(rules.WAITING)
        sql = _BACKLOG_COUNTS_SQL.format(waiting=", ".join(["%s"] * len(waiting)), backlog=backlog)
        bound = [actor.pk, getattr(actor, "org_unit_id", None), *waiting, at, at, at, at, at, *params]
        with connection.cursor() as cursor:
            cursor.execute(sql, bound)
            values = cursor.fetchone() or (0,) * len(_BACKLOG_NAMES)
    result: dict[str, int | None] = {name: int(n or 0) for name, n in zip(_BACKLOG_NAMES, values, strict=True)}
    result.update(dict.fromkeys(UNCOUNTED_QUEUES))
    return {
        name: result[name]
        for name in ("all", "mine", "team", "unassigned", "waiting", "open", "escalated", "done", "overdue", "at_risk")
    }


def assignable_staff(*, actor: Any) -> QuerySet[User]:
    """Active staff of the actor's units who may work on requests (the people a request can go to)."""
    qs = scope_by_unit(User.objects.filter(kind=UserKind.STAFF, is_active=True), actor, field="org_unit")
    may_work = Q(
        groups__permissions__codename="change_servicerequest",
        groups__permissions__content_type__app_label="service",
    ) | Q(is_superuser=True)
    ids = qs.filter(may_work).values("pk")
    return User.objects.filter(pk__in=ids).select_related("org_unit").order_by("org_unit__path", "full_name", "pk")


def request_teams(*, actor: Any) -> QuerySet[OrgUnit]:
    """Active org units the actor may see: where a request can be owned or escalated to."""
    return scope_by_unit(OrgUnit.objects.filter(is_active=True), actor, field="id").order_by("path")


def _scope_key(actor: Any) -> str:
    """The actor's visible units as a cache key: people with the same scope share one copy (a head
    office's thousand staff are held once, not once per head-office user)."""
    if not getattr(actor, "is_authenticated", False) or not actor.is_active:
        return "none"
    units = visible_unit_ids(actor)
    if units is None:
        return "all"
    return hashlib.blake2b(",".join(map(str, sorted(units))).encode(), digest_size=16).hexdigest()


def team_choices(*, actor: Any) -> tuple[OrgUnit, ...]:
    """`request_teams`, held per process and scope until the org tree or a scope changes
    (core.config_cache): the workbench and every request page offer them; callers must not change the
    records."""
    return config_cache.cached(f"service:teams:{_scope_key(actor)}", lambda: tuple(request_teams(actor=actor)))


def staff_choices(*, actor: Any) -> tuple[User, ...]:
    """`assignable_staff` (with their units), held like `team_choices`: people, their units, roles and
    role permissions are all watched configuration."""
    return config_cache.cached(f"service:staff:{_scope_key(actor)}", lambda: tuple(assignable_staff(actor=actor)))


# The request page's reads of a request's own rows, compiled once (core.prepared).
_intake_files: Prepared[Attachment] = Prepared(
    lambda request_id: Attachment.objects.filter(request_id=request_id, entry__isnull=True).order_by("id")
)
_public_intake_files: Prepared[Attachment] = Prepared(
    lambda request_id: Attachment.objects.filter(request_id=request_id, entry__isnull=True, is_public=True).order_by(
        "id"
    )
)
_timers_of: Prepared[RequestTimer] = Prepared(
    lambda request_id: RequestTimer.objects.filter(request_id=request_id).order_by("met_at", "due_at")
)


def request_attachments_without_entry(*, actor: Any, request: ServiceRequest) -> list[Attachment]:
    """Files that came with the request itself (intake), not with a timeline entry."""
    files = _public_intake_files if is_customer_actor(actor) else _intake_files
    return files.all(request_id=request.pk)


def request_timers(*, request: ServiceRequest) -> list[RequestTimer]:
    """The time limits of a request (already scoped through the request), soonest due first."""
    return _timers_of.all(request_id=request.pk)


GROUPS = ("team", "assignee", "type", "month")


def timely_resolution(
    *, actor: Any, group_by: str = "team", since: dt.datetime | None = None, until: dt.datetime | None = None
) -> list[dict[str, Any]]:
    """Timely-resolution rate (solved in time / solved) per team, staff, type or month of resolution.

    A request counts when it was resolved in the period and had a resolution time limit; it is timely
    when that limit was met without a breach. One grouped query.
    """
    if group_by not in GROUPS:
        raise ValueError(group_by)
    qs = scoped(actor).filter(resolved_at__isnull=False, resolved_in_time__isnull=False)
    if since:
        qs = qs.filter(resolved_at__gte=since)
    if until:
        qs = qs.filter(resolved_at__lt=until)
    key = {
        "team": "org_unit__name",
        "assignee": "assignee__full_name",
        "type": "type",
        "month": "month",
    }[group_by]
    if group_by == "month":
        qs = qs.annotate(month=TruncMonth("resolved_at", tzinfo=SHANGHAI))
    rows = (
        qs.values(key).annotate(resolved=Count("id"), timely=Count("id", filter=Q(resolved_in_time=True))).order_by(key)
    )
    result = []
    for row in rows:
        label = row[key]
        if group_by == "type":
            label = str(dict(RequestType.choices).get(label, label))
        elif group_by == "month" and label is not None:
            label = label.strftime("%Y-%m")
        result.append(
            {
                "key": str(label or "—"),
                "resolved": row["resolved"],
                "timely": row["timely"],
                "rate": round(row["timely"] / row["resolved"], 4) if row["resolved"] else None,
            }
        )
    return result
