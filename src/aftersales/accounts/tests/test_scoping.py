"""Data scoping: a user sees only the rows of their own unit subtree (or all, for head office)."""

from __future__ import annotations

import pytest

from aftersales.accounts import selectors
from aftersales.accounts.models import UserKind
from aftersales.core.errors import NotFound
from aftersales.core.scoping import scope_by_unit


def test_outlet_staff_see_their_subtree_only(org, make_user):
    agent = make_user("agent", org["a"])
    assert selectors.visible_unit_ids(agent) == frozenset({org["a"].pk, org["a1"].pk})


def test_region_staff_see_every_outlet_below(org, make_user):
    supervisor = make_user("supervisor", org["east"])
    assert selectors.visible_unit_ids(supervisor) == frozenset({org["east"].pk, org["a"].pk, org["a1"].pk})


def test_additional_units_widen_the_scope(org, make_user):
    agent = make_user("agent", org["a"])
    agent.additional_units.add(org["b"])
    assert org["b"].pk in selectors.visible_unit_ids(agent)


@pytest.mark.parametrize("role", ["manager", "auditor", "admin"])
def test_head_office_roles_see_everything(org, make_user, role):
    assert selectors.visible_unit_ids(make_user(role, org["hq"])) is None


def test_superuser_sees_everything(org, make_user):
    assert selectors.visible_unit_ids(make_user("", org["a"], superuser=True)) is None


def test_portal_customers_see_no_unit(org, make_user):
    customer = make_user("customer", None, kind=UserKind.CUSTOMER)
    assert selectors.visible_unit_ids(customer) == frozenset()
    assert not selectors.user_list(actor=customer).exists()


def test_anonymous_and_inactive_see_nothing(org, make_user):
    from django.contrib.auth.models import AnonymousUser

    agent = make_user("agent", org["a"], is_active=False)
    assert not selectors.user_list(actor=agent).exists()
    assert not scope_by_unit(selectors.org_unit_list(actor=agent), AnonymousUser()).exists()


def test_user_of_outlet_a_cannot_list_or_get_outlet_b_staff(org, make_user):
    agent_a = make_user("agent", org["a"])
    agent_b = make_user("agent", org["b"])
    listed = set(selectors.user_list(actor=agent_a).values_list("pk", flat=True))
    assert agent_a.pk in listed and agent_b.pk not in listed
    with pytest.raises(NotFound):
        selectors.user_get(actor=agent_a, user_id=agent_b.pk)
    with pytest.raises(NotFound):
        selectors.org_unit_get(actor=agent_a, unit_id=org["b"].pk)


def test_scope_is_computed_once_per_user_object(org, make_user, django_assert_num_queries):
    agent = make_user("agent", org["a"])
    agent = type(agent).objects.get(pk=agent.pk)
    selectors.visible_unit_ids(agent)
    with django_assert_num_queries(0):
        selectors.visible_unit_ids(agent)


def test_head_office_sees_every_unit_that_exists_and_no_other(org, make_user):
    from aftersales.accounts.models import OrgUnit
    from aftersales.accounts.policies import unit_visible

    manager = make_user("manager", org["hq"])
    agent = make_user("agent", org["a"])
    missing = OrgUnit.objects.order_by("-pk").values_list("pk", flat=True).first() + 1000
    assert unit_visible(manager, org["b"].pk) and unit_visible(manager, org["a1"].pk)
    assert not unit_visible(manager, missing) and not unit_visible(manager, -5)
    assert unit_visible(manager, None)  # no unit at all is head office's, as it was
    assert unit_visible(agent, org["a"].pk) and not unit_visible(agent, org["b"].pk)
    assert not unit_visible(agent, missing) and not unit_visible(agent, None)
    # A unit made now exists at once for head office (the id set is renewed with the org tree).
    new = OrgUnit.objects.create(name="新网点", code="NEW1", kind=org["a"].kind, parent=org["east"])
    assert unit_visible(manager, new.pk)
