"""API of service requests: /service-requests with queues, search, intake (idempotent), actions, timeline."""

import datetime as dt
from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from ninja import File, Query, Router, Schema
from ninja.files import UploadedFile
from ninja.pagination import paginate

from aftersales.core.errors import field_error
from aftersales.core.pagination import SEARCH_COUNT_CAP, PagePagination, Shaped
from aftersales.service import rules, selectors, services
from aftersales.service.models import ServiceRequest, TimelineEntry
from aftersales.service.schemas import (
    AssignIn,
    CommentIn,
    EntryOut,
    EscalateIn,
    IncompleteOut,
    RateIn,
    Ref,
    RequestDetailOut,
    RequestIn,
    RequestOut,
    RequestUpdateIn,
    TransitionIn,
)

router = Router(tags=["service requests"])

ACTIONS = {
    "register": "register",
    "start": "start",
    "wait-customer": "wait_customer",
    "wait-parts": "wait_parts",
    "resume": "resume",
    "resolve": "resolve",
    "close": "close",
    "reopen": "reopen",
    "cancel": "cancel",
}


def request_out(r: ServiceRequest) -> dict[str, Any]:
    return {
        "id": r.pk,
        "number": r.number,
        "type": r.type,
        "status": r.status,
        "urgency": r.urgency,
        "channel": r.channel,
        "customer": {"id": r.customer_id, "name": r.customer.name},
        "unit_serial": r.unit.serial if r.unit_id and r.unit else None,
        "product_model": r.product_model.code if r.product_model_id and r.product_model else None,
        "title": r.title,
        "org_unit": {"id": r.org_unit_id, "name": r.org_unit.name},
        "assignee": {"id": r.assignee_id, "name": r.assignee.display_name} if r.assignee_id and r.assignee else None,
        "is_escalated": r.is_escalated,
        "warranty_covered": r.warranty_covered,
        "received_at": r.received_at,
        "promised_at": r.promised_at,
        "resolved_at": r.resolved_at,
        "sla_due_at": r.sla_due_at,
        "version": r.version,
    }


def request_detail_out(r: ServiceRequest) -> dict[str, Any]:
    return {
        **request_out(r),
        "description": r.description,
        "contact_name": r.contact_name,
        "contact_phone": r.contact_phone,
        "fault_category_id": r.fault_category_id,
        "promise_note": r.promise_note,
        "resolution": r.resolution,
        "closed_at": r.closed_at,
        "cancel_reason": r.cancel_reason,
        "reopen_count": r.reopen_count,
        "rating": r.rating,
        "rating_comment": r.rating_comment,
        "allowed_actions": [a for a in rules.allowed_actions(r.status) if a != "dispatch"],
    }


def entry_out(e: TimelineEntry) -> dict[str, Any]:
    return {
        "id": e.pk,
        "kind": e.kind,
        "is_public": e.is_public,
        "author": e.author_label,
        "body": e.body,
        "data": e.data,
        "created_at": e.created_at,
        "attachments": [
            {
                "id": a.pk,
                "name": a.original_name,
                "content_type": a.content_type,
                "size": a.size,
                "url": reverse("service:attachment", args=[a.pk]),
            }
            for a in selectors.entry_files(e)
        ],
    }


class RequestFilter(Schema):
    queue: str = "all"
    status: str = ""
    type: str = ""
    urgency: str = ""
    team_id: int | None = None
    assignee_id: int | None = None
    customer_id: int | None = None
    since: dt.datetime | None = None
    until: dt.datetime | None = None
    q: str = ""
    sort: str = "newest"


@router.get(
    "/service-requests",
    response=list[RequestOut],
    summary="Queues and search; sort: newest (default), received, urgency, promised, due (time limit soonest)",
)
@paginate(PagePagination)
def request_list(request: HttpRequest, filters: Query[RequestFilter]) -> Any:
    if filters.queue not in selectors.QUEUES:
        raise field_error("queue", "queue: " + ", ".join(selectors.QUEUES))
    if filters.sort not in selectors.SORTS:
        raise field_error("sort", "sort: " + ", ".join(selectors.SORTS))
    cap = SEARCH_COUNT_CAP if filters.q.strip() else None
    return Shaped(selectors.request_list(actor=request.user, **filters.dict()), request_out, by_id=True, cap=cap)


@router.get("/service-requests/incomplete", response=list[IncompleteOut], summary="Records missing required fields")
def request_incomplete(request: HttpRequest) -> list[dict[str, Any]]:
    return [
        {"id": r.pk, "number": r.number, "status": r.status, "type": r.type, "missing": missing}
        for r, missing in selectors.incomplete_requests(actor=request.user)
    ]


@router.get("/service-requests/{request_id}", response=RequestDetailOut)
def request_detail(request: HttpRequest, request_id: int) -> dict[str, Any]:
    return request_detail_out(selectors.request_get(actor=request.user, request_id=request_id))


@router.post(
    "/service-requests",
    response={201: RequestDetailOut},
    summary="Take in a request; send an Idempotency-Key header so a retry never creates a second one",
)
def request_create(request: HttpRequest, payload: RequestIn) -> dict[str, Any] | RequestDetailOut:
    key = request.headers.get("Idempotency-Key", "").strip()
    if len(key) > 100:
        raise field_error("Idempotency-Key", "at most 100 characters")
    created, new = services.request_create(
        actor=request.user, data=services.RequestData(**payload.dict()), idempotency_key=key
    )
    if not new:  # a replay: read back as stored
        return request_detail_out(selectors.request_get(actor=request.user, request_id=created.pk))
    return request_detail_as_is(request_detail_out(created))


def request_detail_as_is(body: dict[str, Any]) -> RequestDetailOut:
    """The answer of a new request made from its values as they are (ninja then only dumps it):
    validating them again, which ninja does for a dict, took ~4 % of a create, for values made here of
    the declared types already. test_api checks that the JSON is the validated answer's."""
    refs = {
        name: Ref.model_construct(**body[name]) if body[name] else None for name in ("customer", "org_unit", "assignee")
    }
    return RequestDetailOut.model_construct(**{**body, **refs})


@router.put("/service-requests/{request_id}", response=RequestDetailOut, summary="Correct the judgment (send version)")
def request_update(request: HttpRequest, request_id: int, payload: RequestUpdateIn) -> dict[str, Any]:
    sr = selectors.request_get(actor=request.user, request_id=request_id)
    changes = services.RequestChanges(**payload.dict(exclude={"version"}))
    services.request_update(actor=request.user, request=sr, expected_version=payload.version, changes=changes)
    return request_detail_out(selectors.request_get(actor=request.user, request_id=request_id))


@router.post(
    "/service-requests/{request_id}/assign", response=RequestDetailOut, summary="Assign to a person and/or team"
)
def request_assign(request: HttpRequest, request_id: int, payload: AssignIn) -> dict[str, Any]:
    sr = selectors.request_get(actor=request.user, request_id=request_id)
    services.request_assign(
        actor=request.user,
        request=sr,
        expected_version=payload.version,
        assignee_id=payload.assignee_id,
        team_id=payload.team_id,
        reason=payload.reason,
    )
    return request_detail_out(selectors.request_get(actor=request.user, request_id=request_id))


@router.post("/service-requests/{request_id}/escalate", response=RequestDetailOut, summary="Escalate (上报)")
def request_escalate(request: HttpRequest, request_id: int, payload: EscalateIn) -> dict[str, Any]:
    sr = selectors.request_get(actor=request.user, request_id=request_id)
    services.request_escalate(actor=request.user, request=sr, **payload.dict())
    return request_detail_out(selectors.request_get(actor=request.user, request_id=request_id))


@router.post("/service-requests/{request_id}/rate", response=RequestDetailOut, summary="The customer's rating (1-5)")
def request_rate(request: HttpRequest, request_id: int, payload: RateIn) -> dict[str, Any]:
    sr = selectors.request_get(actor=request.user, request_id=request_id)
    services.request_rate(actor=request.user, request=sr, rating=payload.rating, comment=payload.comment)
    return request_detail_out(selectors.request_get(actor=request.user, request_id=request_id))


@router.get("/service-requests/{request_id}/timeline", response=list[EntryOut])
def request_timeline(request: HttpRequest, request_id: int) -> list[dict[str, Any]]:
    sr = selectors.request_get(actor=request.user, request_id=request_id)
    return [entry_out(e) for e in selectors.timeline(actor=request.user, request=sr)]


@router.post("/service-requests/{request_id}/comments", response={201: EntryOut}, summary="A reply or an internal note")
def request_comment(request: HttpRequest, request_id: int, payload: CommentIn) -> dict[str, Any]:
    sr = selectors.request_get(actor=request.user, request_id=request_id)
    entry = services.request_comment(actor=request.user, request=sr, body=payload.body, public=payload.public)
    return entry_out(entry)


@router.post("/service-requests/{request_id}/attachments", response={201: EntryOut}, summary="Attach a file (≤ 10 MB)")
def request_attach(
    request: HttpRequest, request_id: int, file: File[UploadedFile], body: str = "", public: bool = True
) -> dict[str, Any]:
    sr = selectors.request_get(actor=request.user, request_id=request_id)
    entry = services.request_comment(actor=request.user, request=sr, body=body, public=public, attachments=(file,))
    return entry_out(entry)


def _action_endpoint(path: str, action: str) -> None:
    def endpoint(request: HttpRequest, request_id: int, payload: TransitionIn) -> dict[str, Any]:
        sr = selectors.request_get(actor=request.user, request_id=request_id)
        services.request_transition(
            actor=request.user,
            request=sr,
            action=action,
            expected_version=payload.version,
            reason=payload.reason,
            resolution=payload.resolution,
        )
        return request_detail_out(selectors.request_get(actor=request.user, request_id=request_id))

    endpoint.__name__ = f"request_{action}"
    router.post(f"/service-requests/{{request_id}}/{path}", response=RequestDetailOut, summary=f"Action: {path}")(
        endpoint
    )


for _path, _action in ACTIONS.items():
    _action_endpoint(_path, _action)


class FaultCategoryOut(Schema):
    id: int
    code: str
    name: str
    product_line_id: int
    parent_id: int | None


@router.get("/fault-categories", response=list[FaultCategoryOut], summary="The fault tree of a product line")
def fault_category_list(request: HttpRequest, product_line_id: int | None = None) -> Any:
    return list(selectors.fault_categories(product_line_id=product_line_id))


class TimelyRow(Schema):
    key: str
    resolved: int
    timely: int
    rate: float | None


@router.get(
    "/reports/timely-resolution",
    response=list[TimelyRow],
    summary="Timely-resolution rate by team, assignee, type or month (resolved in time / resolved)",
)
def report_timely_resolution(
    request: HttpRequest, group_by: str = "team", since: dt.datetime | None = None, until: dt.datetime | None = None
) -> list[dict[str, Any]]:
    if group_by not in selectors.GROUPS:
        raise field_error("group_by", "group_by: " + ", ".join(selectors.GROUPS))
    return selectors.timely_resolution(actor=request.user, group_by=group_by, since=since, until=until)
