"""Portal test fixtures: two customers with portal accounts, a unit each, staff of outlet A and B."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone
from tests import factories

from aftersales.accounts.models import User, UserKind
from aftersales.customers.models import Customer
from aftersales.service import services
from aftersales.service.models import ServiceRequest

# The smallest valid PNG: 1×1 pixel.
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010802000000907753de"
    "0000000c49444154789c6350c83e020001fe01509a34f61f0000000049454e44ae426082"
)


def png(name: str = "photo.png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PNG, content_type="image/png")


def link_portal(customer: Customer, make_user: Any, username: str) -> User:
    user = make_user("customer", None, kind=UserKind.CUSTOMER, username=username, full_name=customer.name)
    Customer.objects.filter(pk=customer.pk).update(portal_user=user)
    return User.objects.get(pk=user.pk)


@pytest.fixture
def world(org: dict[str, Any], make_user: Any) -> dict[str, Any]:
    manager = make_user("manager", org["hq"])
    agent = make_user("agent", org["a"], full_name="王客服")
    agent_b = make_user("agent", org["b"])
    model = factories.product_model(manager)
    chen = factories.customer(agent, org["a"], name="陈先生", phone="13812345678")
    li = factories.customer(agent_b, org["b"], name="李女士", phone="13900001111")
    sold = timezone.localdate() - dt.timedelta(days=30)
    unit = factories.sold_unit(agent, model, chen, org["a"], serial="JS-0001", sale_date=sold)
    unit_b = factories.sold_unit(agent_b, model, li, org["b"], serial="JS-0002", sale_date=sold)
    return {
        "org": org,
        "manager": manager,
        "agent": agent,
        "agent_b": agent_b,
        "model": model,
        "chen": chen,
        "li": li,
        "unit": unit,
        "unit_b": unit_b,
        "portal_chen": link_portal(chen, make_user, "chen"),
        "portal_li": link_portal(li, make_user, "li"),
    }


def client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def staff_request(world: dict[str, Any], customer: Customer, *, title: str = "净水器漏水", **kw: Any) -> ServiceRequest:
    """A request taken by an agent on the phone (registered at once)."""
    agent = world["agent"] if customer.pk == world["chen"].pk else world["agent_b"]
    request, _created = services.request_create(
        actor=agent,
        data=services.RequestData(
            type="repair", customer_id=customer.pk, title=title, channel="phone", auto_assign=False, **kw
        ),
    )
    return request


def resolve(world: dict[str, Any], request: ServiceRequest, resolution: str = "更换了密封圈") -> ServiceRequest:
    request = ServiceRequest.objects.get(pk=request.pk)
    agent = world["agent"] if request.org_unit_id == world["org"]["a"].pk else world["agent_b"]
    return services.request_transition(
        actor=agent, request=request, action="resolve", expected_version=request.version, resolution=resolution
    )
