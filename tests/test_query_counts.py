"""Query-count guards for every list of the API and every list page of the UI.

Each list is requested with a few rows and with a full page of rows (and, for a user of one outlet, once
more after another outlet got a full page of rows, which the user must not see). The number of SQL
queries must be the same each time (no N+1 on a relation that is not select_related/prefetched) and at
most a little more than the case's recorded count (no constant pile of extra queries either). Rows carry
their relations (owner, assignee, unit, tags, roles …), so a relation that is read per row shows up.

The guard is complete by construction: `test_every_api_list_is_guarded` reads the GET operations of the
ninja API and `test_every_ui_list_page_is_guarded` reads the URL patterns whose views paginate and the
menu; a list that the tables below do not cover fails the suite until it gets a case (or an explicit,
explained exclusion).
"""

from __future__ import annotations

import datetime as dt
import dis
import functools
import inspect
import re
import types
import typing
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import pytest
from django.core.paginator import Page, Paginator
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone
from django.views.generic.list import MultipleObjectMixin

from aftersales.accounts import services as accounts
from aftersales.accounts.models import OrgUnit, User, UserKind
from aftersales.catalog import services as catalog
from aftersales.customers import services as customers
from aftersales.customers.models import Customer
from aftersales.exchange.models import ImportJob, ImportKind
from aftersales.sales import services as sales
from aftersales.service import services as service
from aftersales.service.models import FaultCategory, ServiceRequest
from aftersales.web.navigation import MENU
from tests import factories

FEW = 2  # rows present at the first request
MANY = 25  # rows present at the second: a full UI page (PAGE_SIZE 25); the API is asked for 100 a page
API_PAGE_SIZE = 100
# A case may take this many queries more than it took when written (a new permission check, say);
# a regression that adds a constant pile of queries fails even when the count does not grow with rows.
HEADROOM = 3


# --- the world every case starts from ----------------------------------------------------------


@dataclass
class World:
    """An org tree with a head-office administrator, staff of outlets A and B, a customer and a unit
    in each outlet, and a portal account for the customer of A. Rows are made through the services."""

    org: dict[str, OrgUnit]
    admin: User
    agent: dict[str, User]
    tech: dict[str, User]
    supervisor: User  # of outlet A: reads the audit trail of A's records
    customer: dict[str, Customer]
    unit: dict[str, Any]
    portal: User
    model: Any
    params: dict[str, Any] = field(default_factory=dict)  # path parameters a row builder provides
    counter: Iterator[int] = field(default_factory=lambda: iter(range(1, 100_000)))

    def seq(self) -> int:
        return next(self.counter)

    def outlet(self, unit: OrgUnit) -> str:
        return "a" if unit.pk == self.org["a"].pk else "b"


@pytest.fixture
def world(org: dict[str, OrgUnit], make_user: Callable[..., User]) -> World:
    admin = make_user("admin", org["hq"], full_name="总部管理员")
    agent = {k: make_user("agent", org[k], full_name=f"客服{k}") for k in ("a", "b")}
    tech = {k: make_user("technician", org[k], full_name=f"师傅{k}") for k in ("a", "b")}
    supervisor = make_user("supervisor", org["a"], full_name="主管a")
    model = factories.product_model(admin)
    customer = {
        k: factories.customer(admin, org[k], name=f"基础客户{k}", phone=f"1380000000{i}", tags=("基础",))
        for i, k in enumerate(("a", "b"))
    }
    unit = {k: factories.sold_unit(admin, model, customer[k], org[k], serial=f"BASE-{k.upper()}") for k in ("a", "b")}
    portal = make_user("customer", None, kind=UserKind.CUSTOMER, username="portal_a", full_name="基础客户a")
    Customer.objects.filter(pk=customer["a"].pk).update(portal_user=portal)
    return World(
        org=org,
        admin=admin,
        agent=agent,
        tech=tech,
        supervisor=supervisor,
        customer=customer,
        unit=unit,
        portal=User.objects.get(pk=portal.pk),
        model=model,
    )


# --- row builders: n more rows of a list, in an org unit where rows have one ---------------------

Rows = Callable[[World, int, OrgUnit], None]


def customer_rows(w: World, n: int, unit: OrgUnit) -> None:
    owner = w.agent[w.outlet(unit)]
    for _ in range(n):
        i = w.seq()
        factories.customer(
            w.admin,
            unit,
            name=f"客户{i}",
            phone=f"139{i:08d}",
            tags=(f"标签{i}", "批量"),
            tier="C",
            owner_id=owner.pk,
            contacts=(customers.ContactData(f"联系人{i}", phone=f"137{i:08d}"),),
        )


def sold_unit_rows(w: World, n: int, unit: OrgUnit) -> None:
    owner = w.customer[w.outlet(unit)]
    for _ in range(n):
        factories.sold_unit(w.admin, w.model, owner, unit, serial=f"SN{w.seq():06d}")


def _requests(w: World, n: int, unit: OrgUnit, *, assign: bool) -> list[ServiceRequest]:
    k = w.outlet(unit)
    made = []
    for _ in range(n):
        sr, _created = service.request_create(
            actor=w.admin,
            data=service.RequestData(
                type="repair",
                customer_id=w.customer[k].pk,
                title=f"净水器漏水{w.seq()}",
                channel="phone",
                unit_id=w.unit[k].pk,
                auto_assign=False,
            ),
        )
        if assign:
            sr = service.request_assign(
                actor=w.admin, request=sr, expected_version=sr.version, assignee_id=w.tech[k].pk
            )
        made.append(sr)
    return made


def request_rows(w: World, n: int, unit: OrgUnit) -> None:
    """Registered repair requests with a unit and a product model (incomplete: no fault category, no
    promised time); outlet A's are assigned too. Outlet B's rows only have to exist (no scoped user sees
    them), so they skip the assignment, which is a third of the cost of a request."""
    _requests(w, n, unit, assign=unit.pk == w.org["a"].pk)


def resolved_month_rows(w: World, n: int, unit: OrgUnit) -> None:
    """One resolved request per month, for the timely-resolution report grouped by month. The report reads
    only `resolved_at` and `resolved_in_time`; they are stamped on requests made by the service, because
    walking each one through an SLA policy to its resolution would test the timers, not this query count.
    (Requests 31 days apart never share a calendar month.)"""
    for request in _requests(w, n, unit, assign=False):
        month = w.seq()
        resolved = timezone.now() - dt.timedelta(days=31 * month)
        ServiceRequest.objects.filter(pk=request.pk).update(resolved_at=resolved, resolved_in_time=month % 2 == 0)


def timeline_rows(w: World, n: int, unit: OrgUnit) -> None:
    """Entries on the timeline of one request (made on first use; its id is the path parameter)."""
    if "request_id" not in w.params:
        request_rows(w, 1, unit)
        w.params["request_id"] = ServiceRequest.objects.latest("pk").pk
    sr = ServiceRequest.objects.get(pk=w.params["request_id"])
    for _ in range(n):
        i = w.seq()
        service.request_comment(actor=w.admin, request=sr, body=f"第{i}次回复", public=i % 2 == 0)


def order_rows(w: World, n: int, unit: OrgUnit) -> None:
    k = w.outlet(unit)
    for _ in range(n):
        sales.order_create(
            actor=w.admin,
            customer_id=w.customer[k].pk,
            org_unit_id=unit.pk,
            order_date=dt.date(2025, 3, 15),
            sales_staff_id=w.agent[k].pk,
            lines=[sales.LineData(w.model.pk, 2, Decimal("1999.00"))],
        )


def contract_rows(w: World, n: int, unit: OrgUnit) -> None:
    k = w.outlet(unit)
    for _ in range(n):
        sales.contract_create(
            actor=w.admin,
            data=sales.ContractData(
                customer_id=w.customer[k].pk,
                org_unit_id=unit.pk,
                starts_on=dt.date(2025, 3, 15),
                ends_on=dt.date(2028, 3, 14),
                unit_ids=(w.unit[k].pk,),
                extended_warranty_months=12,
                price=Decimal("599"),
            ),
        )


def staff_rows(w: World, n: int, unit: OrgUnit) -> None:
    for _ in range(n):
        i = w.seq()
        accounts.user_create(
            actor=w.admin,
            username=f"staff{i}",
            password="Correct-Horse-42",
            full_name=f"员工{i}",
            org_unit=unit,
            roles=["agent", "technician"],
        )


def org_unit_rows(w: World, n: int, unit: OrgUnit) -> None:
    for _ in range(n):
        i = w.seq()
        accounts.org_unit_create(actor=w.admin, name=f"维修{i}组", code=f"T-{i}", kind="team", parent=unit)


def token_rows(w: World, n: int, unit: OrgUnit) -> None:
    """The caller's own tokens (the caller is the administrator)."""
    for _ in range(n):
        accounts.api_token_create(actor=w.admin, name=f"脚本{w.seq()}")


def audit_rows(w: World, n: int, unit: OrgUnit) -> None:
    """Every service write leaves an audit entry: customers leave at least one each, with actor and unit."""
    customer_rows(w, n, unit)


def product_line_rows(w: World, n: int, unit: OrgUnit) -> None:
    for _ in range(n):
        i = w.seq()
        catalog.product_line_create(actor=w.admin, code=f"LINE{i}", name=f"产品线{i}")


def product_model_rows(w: World, n: int, unit: OrgUnit) -> None:
    for _ in range(n):
        factories.product_model(w.admin, code=f"M-{w.seq()}")


def policy_rows(w: World, n: int, unit: OrgUnit) -> None:
    for _ in range(n):
        i = w.seq()
        catalog.warranty_policy_create(
            actor=w.admin, data=catalog.PolicyData(code=f"POL{i}", name=f"保修政策{i}", months=12 + i)
        )


def fee_schedule_rows(w: World, n: int, unit: OrgUnit) -> None:
    """Versions of the fee schedule, every other one regional (the region is shown)."""
    for _ in range(n):
        i = w.seq()
        catalog.fee_schedule_create(
            actor=w.admin,
            name=f"收费标准{i}",
            effective_from=dt.date(2020, 1, 1) + dt.timedelta(days=i),
            region_code="440305" if i % 2 else None,
            labour_items=[catalog.LabourItemData("L01", "更换滤芯", 30, Decimal("50"), w.model.product_line_id)],
            bands=[catalog.BandData(Decimal("0"), Decimal("10"), Decimal("0"))],
        )


def fault_category_rows(w: World, n: int, unit: OrgUnit) -> None:
    """Reference data without a service (as the service tests make it), children under a first root."""
    line = w.model.product_line
    root = FaultCategory.objects.filter(product_line=line, parent=None).first()
    for _ in range(n):
        i = w.seq()
        root = root or FaultCategory.objects.create(product_line=line, code=f"ROOT{i}", name="制冷系统")
        FaultCategory.objects.create(product_line=line, code=f"F{i}", name=f"故障{i}", parent=root)


def import_job_rows(w: World, n: int, unit: OrgUnit) -> None:
    """Jobs as the exchange tests make them (the service would store a file and start the worker)."""
    for _ in range(n):
        ImportJob.objects.create(
            kind=ImportKind.UNITS,
            original_name=f"units{w.seq()}.xlsx",
            file_format="xlsx",
            created_by=w.agent[w.outlet(unit)],
            org_unit=unit,
        )


# --- the tables ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    target: str  # API: the operation's path as the router declares it; UI: the URL name
    rows: Rows
    queries: int  # what the request took when the case was written (SQLite and PostgreSQL agree)
    user: str = "admin"  # "admin" (head office: sees everything), "agent"/"supervisor" (outlet A), "portal"
    query: dict[str, str] = field(default_factory=dict)

    @property
    def id(self) -> str:
        return f"{self.target}[{self.user}]"


# Users of outlet A, and the portal customer of A's customer: their case also adds a full page of rows
# in outlet B (for B's customer), which they must not see.
SCOPED_USERS = frozenset({"agent", "supervisor", "portal"})


# One case per list and user; the number is the query count the request took when the case was written.
API_CASES: tuple[Case, ...] = (
    Case("/audit-entries", audit_rows, 4),
    Case("/audit-entries", audit_rows, 4, user="supervisor"),
    Case("/org-units", org_unit_rows, 4),
    Case("/org-units", org_unit_rows, 4, user="agent"),
    Case("/users", staff_rows, 5),
    Case("/users", staff_rows, 5, user="agent"),
    Case("/tokens", token_rows, 3),
    Case("/customers", customer_rows, 7),
    Case("/customers", customer_rows, 7, user="agent"),
    Case("/product-lines", product_line_rows, 3),
    Case("/warranty-policies", policy_rows, 4),
    Case("/products", product_model_rows, 4),
    Case("/units", sold_unit_rows, 4),
    Case("/units", sold_unit_rows, 4, user="agent"),
    Case("/fee-schedule", fee_schedule_rows, 4),
    Case("/orders", order_rows, 4),
    Case("/orders", order_rows, 4, user="agent"),
    Case("/contracts", contract_rows, 5),
    Case("/contracts", contract_rows, 5, user="agent"),
    Case("/service-requests", request_rows, 5),
    Case("/service-requests", request_rows, 5, user="agent"),
    Case("/service-requests/incomplete", request_rows, 3),
    Case("/service-requests/incomplete", request_rows, 3, user="agent"),
    Case("/service-requests/{request_id}/timeline", timeline_rows, 5),
    Case("/fault-categories", fault_category_rows, 2),
    Case("/reports/timely-resolution", resolved_month_rows, 3, query={"group_by": "month"}),
    Case("/reports/timely-resolution", resolved_month_rows, 3, user="agent", query={"group_by": "month"}),
    Case("/imports", import_job_rows, 4),
    Case("/imports", import_job_rows, 4, user="agent"),
)

# GET operations of the API that are not lists (one record, a computed answer, a file).
API_NOT_LISTS: dict[str, str] = {
    "/ping": "a constant answer for the caller (the cheapest authenticated call)",
    "/me": "the caller",
    "/org-units/{unit_id}": "one record",
    "/users/{user_id}": "one record",
    "/customers/{customer_id}": "one record",
    "/products/{model_id}": "one record",
    "/units/{unit_id}": "one record",
    "/units/{serial}/warranty": "one computed warranty answer",
    "/fee-schedule/quote": "one computed quote",
    "/fee-schedule/{schedule_id}": "one record (its labour items and bands are prefetched)",
    "/orders/{order_id}": "one record (its lines are prefetched)",
    "/contracts/{contract_id}": "one record",
    "/service-requests/{request_id}": "one record",
    "/imports/{job_id}": "one record",
    "/exports/{kind}": "a streamed .xlsx file, not JSON rows",
    "/reports/dashboard": "one object of figures from grouped queries; its lists are bounded by types and states",
}

# GET operations that answer a list but whose rows do not come from the database, so no number of rows
# can make them query more.
API_LISTS_NOT_FROM_THE_DATABASE: dict[str, str] = {
    "/roles": "the roles table in code (accounts.roles.ROLES), no query",
}

UI_CASES: tuple[Case, ...] = (
    Case("web:user_list", staff_rows, 7),
    Case("web:user_list", staff_rows, 7, user="agent"),
    Case("web:orgunit_list", org_unit_rows, 5),
    Case("web:orgunit_list", org_unit_rows, 5, user="agent"),
    Case("web:audit_list", audit_rows, 6),
    Case("web:audit_list", audit_rows, 6, user="supervisor"),
    Case("customers:customer_list", customer_rows, 9),
    Case("customers:customer_list", customer_rows, 9, user="agent"),
    Case("catalog:unit_list", sold_unit_rows, 6),
    Case("catalog:unit_list", sold_unit_rows, 6, user="agent"),
    Case("catalog:model_list", product_model_rows, 6),
    Case("catalog:policy_list", policy_rows, 5),
    Case("catalog:fee_list", fee_schedule_rows, 8),
    Case("sales:order_list", order_rows, 5),
    Case("sales:order_list", order_rows, 5, user="agent"),
    Case("sales:contract_list", contract_rows, 5),
    Case("sales:contract_list", contract_rows, 5, user="agent"),
    Case("service:workbench", request_rows, 7, query={"queue": "all"}),
    Case("service:workbench", request_rows, 7, user="agent", query={"queue": "all"}),
    Case("service:incomplete", request_rows, 7),
    Case("service:incomplete", request_rows, 7, user="agent"),
    Case("service:sla_report", resolved_month_rows, 4, query={"group_by": "month", "days": "all"}),
    Case("service:sla_report", resolved_month_rows, 4, user="agent", query={"group_by": "month", "days": "all"}),
    Case("exchange:job_list", import_job_rows, 5),
    Case("exchange:job_list", import_job_rows, 5, user="agent"),
    Case("portal:home", request_rows, 11, user="portal"),
)

# List pages in the table whose view does not paginate: their rows are a context list instead.
UI_UNPAGINATED_LISTS: dict[str, str] = {
    "service:sla_report": "rows",  # one row per team/assignee/type/month, from one grouped query
}

# Menu items that are not list pages.
MENU_NOT_LISTS: dict[str, str] = {
    "web:home": "the home page: counts and a chart from grouped queries",
    "reports:dashboard": "the manager dashboard: figures from grouped queries (as /reports/dashboard)",
    "service:intake": "the intake form",
}

# URL prefixes that are not the UI's pages: the API (guarded above), Django's admin, language switching.
NOT_UI = ("api/v1/", "admin/", "i18n/")


# --- enumerating the lists ------------------------------------------------------------------------


@dataclass(frozen=True)
class ApiOperation:
    path: str
    paginated: bool
    is_list: bool


@functools.cache
def api_get_operations() -> dict[str, ApiOperation]:
    """Every GET operation of the API, by path, with whether it is paginated or answers a JSON list."""
    from aftersales.api import api

    found: dict[str, ApiOperation] = {}
    for prefix, router in api._routers:
        for route, path_view in router.path_operations.items():
            for operation in path_view.operations:
                if "GET" not in operation.methods:
                    continue
                path = "/" + f"{prefix.strip('/')}/{route.lstrip('/')}".strip("/")
                paginated = bool(getattr(operation.view_func, "_ninja_is_paginated", False))
                response = operation.response_models.get(200)
                annotation = response.model_fields["response"].annotation if response is not None else None
                found[path] = ApiOperation(
                    path, paginated, paginated or typing.get_origin(annotation) in (list, tuple, set)
                )
    return found


def _global_names(code: types.CodeType) -> set[str]:
    """The global names a function's code (with its nested functions and comprehensions) loads; not
    attribute names, so `selectors.customer_list(...)` is not mistaken for the view `customer_list`."""
    names = {i.argval for i in dis.get_instructions(code) if i.opname in ("LOAD_GLOBAL", "LOAD_NAME")}
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            names |= _global_names(const)
    return names


def view_paginates(view: Callable[..., Any], seen: set[Any] | None = None) -> bool:
    """Whether a view (through its decorators and the project's helpers it calls by name) uses Django's
    Paginator, or is a class-based list view."""
    seen = set() if seen is None else seen
    view_class = getattr(view, "view_class", None)
    if view_class is not None:
        return issubclass(view_class, MultipleObjectMixin)
    func = inspect.unwrap(view)
    if func in seen or not isinstance(func, types.FunctionType):
        return False
    seen.add(func)
    for name in _global_names(func.__code__):
        target = func.__globals__.get(name)
        if isinstance(target, type) and issubclass(target, Paginator):
            return True
        if (
            isinstance(target, types.FunctionType)
            and target.__module__.startswith("aftersales.")
            and view_paginates(target, seen)
        ):
            return True
    return False


def ui_url_patterns() -> dict[str, Callable[..., Any]]:
    """Every named URL pattern of the UI (API, admin and i18n left out), by namespaced name."""
    found: dict[str, Callable[..., Any]] = {}

    def walk(patterns: list[Any], prefix: str, namespace: str) -> None:
        for p in patterns:
            route = prefix + str(p.pattern)
            if isinstance(p, URLResolver):
                if route.startswith(NOT_UI):
                    continue
                ns = ":".join(x for x in (namespace, p.namespace) if x)
                walk(p.url_patterns, route, ns)
            elif isinstance(p, URLPattern) and p.name and not route.startswith(NOT_UI):
                found[f"{namespace}:{p.name}" if namespace else p.name] = p.callback

    walk(get_resolver().url_patterns, "", "")
    return found


# --- measuring ---------------------------------------------------------------------------------


def _client(case: Case, w: World, api: bool) -> Client:
    user = {"admin": w.admin, "agent": w.agent["a"], "supervisor": w.supervisor, "portal": w.portal}[case.user]
    if api:
        _token, raw = accounts.api_token_create(actor=user, name="query counts")
        return Client(HTTP_AUTHORIZATION=f"Bearer {raw}")
    client = Client()
    client.force_login(user)
    return client


@dataclass(frozen=True)
class Measured:
    queries: int
    on_page: int  # rows in the response
    total: int  # rows the list holds (all pages)
    per_page: int  # rows a page holds at most
    sql: list[str] = field(repr=False)


def _measure_api(client: Client, case: Case, w: World) -> Measured:
    operation = api_get_operations()[case.target]
    params = dict(case.query)
    if operation.paginated:
        params["page_size"] = str(API_PAGE_SIZE)
    url = "/api/v1" + case.target.format(**w.params)
    client.get(url, params)  # warm: the configuration cache (core.config_cache) loads once per change
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, params)
    assert response.status_code == 200, response.content[:500]
    body = response.json()
    rows = body["items"] if operation.paginated else body
    total = body["count"] if operation.paginated else len(body)
    per_page = API_PAGE_SIZE if operation.paginated else len(rows)
    return Measured(len(ctx.captured_queries), len(rows), total, per_page, [q["sql"] for q in ctx.captured_queries])


def _measure_ui(client: Client, case: Case, w: World) -> Measured:
    client.get(reverse(case.target), case.query)  # warm, as in _measure_api
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(reverse(case.target), case.query)
    assert response.status_code == 200, response.content[:500]
    sql = [q["sql"] for q in ctx.captured_queries]
    if case.target in UI_UNPAGINATED_LISTS:
        rows = response.context[UI_UNPAGINATED_LISTS[case.target]]
        return Measured(len(sql), len(rows), len(rows), len(rows), sql)
    page = response.context["page"]
    assert isinstance(page, Page), f"{case.target} renders no Page as `page`"
    return Measured(len(sql), len(page.object_list), page.paginator.count, page.paginator.per_page, sql)


def _extra_queries(few: Measured, many: Measured) -> str:
    """The statements the second request ran more often than the first (numbers folded), most first."""
    shape = functools.partial(re.sub, r"\b\d+\b", "?")
    extra = Counter(map(shape, many.sql)) - Counter(map(shape, few.sql))
    return "\n".join(f"{n}× {sql[:300]}" for sql, n in extra.most_common(5))


def _same_count(case: Case, before: Measured, after: Measured, what: str) -> None:
    assert after.queries == before.queries, (
        f"{case.id}: {before.queries} queries with {before.on_page} rows, {after.queries} {what}; "
        f"the extra ones:\n{_extra_queries(before, after)}"
    )


def _guard(case: Case, w: World, *, api: bool) -> None:
    measure = _measure_api if api else _measure_ui
    home, away = w.org["a"], w.org["b"]
    case.rows(w, FEW, home)
    client = _client(case, w, api)
    measure(client, case, w)  # warm up: session, content types, the token's last-used time
    few = measure(client, case, w)
    case.rows(w, MANY - FEW, home)
    many = measure(client, case, w)

    # The rows really are on the page (a full page of them the second time).
    assert few.on_page >= FEW and many.total >= MANY, (few.on_page, many.total)
    assert many.on_page == min(many.total, many.per_page), (many.on_page, many.total, many.per_page)
    _same_count(case, few, many, f"with {many.on_page} rows")
    assert many.queries <= case.queries + HEADROOM, (
        f"{case.id}: {many.queries} queries, {case.queries} when the case was written (+{HEADROOM} allowed)"
    )
    if case.user in SCOPED_USERS:
        case.rows(w, MANY, away)  # rows the user may not see must neither show nor cost anything
        outside = measure(client, case, w)
        assert outside.total == many.total, f"{case.id}: rows of outlet B are visible to a user of outlet A"
        _same_count(case, many, outside, f"once outlet B has {MANY} rows too")


def _param(case: Case) -> Any:
    return pytest.param(case, id=case.id)


@pytest.mark.parametrize("case", [_param(c) for c in API_CASES])
def test_api_list_query_count_does_not_grow(case: Case, world: World) -> None:
    _guard(case, world, api=True)


@pytest.mark.parametrize("case", [_param(c) for c in UI_CASES])
def test_ui_list_query_count_does_not_grow(case: Case, world: World) -> None:
    _guard(case, world, api=False)


# --- completeness: a new list cannot come without a guard ---------------------------------------


def test_every_api_list_is_guarded() -> None:
    """Every GET operation is a guarded list, a list whose rows are not in the database, or explicitly not a
    list; a new operation fails here until it is put in one of the three (with a reason for the last two)."""
    operations = api_get_operations()
    lists = {path for path, op in operations.items() if op.is_list}
    covered = {case.target for case in API_CASES}
    unguarded = set(API_LISTS_NOT_FROM_THE_DATABASE)
    assert lists - covered - unguarded == set(), (
        f"API list operations without a query-count case in API_CASES: {sorted(lists - covered - unguarded)}"
    )
    assert covered <= lists, f"API_CASES names operations that are not GET lists: {sorted(covered - lists)}"
    assert unguarded <= lists - covered, (
        f"API_LISTS_NOT_FROM_THE_DATABASE: not (unguarded) lists: {sorted(unguarded - (lists - covered))}"
    )
    not_lists = set(operations) - lists
    assert not_lists - set(API_NOT_LISTS) == set(), (
        f"GET operations that are not lists and not in API_NOT_LISTS: {sorted(not_lists - set(API_NOT_LISTS))} "
        "(add a query-count case if they answer rows after all, else an entry saying what they answer)"
    )
    assert set(API_NOT_LISTS) <= not_lists, (
        f"API_NOT_LISTS entries that are lists or no longer exist: {sorted(set(API_NOT_LISTS) - not_lists)}"
    )


def test_every_ui_list_page_is_guarded() -> None:
    """Every page whose view paginates has a case, and every menu item is a guarded page or explicitly not a
    list; a new list page (or menu item) fails here until it is put in the tables."""
    patterns = ui_url_patterns()
    paginated = {name for name, view in patterns.items() if view_paginates(view)}
    covered = {case.target for case in UI_CASES}
    assert paginated - covered == set(), f"paginated UI pages without a case in UI_CASES: {sorted(paginated - covered)}"
    assert covered <= set(patterns), f"UI_CASES names pages that do not exist: {sorted(covered - set(patterns))}"
    assert covered - paginated == set(UI_UNPAGINATED_LISTS), (
        f"UI_CASES pages that do not paginate: {sorted(covered - paginated)}; "
        f"UI_UNPAGINATED_LISTS: {sorted(UI_UNPAGINATED_LISTS)} (keep the two equal)"
    )
    menu = {item.url_name for section in MENU for item in section.items}
    assert menu - covered - set(MENU_NOT_LISTS) == set(), (
        f"menu items that are neither in UI_CASES nor in MENU_NOT_LISTS: {sorted(menu - covered - set(MENU_NOT_LISTS))}"
    )
    assert set(MENU_NOT_LISTS) <= menu - covered, (
        "MENU_NOT_LISTS entries that are guarded or no longer in the menu: "
        f"{sorted(set(MENU_NOT_LISTS) - (menu - covered))}"
    )


def test_the_page_detector_sees_through_helpers_and_decorators() -> None:
    """`catalog.views.unit_list` paginates through `customers.views.page_of`, under `login_required`."""
    patterns = ui_url_patterns()
    assert view_paginates(patterns["catalog:unit_list"])
    assert not view_paginates(patterns["catalog:unit_detail"])
    assert not view_paginates(patterns["web:home"])
