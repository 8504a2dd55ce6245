"""core.prepared: a queryset compiled once gives what the ORM gives, for every call, or lets the ORM answer."""

from __future__ import annotations

import threading
from contextlib import nullcontext
from typing import Any

import pytest
from django.db import connection
from django.db.models.sql.compiler import SQLCompiler
from django.test.utils import CaptureQueriesContext
from tests import factories

from aftersales.accounts.models import OrgUnit
from aftersales.core.prepared import Prepared, together
from aftersales.customers.models import Customer, CustomerPhone

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(org, make_user) -> dict[str, Any]:
    agent = make_user("agent", org["a"])
    chen = factories.customer(agent, org["a"], name="陈先生", phone="13812345678")
    li = factories.customer(make_user("agent", org["b"]), org["b"], name="李女士", phone="13700000000", addresses=())
    CustomerPhone.objects.create(customer=chen, number="02161234567", kind="landline", is_primary=False)
    return {"org": org, "chen": chen, "li": li}


@pytest.fixture
def compiles(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How many statements the ORM compiled (each evaluation of a queryset compiles one)."""
    seen: list[int] = []
    original = SQLCompiler.as_sql

    def counted(self: SQLCompiler, *args: Any, **kwargs: Any) -> Any:
        seen.append(1)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(SQLCompiler, "as_sql", counted)
    return seen


def customer_with_unit() -> Prepared[Customer]:
    return Prepared(
        lambda pk: Customer.objects.select_related("org_unit").filter(pk=pk, merged_into__isnull=True).order_by("pk")
    )


def same_fields(a: Any, b: Any) -> None:
    assert type(a) is type(b)
    for field in type(a)._meta.concrete_fields:
        assert getattr(a, field.attname) == getattr(b, field.attname), field.name


def test_model_rows_with_select_related_equal_the_orms_for_every_call(people, compiles):
    query = customer_with_unit()
    for customer in (people["chen"], people["li"], people["chen"]):
        got = query.first(pk=customer.pk)
        want = Customer.objects.select_related("org_unit").get(pk=customer.pk)
        same_fields(got, want)
        # The joined unit came with the row, converted as the ORM converts it (aware datetimes, say).
        assert Customer.org_unit.is_cached(got)
        same_fields(got.org_unit, want.org_unit)
        assert got.created_at.tzinfo is not None
        assert got._state.adding is False and got._state.db == "default"


def test_after_the_first_call_nothing_is_compiled_and_one_statement_runs(people, compiles):
    query = customer_with_unit()
    query.first(pk=people["chen"].pk)
    compiles.clear()
    with CaptureQueriesContext(connection) as queries:
        found = query.first(pk=people["li"].pk)
    assert found is not None and found.name == "李女士"
    assert compiles == []
    assert len(queries.captured_queries) == 1


def test_no_row_is_none_and_all_is_empty(people):
    query = customer_with_unit()
    query.first(pk=people["chen"].pk)
    assert query.first(pk=10**9) is None
    assert query.all(pk=10**9) == []


def test_the_statements_constants_stay_as_compiled(people):
    """`merged_into IS NULL` belongs to the statement: a merged customer is not found through it."""
    query = customer_with_unit()
    query.first(pk=people["chen"].pk)
    Customer.objects.filter(pk=people["li"].pk).update(merged_into=people["chen"])
    assert query.first(pk=people["li"].pk) is None


def test_values_list_rows_in_the_querysets_order(people):
    phones = Prepared(
        lambda customer_id: (
            CustomerPhone.objects.filter(customer_id=customer_id)
            .order_by("-is_primary", "id")
            .values_list("number", "kind")
        )
    )
    numbers = Prepared(
        lambda customer_id: (
            CustomerPhone.objects.filter(customer_id=customer_id).order_by("number").values_list("number", flat=True)
        )
    )
    for customer in (people["chen"], people["li"]):
        want = list(customer.phones.order_by("-is_primary", "id").values_list("number", "kind"))
        assert phones.all(customer_id=customer.pk) == want
        assert numbers.all(customer_id=customer.pk) == sorted(n for n, _kind in want)
    assert phones.all(customer_id=people["chen"].pk) == [("13812345678", "mobile"), ("02161234567", "landline")]


def test_a_value_equal_to_a_constant_cannot_be_located_so_the_orm_answers(people, compiles):
    """The first value is 'mobile', and so is a constant of the statement: no slot can be told apart."""
    query = Prepared(
        lambda kind: CustomerPhone.objects.filter(kind="mobile").filter(kind=kind).values_list("number", flat=True)
    )
    for _ in range(2):
        compiles.clear()
        assert sorted(query.all(kind="mobile")) == ["13700000000", "13812345678"]
        assert compiles  # compiled every time: nothing was kept
    # Another first value can be located; from then on the statement is reused, and stays right.
    assert query.all(kind="landline") == []
    compiles.clear()
    assert sorted(query.all(kind="mobile")) == ["13700000000", "13812345678"]
    assert compiles == []


def test_a_value_of_another_type_goes_through_the_orm(people, compiles):
    query = customer_with_unit()
    query.first(pk=people["chen"].pk)
    compiles.clear()
    found = query.first(pk=str(people["li"].pk))
    assert found is not None and found.pk == people["li"].pk
    assert compiles  # the ORM compiled it: a string might have meant something else


def test_none_is_never_a_slot(people):
    """`filter(x=None)` compiles to IS NULL, not to a parameter: such a call is the ORM's, every time."""
    query = Prepared(lambda merged: Customer.objects.filter(merged_into=merged).values_list("name", flat=True))
    assert sorted(query.all(merged=None)) == ["李女士", "陈先生"]
    assert query.all(merged=people["chen"].pk) == []
    assert sorted(query.all(merged=None)) == ["李女士", "陈先生"]


def test_the_values_must_be_the_ones_compiled(people):
    query = customer_with_unit()
    query.first(pk=people["chen"].pk)
    with pytest.raises(TypeError):
        query.first(pk=people["chen"].pk, name="x")


def test_querysets_it_cannot_rebuild_are_refused(people):
    with pytest.raises(ValueError, match="prefetch_related"):
        Prepared(lambda pk: Customer.objects.prefetch_related("phones").filter(pk=pk)).all(pk=people["chen"].pk)
    with pytest.raises(ValueError, match="related manager"):
        Prepared(lambda pk: people["chen"].phones.filter(pk=pk)).all(pk=1)
    with pytest.raises(ValueError, match="ValuesIterable"):
        Prepared(lambda pk: Customer.objects.filter(pk=pk).values("name")).all(pk=people["chen"].pk)


def test_an_empty_in_is_answered_by_the_orm(people):
    query = Prepared(lambda pk: OrgUnit.objects.filter(pk=pk, code__in=[]))
    assert query.all(pk=people["org"]["a"].pk) == []


def test_each_thread_compiles_for_its_own_connection(people):
    """The converters are bound to a connection, and each thread has its own: each compiles its own."""
    query = customer_with_unit()
    assert query.first(pk=people["chen"].pk) is not None
    found: list[Any] = []

    def read() -> None:
        try:
            # The test's rows are not committed: this thread's connection does not see them.
            found.append(query.all(pk=people["chen"].pk))
        finally:
            connection.close()

    thread = threading.Thread(target=read)
    thread.start()
    thread.join()
    assert found == [[]]
    assert query.first(pk=people["chen"].pk) is not None


# --- several reads at once ---------------------------------------------------------------------


def phones_of_customer() -> Prepared[tuple[str, str]]:
    return Prepared(
        lambda customer_id: (
            CustomerPhone.objects.filter(customer_id=customer_id)
            .order_by("-is_primary", "id")
            .values_list("number", "kind")
        )
    )


@pytest.fixture
def pipelines(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How many times psycopg's pipeline mode was entered (PostgreSQL only; SQLite has none)."""
    entered: list[int] = []
    if connection.vendor != "postgresql":
        return entered
    connection.ensure_connection()
    raw = type(connection.connection)
    original = raw.pipeline

    def counted(self: Any) -> Any:
        entered.append(1)
        return original(self)

    monkeypatch.setattr(raw, "pipeline", counted)
    return entered


@pytest.mark.parametrize("in_transaction", [False, True])
def test_reads_together_give_what_each_gives_alone(people, pipelines, in_transaction):
    from django.db import transaction

    customers, phones = customer_with_unit(), phones_of_customer()
    chen, li = people["chen"], people["li"]
    alone = [customers.all(pk=chen.pk), phones.all(customer_id=chen.pk), phones.all(customer_id=li.pk)]
    with transaction.atomic() if in_transaction else nullcontext(), CaptureQueriesContext(connection) as queries:
        found = together(
            (customers, {"pk": chen.pk}), (phones, {"customer_id": chen.pk}), (phones, {"customer_id": li.pk})
        )
    assert len(queries) == 3  # each statement counted as before
    assert [len(rows) for rows in found] == [1, 2, 1]
    same_fields(found[0][0], alone[0][0])
    assert found[0][0].org_unit.name == alone[0][0].org_unit.name  # select_related populated
    assert found[1:] == alone[1:]
    assert pipelines == ([1] if connection.vendor == "postgresql" else [])


def test_a_read_the_orm_must_answer_makes_them_go_one_by_one(people, pipelines):
    customers, phones = customer_with_unit(), phones_of_customer()
    chen = people["chen"]
    customers.all(pk=chen.pk)  # compiled for an int key: a str one falls back to the ORM
    found = together((customers, {"pk": str(chen.pk)}), (phones, {"customer_id": chen.pk}), (customers, {"pk": 0}))
    assert [c.pk for c in found[0]] == [chen.pk] and len(found[1]) == 2 and found[2] == []
    assert pipelines == []


def test_reads_of_two_databases_are_refused():
    with pytest.raises(ValueError, match="one database"):
        together(
            (customer_with_unit(), {"pk": 1}),
            (Prepared(lambda pk: Customer.objects.filter(pk=pk), using="x"), {"pk": 1}),
        )
