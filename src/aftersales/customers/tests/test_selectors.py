"""Customer search: by name, number, full phone, leading digits and the last four digits; scoped."""

from __future__ import annotations

from django.db import connection
from django.test.utils import CaptureQueriesContext
from tests import factories

from aftersales.customers import selectors


def test_search_by_every_key(org, make_user):
    agent = make_user("agent", org["a"])
    zhang = factories.customer(agent, org["a"], name="张三", phone="13812345678")
    li = factories.customer(agent, org["a"], name="李四", phone="13998765432", addresses=())

    def found(q):
        return set(selectors.customer_list(actor=agent, q=q).values_list("name", flat=True))

    assert found("张") == {"张三"}
    assert found("5678") == {"张三"}
    assert found("5432") == {"李四"}
    assert found("1381234") == {"张三"}
    assert found("13998765432") == {"李四"}
    assert found("139-9876-5432") == {"李四"}
    assert found(zhang.code) == {"张三"}
    assert found("0000") == set()
    assert li.pk


def test_customers_of_another_outlet_are_invisible(org, make_user):
    factories.customer(make_user("agent", org["b"]), org["b"], name="乙客户")
    agent_a = make_user("agent", org["a"])
    assert not selectors.customer_list(actor=agent_a, q="乙").exists()
    assert selectors.customer_list(actor=make_user("manager", org["hq"]), q="乙").exists()


def test_list_query_count_is_constant(org, make_user):
    agent = make_user("agent", org["a"])
    for i in range(3):
        factories.customer(agent, org["a"], name=f"客户{i}", phone=f"1381234{i:04d}")

    def run() -> int:
        with CaptureQueriesContext(connection) as ctx:
            for c in selectors.customer_list(actor=agent)[:20]:
                list(c.phones.all()), list(c.addresses.all()), list(c.tags.all())
        return len(ctx.captured_queries)

    few = run()
    for i in range(3, 15):
        factories.customer(agent, org["a"], name=f"客户{i}", phone=f"1381234{i:04d}")
    assert run() == few
