"""Every write of service requests: intake, each lifecycle move, assignment, escalation, timeline, rating."""

from __future__ import annotations

import datetime as dt
import mimetypes
import uuid
from dataclasses import dataclass, field
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from aftersales.accounts.models import OrgUnit, User
from aftersales.accounts.policies import require_unit
from aftersales.catalog.models import ProductModel, SoldUnit
from aftersales.catalog.selectors import unit_warranty
from aftersales.core import config_cache, events
from aftersales.core.audit import audit_entry, audit_record, audit_record_many, diff, snapshot
from aftersales.core.errors import (
    Conflict,
    FieldError,
    NotFound,
    PermissionDenied,
    StaleVersion,
    ValidationFailed,
    field_error,
)
from aftersales.core.inserts import rows
from aftersales.core.models import AuditAction, AuditEntry
from aftersales.core.pipeline import pipelined
from aftersales.core.prepared import Prepared, together
from aftersales.core.scoping import visible_unit_ids
from aftersales.core.sequences import reserve
from aftersales.core.versioning import save_versioned
from aftersales.customers.models import Customer
from aftersales.customers.rules import normalise_phone
from aftersales.customers.selectors import phones_of
from aftersales.notifications.services import messages_store
from aftersales.notifications.services import templates_for as message_templates_for
from aftersales.service import rules, timers
from aftersales.service.models import (
    AssignmentRule,
    Attachment,
    Channel,
    EntryKind,
    Escalation,
    FaultCategory,
    IdempotencyKey,
    OpenLoad,
    RequestType,
    ServiceRequest,
    StaffAvailability,
    Status,
    TimelineEntry,
    Urgency,
)
from aftersales.service.notifications import NEW_REQUEST_EVENTS, messages_on_create
from aftersales.service.policies import customer_id_of, is_customer_actor, require_see, require_staff_perm
from aftersales.service.search import document_refresh, search_document_new
from aftersales.sla import rules as sla_rules

MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024
ALLOWED_CONTENT_TYPES = {
    "image/jpeg",
    "image/png",
    "image/gif",
    "image/webp",
    "application/pdf",
    "text/plain",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "video/mp4",
}


def _label(actor: Any) -> str:
    if actor is None or not getattr(actor, "pk", None):
        return "系统"
    return getattr(actor, "display_name", "") or actor.get_username()


def _new_entry(
    request: ServiceRequest, kind: str, actor: Any, body: str = "", *, public: bool = False, **data: Any
) -> TimelineEntry:
    return TimelineEntry(
        request=request,
        kind=kind,
        is_public=public,
        author=actor if getattr(actor, "pk", None) else None,
        author_label=_label(actor),
        body=body,
        data=data,
    )


def _entry(
    request: ServiceRequest, kind: str, actor: Any, body: str = "", *, public: bool = False, **data: Any
) -> TimelineEntry:
    entry = _new_entry(request, kind, actor, body, public=public, **data)
    entry.save(force_insert=True)
    return entry


# --- intake -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class RequestData:
    type: str
    customer_id: int
    title: str
    channel: str
    description: str = ""
    urgency: str = Urgency.NORMAL
    unit_id: int | None = None
    product_model_id: int | None = None
    fault_category_id: int | None = None
    contact_name: str = ""
    contact_phone: str = ""
    org_unit_id: int | None = None  # owner team; default: the customer's unit
    received_at: dt.datetime | None = None
    promised_at: dt.datetime | None = None
    promise_note: str = ""
    register_now: bool = True  # an agent's intake registers at once; portal/e-mail land as "received"
    resolve_now: bool = False  # a consultation answered on the spot
    resolution: str = ""
    auto_assign: bool = True
    attachments: tuple[UploadedFile, ...] = field(default_factory=tuple)


@dataclass
class _Intake:
    """What a create needs to know, read before its transaction begins."""

    customer: Customer
    unit: SoldUnit | None
    product_model: ProductModel | None
    owner: OrgUnit


# The customer of every create with their unit, compiled once (core.prepared); their phones, for the
# search document and the first message, from customers.selectors.phones_of (read with it at once).
_intake_customer: Prepared[Customer] = Prepared(
    lambda pk: Customer.objects.select_related("org_unit").filter(pk=pk, merged_into__isnull=True).order_by("pk")[:1]
)

# The allowed values, once: an enum's `.values` rebuilds its choices at every call.
_TYPES, _CHANNELS, _URGENCIES = frozenset(RequestType.values), frozenset(Channel.values), frozenset(Urgency.values)


def _validate_request(actor: Any, data: RequestData, *, customers: list[Customer] | None = None) -> _Intake:
    """Check a request's data; `customers`: the rows of `_intake_customer` for it, when the caller has
    read them already (with other reads at once)."""
    errors: list[FieldError] = []
    if data.type not in _TYPES:
        errors.append(FieldError("type", _("Choose one of the allowed values.")))
    if data.channel not in _CHANNELS:
        errors.append(FieldError("channel", _("Choose one of the allowed values.")))
    if data.urgency not in _URGENCIES:
        errors.append(FieldError("urgency", _("Choose one of the allowed values.")))
    if not data.title.strip():
        errors.append(FieldError("title", _("Describe the problem in a short title.")))
    if customers is None:
        customers = _intake_customer.all(pk=data.customer_id)
    customer = customers[0] if customers else None
    if customer is None:
        errors.append(FieldError("customer_id", _("Unknown customer.")))
    unit = None
    if data.unit_id is not None:
        unit = (
            SoldUnit.objects.select_related("product_model__warranty_policy", "product_model__product_line")
            .filter(pk=data.unit_id)
            .first()
        )
        if unit is None or (customer is not None and unit.customer_id not in (None, customer.pk)):
            errors.append(FieldError("unit_id", _("The unit does not exist or belongs to another customer.")))
    model = None
    if data.product_model_id is not None:
        model = ProductModel.objects.filter(pk=data.product_model_id).first()
        if model is None:
            errors.append(FieldError("product_model_id", _("Unknown product model.")))
    elif unit is not None:
        model = unit.product_model
    if data.fault_category_id is not None and not FaultCategory.objects.filter(pk=data.fault_category_id).exists():
        errors.append(FieldError("fault_category_id", _("Unknown fault category.")))
    if data.contact_phone and len(normalise_phone(data.contact_phone)) < 7:
        errors.append(FieldError("contact_phone", _("Not a valid phone number.")))
    if data.resolve_now and not data.resolution.strip():
        errors.append(FieldError("resolution", _("Say how the request was solved.")))
    received = data.received_at or timezone.now()
    if received > timezone.now() + dt.timedelta(minutes=5):
        errors.append(FieldError("received_at", _("The time received cannot be in the future.")))
    if data.promised_at and data.promised_at < received:
        errors.append(FieldError("promised_at", _("The promised time must be after the time received.")))
    for i, upload in enumerate(data.attachments):
        errors.extend(attachment_errors(upload, f"attachments.{i}"))
    if errors:
        raise ValidationFailed(errors=errors)
    assert customer is not None
    owner = customer.org_unit
    if data.org_unit_id is not None and data.org_unit_id != customer.org_unit_id:
        found = OrgUnit.objects.filter(pk=data.org_unit_id).first()
        if found is None:
            raise field_error("org_unit_id", _("Unknown org unit."))
        owner = found
    return _Intake(customer=customer, unit=unit, product_model=model, owner=owner)


# The request a user's idempotency key made, if any: every create with a key asks this first.
_replayed: Prepared[int] = Prepared(
    lambda user_id, key: (
        IdempotencyKey.objects.filter(user_id=user_id, key=key).order_by().values_list("request_id", flat=True)[:1]
    )
)


def _idempotent_replay(actor: Any, key: str) -> ServiceRequest | None:
    user_id = getattr(actor, "pk", None)
    if user_id is None:
        return None
    return _replay_of(_replayed.all(user_id=user_id, key=key))


def _replay_of(found: list[int]) -> ServiceRequest | None:
    """The request a key made, from `_replayed`'s rows (none: the key is new)."""
    return ServiceRequest.objects.filter(pk=found[0]).first() if found else None


def request_create(*, actor: Any, data: RequestData, idempotency_key: str = "") -> tuple[ServiceRequest, bool]:
    """Take in a request from any channel. Returns (request, created); a repeated idempotency key
    returns the request made the first time and `created=False`.

    Everything that only reads — validation, the warranty answer, the time limits, the assignment by
    rule, the message templates — happens first; then the request's number and key are reserved
    (core.sequences.reserve) and every row is built with them: timeline, audit entries, timers, search
    text, the customer's messages. The transaction only writes those rows, the request already in its
    first state (registered, dispatched or resolved), in a few statements: under concurrent intake
    SQLite's write lock is held that briefly, and nothing waits on the day's number row
    (shared/research/create_path.md). A key seen before is answered before anything is reserved; two
    concurrent calls with one key meet on the unique index, and the second gets the first's request
    (its reserved number stays unused)."""
    if is_customer_actor(actor):
        if customer_id_of(actor) != data.customer_id:
            raise NotFound()
    else:
        if actor is None or not actor.has_perm("service.add_servicerequest"):
            raise PermissionDenied()
    # What the create reads before anything else, asked at once (one round trip on PostgreSQL): the
    # customer, their phones, and the request an idempotency key made already.
    key_user = getattr(actor, "pk", None) if idempotency_key else None
    reads: list[tuple[Prepared[Any], dict[str, Any]]] = [
        (_intake_customer, {"pk": data.customer_id}),
        (phones_of, {"customer_id": data.customer_id}),
    ]
    if key_user is not None:
        reads.append((_replayed, {"user_id": key_user, "key": idempotency_key}))
    customers, phones, *replayed = together(*reads)
    intake = _validate_request(actor, data, customers=customers)
    customer, unit = intake.customer, intake.unit
    if not is_customer_actor(actor) and actor is not None:
        require_unit(actor, intake.owner.pk)
    now = timezone.now()
    received = data.received_at or now
    local_day = timezone.localtime(received).date()
    covered = unit_warranty(unit=unit, on=local_day).covered if unit is not None else None

    steps: list[str] = []
    if data.resolve_now:
        steps = ["register", "resolve"]
    elif data.register_now and not is_customer_actor(actor):
        steps = ["register"]
    line_id = intake.product_model.product_line_id if intake.product_model else None
    choice = None
    if data.auto_assign and steps == ["register"]:
        choice = _rule_choice(request_type=data.type, product_line_id=line_id, owner=intake.owner)
        if choice is not None:
            steps.append("dispatch")
    owner = choice[0].target_unit if choice else intake.owner
    planned = timers.timers_plan(
        facts=sla_rules.RequestFacts(
            request_type=data.type,
            urgency=data.urgency,
            customer_tier=customer.tier,
            product_line_id=line_id,
            channel=data.channel,
        ),
        received_at=received,
        unit_path=owner.path,
    )
    contact_phone = normalise_phone(data.contact_phone) if data.contact_phone else ""
    sms_to = contact_phone or next((number for number, kind in phones if kind == "mobile"), "")
    templates = message_templates_for(NEW_REQUEST_EVENTS)
    status = {0: Status.RECEIVED, 1: Status.REGISTERED}.get(len(steps), Status.RESOLVED)
    if steps[-1:] == ["dispatch"]:
        status = Status.DISPATCHED
    new_timers = timers.timers_for_new(planned, received_at=received, steps=steps, now=now)
    due, warn = timers.soonest(new_timers)
    resolution_timer = next((t for t in new_timers if t.metric == "resolution"), None)
    request = ServiceRequest(
        type=data.type,
        status=status,
        urgency=data.urgency,
        channel=data.channel,
        customer=customer,
        contact_name=data.contact_name.strip(),
        contact_phone=contact_phone,
        unit=unit,
        product_model=intake.product_model,
        title=data.title.strip(),
        description=data.description.strip(),
        fault_category_id=data.fault_category_id,
        received_at=received,
        promised_at=data.promised_at,
        promise_note=data.promise_note.strip(),
        org_unit=owner,
        assignee=choice[1] if choice else None,
        warranty_covered=covered,
        resolution=data.resolution.strip() if data.resolve_now else "",
        resolved_at=now if data.resolve_now else None,
        resolved_in_time=(resolution_timer.breached_at is None)
        if data.resolve_now and resolution_timer is not None
        else None,
        sla_due_at=due,
        sla_warn_at=warn,
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    # A key seen before is a retry: it gets the request made the first time, and takes no number.
    replay = _replay_of(replayed[0]) if replayed else None
    if replay is not None:
        return replay, False
    # The number and the request's key, reserved in a short transaction of their own (core.sequences),
    # so that every row they go into is built here, before the write: that holds SQLite's write lock,
    # and the next create waits for it, only for the statements themselves.
    reserved = reserve(f"sr-{local_day.isoformat()}", ServiceRequest)
    request.pk, request.number = reserved.pk, rules.request_number(local_day, reserved.value)
    entries, audits = _first_steps(actor, request, steps, choice, intake.owner.pk)
    for timer in new_timers:
        timer.request = request
    document = search_document_new(request, phones=[number for number, _kind in phones])
    messages = messages_on_create(request, phone=sms_to, dispatched=choice is not None, templates=templates)
    # Each kind of row in one statement compiled once, its values converted here (core.inserts): the
    # transaction below only runs the statements. Nothing listens to these models.
    writes = [
        rows([request], keyed=True),
        rows([IdempotencyKey(user=actor, key=idempotency_key, request=request)] if idempotency_key else []),
        rows(entries),
        rows(new_timers),
        rows([document]),
    ]
    audit_rows, message_rows = rows(audits), rows(messages, returning_pk=True)
    try:
        # On PostgreSQL the writes go out without waiting for each answer (core.pipeline), and an error
        # of any of them (a repeated idempotency key) is raised inside the transaction, which rolls back.
        with transaction.atomic(), pipelined():
            for batch in writes:
                batch.write()
            audit_record_many(audit_rows)
            for upload in data.attachments:
                _store_attachment(request, None, upload, actor, public=True)
            if choice is not None and choice[0].strategy == "round_robin":
                AssignmentRule.objects.filter(pk=choice[0].pk).update(last_assigned=choice[1])
            messages_store(message_rows)
    except IntegrityError:
        # The same key in two concurrent calls: the unique index refused the second (its number is left
        # unused).
        replay = _idempotent_replay(actor, idempotency_key) if idempotency_key else None
        if replay is not None:
            return replay, False
        raise
    # The steps taken at once need no reactions of their own: their timers and messages are written.
    events.publish("request.received", request_id=request.pk)
    return request, True


def _first_steps(
    actor: Any,
    request: ServiceRequest,
    steps: list[str],
    choice: tuple[AssignmentRule, User] | None,
    before_owner: int,
) -> tuple[list[TimelineEntry], list[AuditEntry]]:
    """The timeline entries and audit entries of a create and of the steps it took at once — the same
    ones the lifecycle functions write when the steps come later."""
    entries = [_new_entry(request, EntryKind.SYSTEM, actor, public=True, event="received", channel=request.channel)]
    fields = ["number", "type", "status", "urgency", "channel", "customer", "unit", "title"]
    created = snapshot(request, fields)
    created["status"] = Status.RECEIVED
    audits = [audit_entry(actor=actor, action=AuditAction.CREATE, target=request, changes=diff({}, created))]
    state: str = Status.RECEIVED
    for step in steps:
        target = rules.target_of(step, state)
        assert target is not None, (step, state)
        note = request.resolution if step == "resolve" else ""
        entries.append(
            _new_entry(
                request,
                EntryKind.STATUS,
                None if step == "dispatch" else actor,
                note,
                public=step != "register",
                action=step,
                before=state,
                after=target,
            )
        )
        audits.append(
            audit_entry(
                actor=None if step == "dispatch" else actor,
                action=AuditAction.TRANSITION,
                target=request,
                changes={"status": [state, target]},
                note=note,
            )
        )
        if step == "dispatch" and choice is not None:
            rule, assignee = choice
            reason = _("Assigned by rule: %(rule)s") % {"rule": rule.name}
            entries.append(
                _new_entry(
                    request,
                    EntryKind.ASSIGNMENT,
                    None,
                    reason,
                    assignee=assignee.display_name,
                    team=rule.target_unit.name,
                )
            )
            audits.append(
                audit_entry(
                    actor=None,
                    action=AuditAction.UPDATE,
                    target=request,
                    changes={
                        "assignee": [None, assignee.pk],
                        "org_unit": [request.customer.org_unit_id, rule.target_unit_id],
                    }
                    if request.customer.org_unit_id != rule.target_unit_id
                    else {"assignee": [None, assignee.pk]},
                    note=reason,
                )
            )
        state = target
    return entries, audits


# --- the lifecycle ----------------------------------------------------------------------------

_ACTION_FIELDS = {"register", "resolve", "cancel", "reopen", "wait_customer", "wait_parts"}


def _move(actor: Any, request: ServiceRequest, action: str, **fields: Any) -> str:
    """Apply one transition inside the caller's transaction: state, timestamps, timeline, audit."""
    target = rules.target_of(action, request.status)
    if target is None:
        raise Conflict(
            code="illegal_transition",
            message=_("A request that is %(state)s cannot be %(action)s.")
            % {"state": Status(request.status).label, "action": ACTION_LABELS.get(action, action)},
        )
    before = request.status
    now = timezone.now()
    updates: dict[str, Any] = {"status": target}
    if action == "resolve":
        updates["resolution"] = fields["resolution"].strip()
        updates["resolved_at"] = now
    elif action == "close":
        updates["closed_at"] = now
    elif action == "reopen":
        updates["resolved_at"] = None
        updates["closed_at"] = None
        updates["reopen_count"] = request.reopen_count + 1
    elif action == "cancel":
        updates["cancel_reason"] = fields["reason"].strip()
    for key, value in updates.items():
        setattr(request, key, value)
    ServiceRequest.objects.filter(pk=request.pk).update(version=request.version + 1, updated_at=now, **updates)
    request.version += 1
    note = fields.get("reason") or fields.get("resolution") or ""
    _entry(
        request,
        EntryKind.STATUS,
        actor,
        note,
        public=action not in {"register"},
        action=action,
        before=before,
        after=target,
    )
    audit_record(
        actor=actor, action=AuditAction.TRANSITION, target=request, changes={"status": [before, target]}, note=note
    )
    return target


ACTION_LABELS = {
    "register": _("registered"),
    "dispatch": _("dispatched"),
    "start": _("started"),
    "wait_customer": _("put on hold for the customer"),
    "wait_parts": _("put on hold for parts"),
    "resume": _("resumed"),
    "resolve": _("resolved"),
    "close": _("closed"),
    "reopen": _("reopened"),
    "cancel": _("cancelled"),
}


def request_transition(
    *, actor: Any, request: ServiceRequest, action: str, expected_version: int, reason: str = "", resolution: str = ""
) -> ServiceRequest:
    """Move a request along its lifecycle (everything except dispatch, which names an assignee)."""
    if action not in rules.TRANSITIONS or action == "dispatch":
        raise field_error("action", _("Unknown action."))
    customer_may = action in {"close", "reopen"}
    if is_customer_actor(actor) and customer_may:
        require_see(actor, request)
    else:
        require_staff_perm(actor, request, "service.change_servicerequest")
    if action == "resolve" and not resolution.strip():
        raise field_error("resolution", _("Say how the request was solved."))
    if action in {"cancel", "reopen", "wait_customer", "wait_parts"} and not reason.strip():
        raise field_error("reason", _("Give a reason."))
    if request.version != expected_version:
        raise StaleVersion()
    with transaction.atomic():
        locked = ServiceRequest.objects.select_for_update().get(pk=request.pk)
        if locked.version != expected_version:
            raise StaleVersion()
        request.status, request.version = locked.status, locked.version
        _move(actor, request, action, reason=reason, resolution=resolution)
        if action in {"resolve", "reopen"}:
            document_refresh(request)
    events.publish(f"request.{action}", request_id=request.pk)
    return request


# --- dispatch and escalation ------------------------------------------------------------------


_OPEN_COUNTS_SQL = (
    f"SELECT user_id, SUM(n) FROM {OpenLoad._meta.db_table} "  # noqa: S608 (our names only)
    "WHERE user_id IN ({ids}) GROUP BY user_id"
)


def _open_counts(user_ids: list[int]) -> dict[int, int]:
    """How many open requests each person holds: the sums of their OpenLoad rows (kept by triggers),
    whatever they hold. Plain SQL: it runs in every create that assigns by rule, and the ORM's compiling
    cost ten times its execution."""
    if not user_ids:
        return {}
    sql = _OPEN_COUNTS_SQL.format(ids=", ".join(["%s"] * len(user_ids)))
    with connection.cursor() as cursor:
        cursor.execute(sql, user_ids)
        return {int(user_id): int(n) for user_id, n in cursor.fetchall()}


def _assign(actor: Any, request: ServiceRequest, assignee: User | None, team: OrgUnit | None, reason: str) -> None:
    before = {"assignee": request.assignee_id, "org_unit": request.org_unit_id}
    if team is not None:
        request.org_unit = team
    request.assignee = assignee
    if request.status in {Status.RECEIVED, Status.REGISTERED, Status.DISPATCHED, Status.IN_PROGRESS}:
        _move(actor, request, "dispatch")
    ServiceRequest.objects.filter(pk=request.pk).update(
        assignee=assignee, org_unit=request.org_unit, version=request.version + 1, updated_at=timezone.now()
    )
    request.version += 1
    after = {"assignee": request.assignee_id, "org_unit": request.org_unit_id}
    _entry(
        request,
        EntryKind.ASSIGNMENT,
        actor,
        reason,
        public=False,
        assignee=assignee.display_name if assignee else None,
        team=request.org_unit.name,
    )
    audit_record(actor=actor, action=AuditAction.UPDATE, target=request, changes=diff(before, after), note=reason)


def request_assign(
    *,
    actor: Any,
    request: ServiceRequest,
    expected_version: int,
    assignee_id: int | None = None,
    team_id: int | None = None,
    reason: str = "",
) -> ServiceRequest:
    """Manual (re)assignment to a person and/or a team; a re-assignment needs a reason."""
    require_staff_perm(actor, request, "service.dispatch_servicerequest")
    if assignee_id is None and team_id is None:
        raise field_error("assignee_id", _("Choose a person or a team."))
    if request.assignee_id and not reason.strip():
        raise field_error("reason", _("Give a reason for the re-assignment."))
    team = None
    if team_id is not None:
        team = OrgUnit.objects.filter(pk=team_id, is_active=True).first()
        if team is None:
            raise field_error("team_id", _("Unknown org unit."))
        require_unit(actor, team.pk)
    assignee = None
    if assignee_id is not None:
        assignee = User.objects.filter(pk=assignee_id, kind="staff", is_active=True).first()
        if assignee is None or not assignee.has_perm("service.change_servicerequest"):
            raise field_error("assignee_id", _("This person cannot take service requests."))
        units = visible_unit_ids(actor)
        if units is not None and assignee.org_unit_id not in units:
            raise field_error("assignee_id", _("This person cannot take service requests."))
        if team is None and assignee.org_unit_id != request.org_unit_id:
            team = assignee.org_unit
    with transaction.atomic():
        locked = ServiceRequest.objects.select_for_update().get(pk=request.pk)
        if locked.version != expected_version:
            raise StaleVersion()
        if locked.status in rules.DONE:
            raise Conflict(code="illegal_transition", message=_("A finished request cannot be assigned."))
        request.status, request.version = locked.status, locked.version
        _assign(actor, request, assignee, team, reason.strip())
    events.publish("request.dispatched", request_id=request.pk)
    return request


@dataclass(frozen=True)
class _Assignable:
    """A person a rule may pick, with what of them stays put between creates (their open count is live)."""

    user: User
    cap: int
    on_duty: bool
    skills: frozenset[str]


@dataclass(frozen=True)
class _AssignmentConfig:
    staff_by_unit: dict[int, list[_Assignable]]
    skills_needed: dict[int, frozenset[str]]  # by rule
    # The rules in their order with what each matches on — (request type, product line, within unit,
    # rule) — read once: a model's foreign-key attribute costs a descriptor call at every read.
    conditions: list[tuple[str, int | None, int | None, AssignmentRule]]


def _assignment_config() -> _AssignmentConfig:
    """The active assignment rules in their order, the skills each needs, and the active staff of their
    target units with their availability — cached per process until a rule, a person or an availability
    changes (core.config_cache); read-only."""
    active = list(
        AssignmentRule.objects.filter(is_active=True).select_related("target_unit").order_by("priority", "id")
    )
    staff_by_unit: dict[int, list[_Assignable]] = {}
    for user in (
        User.objects.filter(org_unit_id__in={r.target_unit_id for r in active}, kind="staff", is_active=True)
        .select_related("availability")
        .only("pk", "username", "full_name", "org_unit_id", "kind", "is_active", "availability")
        .order_by("pk")
    ):
        availability = getattr(user, "availability", None) or StaffAvailability(user=user)
        staff_by_unit.setdefault(user.org_unit_id, []).append(  # type: ignore[arg-type]
            _Assignable(user, availability.max_open, availability.on_duty, availability.skill_set)
        )
    return _AssignmentConfig(
        staff_by_unit,
        {r.pk: rules.skill_tags(r.required_skills) for r in active},
        [(r.request_type, r.product_line_id, r.within_unit_id, r) for r in active],
    )


def _rule_choice(
    *, request_type: str, product_line_id: int | None, owner: OrgUnit
) -> tuple[AssignmentRule, User] | None:
    """The first matching assignment rule that finds someone (on duty, below their cap, with the
    skills): (rule, person). Reads only."""
    # Only the rules that apply, in their order: the owner unit or one of its parents, this type or
    # any, this product line or any (the path "/1/5/9/" names the unit and its parents).
    ancestors = {int(p) for p in owner.path.strip("/").split("/") if p}
    config = config_cache.cached("assignment", _assignment_config)
    staff_by_unit = config.staff_by_unit
    rules_in_order = [
        rule
        for rule_type, line_id, within_id, rule in config.conditions
        if rule_type in ("", request_type)
        and (line_id is None or line_id == product_line_id)
        and (within_id is None or within_id in ancestors)
    ]
    if not rules_in_order:
        return None
    # How many open requests each person the rules could pick holds (one query), and where the
    # round-robin rules left off (live, not cached: every assignment moves it).
    counts = _open_counts(
        [a.user.pk for unit_id in {r.target_unit_id for r in rules_in_order} for a in staff_by_unit.get(unit_id, [])]
    )
    round_robin = [r.pk for r in rules_in_order if r.strategy == "round_robin"]
    last_assigned = (
        dict(AssignmentRule.objects.filter(pk__in=round_robin).values_list("pk", "last_assigned_id"))
        if round_robin
        else {}
    )
    for rule in rules_in_order:
        staff = staff_by_unit.get(rule.target_unit_id, [])
        candidates = [
            rules.Candidate(
                user_id=a.user.pk, open_count=counts.get(a.user.pk, 0), cap=a.cap, on_duty=a.on_duty, skills=a.skills
            )
            for a in staff
        ]
        pool = rules.eligible(candidates, required_skills=config.skills_needed.get(rule.pk, frozenset()))
        chosen = (
            rules.pick_round_robin(pool, last_user_id=last_assigned.get(rule.pk))
            if rule.strategy == "round_robin"
            else rules.pick_least_load(pool)
        )
        if chosen is not None:
            return rule, next(a.user for a in staff if a.user.pk == chosen.user_id)
    return None


def request_auto_assign(*, request: ServiceRequest) -> User | None:
    """Apply the first matching assignment rule; pick among on-duty staff below their cap. Idempotent:
    a request that already has an assignee is left alone."""
    if request.assignee_id is not None or request.status in rules.DONE:
        return None
    line_id = request.product_model.product_line_id if request.product_model_id and request.product_model else None
    choice = _rule_choice(request_type=request.type, product_line_id=line_id, owner=request.org_unit)
    if choice is None:
        return None
    rule, assignee = choice
    with transaction.atomic():
        locked = ServiceRequest.objects.select_for_update().get(pk=request.pk)
        if locked.assignee_id is not None or locked.status in rules.DONE:
            return None
        request.status, request.version = locked.status, locked.version
        _assign(None, request, assignee, rule.target_unit, _("Assigned by rule: %(rule)s") % {"rule": rule.name})
        AssignmentRule.objects.filter(pk=rule.pk).update(last_assigned=assignee)
    events.publish("request.dispatched", request_id=request.pk)
    return assignee


def request_escalate(
    *,
    actor: Any,
    request: ServiceRequest,
    found: str,
    done: str,
    to_unit_id: int | None = None,
    to_user_id: int | None = None,
) -> Escalation:
    """Escalate (上报) with what was found and what was already done; the request is flagged."""
    require_staff_perm(actor, request, "service.change_servicerequest")
    errors = []
    if not found.strip():
        errors.append(FieldError("found", _("Say what was found.")))
    if not done.strip():
        errors.append(FieldError("done", _("Say what was already done.")))
    if to_unit_id is None and to_user_id is None:
        errors.append(FieldError("to_unit_id", _("Escalate to a team or a person.")))
    if request.status in rules.DONE:
        raise Conflict(code="illegal_transition", message=_("A finished request cannot be escalated."))
    to_unit = OrgUnit.objects.filter(pk=to_unit_id).first() if to_unit_id else None
    to_user = User.objects.filter(pk=to_user_id, kind="staff", is_active=True).first() if to_user_id else None
    if to_unit_id and to_unit is None:
        errors.append(FieldError("to_unit_id", _("Unknown org unit.")))
    if to_user_id and to_user is None:
        errors.append(FieldError("to_user_id", _("Unknown staff member.")))
    if errors:
        raise ValidationFailed(errors=errors)
    with transaction.atomic():
        escalation = Escalation.objects.create(
            request=request, to_unit=to_unit, to_user=to_user, found=found.strip(), done=done.strip(), by=actor
        )
        # Escalating adds a record and a flag, so it needs no version from the caller; but the version
        # must still move on from the one in the database (the copy in hand may be older), or a change
        # made meanwhile and this escalation would share one version number.
        ServiceRequest.objects.filter(pk=request.pk).update(
            is_escalated=True, version=F("version") + 1, updated_at=timezone.now()
        )
        request.is_escalated = True
        request.version = ServiceRequest.objects.values_list("version", flat=True).get(pk=request.pk)
        _entry(
            request,
            EntryKind.ESCALATION,
            actor,
            f"{_('Found')}: {found.strip()}\n{_('Done')}: {done.strip()}",
            to_unit=to_unit.name if to_unit else None,
            to_user=to_user.display_name if to_user else None,
        )
        audit_record(actor=actor, action=AuditAction.UPDATE, target=request, changes={"is_escalated": [False, True]})
    events.publish("request.escalated", request_id=request.pk, escalation_id=escalation.pk)
    return escalation


# --- timeline ---------------------------------------------------------------------------------


def attachment_errors(upload: UploadedFile, name: str) -> list[FieldError]:
    errors = []
    size = upload.size or 0
    if size > MAX_ATTACHMENT_BYTES:
        errors.append(FieldError(name, _("The file is larger than 10 MB.")))
    if size == 0:
        errors.append(FieldError(name, _("The file is empty.")))
    content_type = _content_type(upload)
    if content_type not in ALLOWED_CONTENT_TYPES:
        errors.append(FieldError(name, _("This kind of file is not accepted (images, PDF, Office documents, MP4).")))
    return errors


def _content_type(upload: UploadedFile) -> str:
    guessed = mimetypes.guess_type(upload.name or "")[0] or ""
    declared = (upload.content_type or "").split(";")[0].strip().lower()
    # Trust the extension over the client's claim, so an .html file cannot be served as an image.
    return guessed or declared


def _store_attachment(
    request: ServiceRequest, entry: TimelineEntry | None, upload: UploadedFile, actor: Any, *, public: bool
) -> Attachment:
    content_type = _content_type(upload)
    extension = mimetypes.guess_extension(content_type) or ""
    original = (upload.name or "file")[-200:]
    upload.name = f"{uuid.uuid4().hex}{extension}"
    return Attachment.objects.create(
        request=request,
        entry=entry,
        file=upload,
        original_name=original,
        content_type=content_type,
        size=upload.size or 0,
        is_public=public,
        uploaded_by=actor if getattr(actor, "pk", None) else None,
    )


def request_comment(
    *,
    actor: Any,
    request: ServiceRequest,
    body: str,
    public: bool,
    attachments: tuple[UploadedFile, ...] = (),
    from_customer: bool = False,
) -> TimelineEntry:
    """A reply to the customer (public), an internal note, or the customer's own message — from the
    portal, or relayed by an inbound channel (`from_customer`: e-mail, SMS, WeChat)."""
    customer = is_customer_actor(actor) or from_customer
    if is_customer_actor(actor):
        require_see(actor, request)
        public = True
    else:
        require_staff_perm(actor, request, "service.change_servicerequest")
        public = public or from_customer
    errors = [] if body.strip() or attachments else [FieldError("body", _("Write something or attach a file."))]
    for i, upload in enumerate(attachments):
        errors.extend(attachment_errors(upload, f"attachments.{i}"))
    if errors:
        raise ValidationFailed(errors=errors)
    kind = EntryKind.CUSTOMER if customer else (EntryKind.REPLY if public else EntryKind.NOTE)
    with transaction.atomic():
        entry = _entry(request, kind, actor, body.strip(), public=public)
        if from_customer:
            TimelineEntry.objects.filter(pk=entry.pk).update(author_label=request.contact_name or request.customer.name)
        for upload in attachments:
            _store_attachment(request, entry, upload, actor, public=public)
        ServiceRequest.objects.filter(pk=request.pk).update(updated_at=timezone.now())
        document_refresh(request)
        audit_record(actor=actor, action=AuditAction.UPDATE, target=request, changes={"timeline": [None, kind]})
    if kind == EntryKind.REPLY:
        events.publish("request.replied", request_id=request.pk, entry_id=entry.pk)
    return entry


# --- editing and rating -----------------------------------------------------------------------

_EDITABLE = [
    "type",
    "urgency",
    "title",
    "description",
    "fault_category",
    "unit",
    "product_model",
    "promised_at",
    "promise_note",
    "contact_name",
    "contact_phone",
]


@dataclass(frozen=True)
class RequestChanges:
    type: str
    urgency: str
    title: str
    description: str
    fault_category_id: int | None
    unit_id: int | None
    product_model_id: int | None
    promised_at: dt.datetime | None
    promise_note: str
    contact_name: str
    contact_phone: str


def request_update(
    *, actor: Any, request: ServiceRequest, expected_version: int, changes: RequestChanges
) -> ServiceRequest:
    """Correct the judgment (type, urgency, fault, unit, promise …); a stale version answers 409."""
    require_staff_perm(actor, request, "service.change_servicerequest")
    if request.status in {Status.CLOSED, Status.CANCELLED}:
        raise Conflict(code="illegal_transition", message=_("A closed or cancelled request cannot be edited."))
    data = RequestData(
        type=changes.type,
        customer_id=request.customer_id,
        title=changes.title,
        channel=request.channel,
        description=changes.description,
        urgency=changes.urgency,
        unit_id=changes.unit_id,
        product_model_id=changes.product_model_id,
        fault_category_id=changes.fault_category_id,
        contact_name=changes.contact_name,
        contact_phone=changes.contact_phone,
        org_unit_id=request.org_unit_id,
        received_at=request.received_at,
        promised_at=changes.promised_at,
        promise_note=changes.promise_note,
    )
    unit = _validate_request(actor, data).unit
    before = snapshot(request, _EDITABLE)
    request.type, request.urgency = changes.type, changes.urgency
    request.title, request.description = changes.title.strip(), changes.description.strip()
    request.fault_category_id, request.unit = changes.fault_category_id, unit
    request.product_model_id = changes.product_model_id or (unit.product_model_id if unit else None)
    request.promised_at, request.promise_note = changes.promised_at, changes.promise_note.strip()
    request.contact_name = changes.contact_name.strip()
    request.contact_phone = normalise_phone(changes.contact_phone) if changes.contact_phone else ""
    with transaction.atomic():
        save_versioned(request, expected_version=expected_version, fields=_EDITABLE)
        changed = diff(before, snapshot(request, _EDITABLE))
        if changed:
            _entry(request, EntryKind.SYSTEM, actor, public=False, event="edited", fields=sorted(changed))
            audit_record(actor=actor, action=AuditAction.UPDATE, target=request, changes=changed)
        document_refresh(request)
    if "type" in changed or "urgency" in changed:
        events.publish("request.judged", request_id=request.pk)
    return request


def request_rate(*, actor: Any, request: ServiceRequest, rating: int, comment: str = "") -> ServiceRequest:
    """The customer's one-click rating of a resolved or closed request (1-5); rating again replaces it."""
    require_see(actor, request)
    if not is_customer_actor(actor):
        raise PermissionDenied(message=_("Only the customer rates a request."))
    if request.status not in {Status.RESOLVED, Status.CLOSED}:
        raise Conflict(code="illegal_transition", message=_("A request can be rated once it is resolved."))
    if not 1 <= rating <= 5:
        raise field_error("rating", _("Rate from 1 to 5."))
    before = {"rating": request.rating}
    with transaction.atomic():
        ServiceRequest.objects.filter(pk=request.pk).update(
            rating=rating, rating_comment=comment.strip()[:500], updated_at=timezone.now()
        )
        request.rating, request.rating_comment = rating, comment.strip()[:500]
        _entry(request, EntryKind.CUSTOMER, actor, comment.strip(), public=True, rating=rating)
        audit_record(actor=actor, action=AuditAction.UPDATE, target=request, changes=diff(before, {"rating": rating}))
    events.publish("request.rated", request_id=request.pk)
    return request
