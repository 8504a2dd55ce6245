"""API schemas of service requests."""

from __future__ import annotations

import datetime as dt
from typing import Any

from ninja import Field, Schema


class RequestIn(Schema):
    type: str
    customer_id: int
    title: str = Field(..., max_length=200)
    channel: str = "api"
    description: str = Field("", max_length=10000)
    urgency: str = "normal"
    unit_id: int | None = None
    product_model_id: int | None = None
    fault_category_id: int | None = None
    contact_name: str = Field("", max_length=100)
    contact_phone: str = Field("", max_length=40)
    org_unit_id: int | None = None
    received_at: dt.datetime | None = None
    promised_at: dt.datetime | None = None
    promise_note: str = Field("", max_length=200)
    register_now: bool = Field(True, description="register at once (agents); false leaves it received")
    resolve_now: bool = Field(False, description="a consultation answered on the spot: registered and resolved at once")
    resolution: str = ""
    auto_assign: bool = True


class RequestUpdateIn(Schema):
    version: int
    type: str
    urgency: str
    title: str = Field(..., max_length=200)
    description: str = Field("", max_length=10000)
    fault_category_id: int | None = None
    unit_id: int | None = None
    product_model_id: int | None = None
    promised_at: dt.datetime | None = None
    promise_note: str = Field("", max_length=200)
    contact_name: str = Field("", max_length=100)
    contact_phone: str = Field("", max_length=40)


class TransitionIn(Schema):
    version: int
    reason: str = Field("", max_length=500)
    resolution: str = Field("", max_length=5000)


class AssignIn(Schema):
    version: int
    assignee_id: int | None = None
    team_id: int | None = None
    reason: str = Field("", max_length=500)


class EscalateIn(Schema):
    found: str = Field(..., max_length=5000)
    done: str = Field(..., max_length=5000)
    to_unit_id: int | None = None
    to_user_id: int | None = None


class CommentIn(Schema):
    body: str = Field(..., max_length=10000)
    public: bool = False


class RateIn(Schema):
    rating: int
    comment: str = Field("", max_length=500)


class Ref(Schema):
    id: int
    name: str


class RequestOut(Schema):
    id: int
    number: str
    type: str
    status: str
    urgency: str
    channel: str
    customer: Ref
    unit_serial: str | None
    product_model: str | None
    title: str
    org_unit: Ref
    assignee: Ref | None
    is_escalated: bool
    warranty_covered: bool | None
    received_at: dt.datetime
    promised_at: dt.datetime | None
    resolved_at: dt.datetime | None
    sla_due_at: dt.datetime | None = Field(None, description="the soonest running time limit")
    version: int


class RequestDetailOut(RequestOut):
    description: str
    contact_name: str
    contact_phone: str
    fault_category_id: int | None
    promise_note: str
    resolution: str
    closed_at: dt.datetime | None
    cancel_reason: str
    reopen_count: int
    rating: int | None
    rating_comment: str
    allowed_actions: list[str]


class AttachmentOut(Schema):
    id: int
    name: str
    content_type: str
    size: int
    url: str


class EntryOut(Schema):
    id: int
    kind: str
    is_public: bool
    author: str
    body: str
    data: dict[str, Any]
    created_at: dt.datetime
    attachments: list[AttachmentOut]


class IncompleteOut(Schema):
    id: int
    number: str
    status: str
    type: str
    missing: list[str]
