"""Searching requests by part of a phone number (service.selectors.request_list, customers.selectors):
leading or last digits find the requests of customers with such a phone, inside the actor's scope."""

from __future__ import annotations

from typing import Any

import pytest
from tests import factories

from aftersales.customers import rules as customer_rules
from aftersales.customers import selectors as customer_selectors
from aftersales.service import selectors


@pytest.fixture
def world(org, make_user):
    agent = make_user("agent", org["a"])
    agent_b = make_user("agent", org["b"])
    manager = make_user("manager", org["hq"])
    chen = factories.customer(agent, org["a"], name="陈先生", phone="13812346660")
    wang = factories.customer(agent, org["a"], name="王女士", phone="13999990009")
    li = factories.customer(agent_b, org["b"], name="李女士", phone="13812340000", addresses=())
    return {"agent": agent, "agent_b": agent_b, "manager": manager, "chen": chen, "wang": wang, "li": li}


create = factories.service_request


def found(actor: Any, q: str) -> set[int]:
    return set(selectors.request_list(actor=actor, q=q).values_list("pk", flat=True))


def test_whole_leading_and_last_digits_find_the_customers_requests(world):
    chen, wang = create(world["agent"], world["chen"]), create(world["agent"], world["wang"])
    li = create(world["agent_b"], world["li"])
    manager = world["manager"]
    assert found(manager, "13812346660") == {chen.pk}
    assert found(manager, "1381234") == {chen.pk, li.pk}  # leading digits
    assert found(manager, "138-1234") == {chen.pk, li.pk}
    assert found(manager, "6660") == {chen.pk}  # the last four (尾号)
    assert found(manager, "0009") == {wang.pk}
    assert found(manager, "9999") == set()  # in the middle: no phone starts or ends with it
    # The actor's scope still applies: outlet A's agent never sees outlet B's customer.
    assert found(world["agent"], "1381234") == {chen.pk}
    assert found(world["agent_b"], "6660") == set()


def test_a_number_written_in_the_text_is_found_from_seven_digits(world):
    mentioned = create(world["agent"], world["wang"], description="客户另留电话 13812346660")
    chen = create(world["agent"], world["chen"])
    assert found(world["manager"], "13812346660") == {chen.pk, mentioned.pk}


def test_digits_no_phone_has_or_too_many_share_are_searched_as_words(world, monkeypatch):
    year = create(world["agent"], world["wang"], title="2025 款滤芯")
    assert found(world["manager"], "2025") == {year.pk}  # no phone starts or ends with 2025
    chen = create(world["agent"], world["chen"])
    monkeypatch.setattr(selectors, "PHONE_CUSTOMERS_MAX", 1)
    assert found(world["manager"], "1381") == set()  # two customers share it: the word 1381, nowhere
    assert found(world["manager"], "6660") == {chen.pk}
    assert found(world["manager"], "138") == set()  # three digits: a word


@pytest.mark.parametrize(
    ("digits", "expected"),
    [
        ("13812346660", {"chen"}),
        ("1389", set()),
        ("1399", {"wang"}),
        ("139", {"wang"}),
        ("0009", {"wang"}),
        ("9", {"wang"}),
        ("1381234", {"chen", "li"}),
        ("0000", {"li"}),
    ],
)
def test_customers_by_leading_or_last_digits(world, digits, expected):
    ids = set(customer_selectors.customer_ids_by_phone(digits).values_list("customer_id", flat=True))
    assert ids == {world[name].pk for name in expected}


def test_what_a_search_box_holds_as_phone_digits():
    assert customer_rules.phone_digits(" 138-1234 6660 ") == "13812346660"
    assert customer_rules.phone_digits("+86 138 1234 6660") == "13812346660"
    assert customer_rules.phone_digits("12") == ""
    assert customer_rules.phone_digits("漏水 6660") == ""
