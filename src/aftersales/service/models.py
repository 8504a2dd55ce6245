"""The service request (服务单/工单) and everything that happens to it.

One record type with a `type`; its status moves only through `service.rules.TRANSITIONS`, each move
by one service function; every step is a `TimelineEntry` (nothing is deleted).
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from aftersales.core.models import TimeStampedModel, VersionedModel
from aftersales.service.rules import skill_tags
from aftersales.sla.models import Metric


class RequestType(models.TextChoices):
    CONSULTATION = "consultation", _("Consultation")
    REPAIR = "repair", _("Repair")
    MAINTENANCE = "maintenance", _("Maintenance")
    INSTALLATION = "installation", _("Installation")
    DELIVERY = "delivery", _("Delivery")
    RETURN = "return", _("Return")
    EXCHANGE = "exchange", _("Exchange")
    COMPLAINT = "complaint", _("Complaint")
    SUGGESTION = "suggestion", _("Suggestion")


class Status(models.TextChoices):
    RECEIVED = "received", _("Received")
    REGISTERED = "registered", _("Registered")
    DISPATCHED = "dispatched", _("Dispatched")
    IN_PROGRESS = "in_progress", _("In progress")
    WAITING_CUSTOMER = "waiting_customer", _("Waiting for customer")
    WAITING_PARTS = "waiting_parts", _("Waiting for parts")
    RESOLVED = "resolved", _("Resolved")
    CLOSED = "closed", _("Closed")
    CANCELLED = "cancelled", _("Cancelled")


class Urgency(models.TextChoices):
    CRITICAL = "critical", _("Critical")
    URGENT = "urgent", _("Urgent")
    NORMAL = "normal", _("Normal")


class Channel(models.TextChoices):
    PHONE = "phone", _("Phone")
    WALK_IN = "walk_in", _("Walk-in")
    PORTAL = "portal", _("Customer portal")
    SCAN = "scan", _("Scan to report")
    EMAIL = "email", _("E-mail")
    WECHAT = "wechat", _("WeChat")
    SMS = "sms", _("SMS")
    API = "api", _("API")


class FaultCategory(models.Model):
    """A node of the fault tree of a product line (e.g. 制冷系统 → 不制冷)."""

    product_line = models.ForeignKey(
        "catalog.ProductLine", verbose_name=_("product line"), on_delete=models.PROTECT, related_name="fault_categories"
    )
    code = models.CharField(_("code"), max_length=30)
    name = models.CharField(_("name"), max_length=60)
    parent = models.ForeignKey(
        "self", verbose_name=_("parent"), null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("fault category")
        verbose_name_plural = _("fault categories")
        ordering = ["product_line", "code"]
        constraints = [models.UniqueConstraint(fields=["product_line", "code"], name="fault_code_unique_per_line")]

    def __str__(self) -> str:
        return self.name


class ServiceRequest(VersionedModel):
    """A customer's request, from the moment it is received to its close."""

    number = models.CharField(_("request number"), max_length=20, unique=True)
    type = models.CharField(_("type"), max_length=14, choices=RequestType.choices)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.RECEIVED)
    urgency = models.CharField(_("urgency"), max_length=10, choices=Urgency.choices, default=Urgency.NORMAL)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    # The foreign keys that lead an index of Meta.indexes have no index of their own: each extra index
    # is written by every create and every change.
    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("customer"),
        on_delete=models.PROTECT,
        related_name="service_requests",
        db_index=False,
    )
    contact_name = models.CharField(_("contact name"), max_length=100, blank=True)
    contact_phone = models.CharField(_("contact phone"), max_length=20, blank=True)
    unit = models.ForeignKey(
        "catalog.SoldUnit",
        verbose_name=_("unit"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="service_requests",
    )
    product_model = models.ForeignKey(
        "catalog.ProductModel",
        verbose_name=_("product model"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("problem description"), blank=True)
    fault_category = models.ForeignKey(
        FaultCategory,
        verbose_name=_("fault category"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    received_at = models.DateTimeField(_("received at"))
    promised_at = models.DateTimeField(_("promised time"), null=True, blank=True)
    promise_note = models.CharField(_("what was promised"), max_length=200, blank=True)
    org_unit = models.ForeignKey(
        "accounts.OrgUnit",
        verbose_name=_("owner team"),
        on_delete=models.PROTECT,
        related_name="service_requests",
        db_index=False,
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assignee"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="assigned_requests",
        db_index=False,
    )
    is_escalated = models.BooleanField(_("escalated"), default=False)
    warranty_covered = models.BooleanField(_("under warranty"), null=True, blank=True)
    resolution = models.TextField(_("resolution"), blank=True)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    cancel_reason = models.CharField(_("cancel reason"), max_length=200, blank=True)
    reopen_count = models.PositiveSmallIntegerField(_("times reopened"), default=0)
    # The soonest running time limit, copied from its RequestTimer (service.timers keeps it in step) so
    # that queues sort and colour by due time from the row itself, with an index, at any size.
    sla_due_at = models.DateTimeField(_("next time limit"), null=True, blank=True)
    sla_warn_at = models.DateTimeField(_("warning time of the next limit"), null=True, blank=True)
    # Whether the resolution limit was met (None: no such limit, or not resolved yet) — what the
    # timely-resolution rate counts, readable without joining the timers.
    resolved_in_time = models.BooleanField(_("resolved in time"), null=True, blank=True)
    rating = models.PositiveSmallIntegerField(_("rating"), null=True, blank=True)
    rating_comment = models.CharField(_("rating comment"), max_length=500, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )

    class Meta:
        verbose_name = _("service request")
        verbose_name_plural = _("service requests")
        ordering = ["-id"]
        permissions = [("dispatch_servicerequest", _("Can assign service requests to staff and teams"))]
        indexes = [
            # The queues: a team's open requests, an assignee's, the unassigned; newest first.
            models.Index(fields=["org_unit", "status", "id"], name="sr_unit_status_idx"),
            models.Index(fields=["assignee", "status", "id"], name="sr_assignee_status_idx"),
            # Every scope includes the requests a person filed: the workbench counts their open ones
            # (4.2 ms through the creator index alone at 1M requests, 0.4 ms with the state).
            models.Index(fields=["created_by", "status", "id"], name="sr_creator_status_idx"),
            models.Index(fields=["customer", "id"], name="sr_customer_idx"),
            models.Index(fields=["status", "id"], name="sr_status_idx"),
            models.Index(fields=["received_at"], name="sr_received_idx"),
            # A team's queue sorted by due time.
            models.Index(fields=["org_unit", "status", "sla_due_at"], name="sr_unit_status_due_idx"),
            # The timely-resolution report: requests resolved in a period with a resolution limit. (The
            # dashboard reads the monthly rollup of reports.models; its (type, state, received) index went.)
            models.Index(fields=["resolved_in_time", "resolved_at", "org_unit"], name="sr_in_time_resolved_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(rating__isnull=True) | models.Q(rating__gte=1, rating__lte=5), name="sr_rating_1_5"
            )
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"


class EntryKind(models.TextChoices):
    REPLY = "reply", _("Reply to customer")
    NOTE = "note", _("Internal note")
    CUSTOMER = "customer", _("Customer message")
    STATUS = "status", _("Status change")
    ASSIGNMENT = "assignment", _("Assignment")
    ESCALATION = "escalation", _("Escalation")
    SYSTEM = "system", _("System")


class TimelineEntry(models.Model):
    """One step on a request's timeline. Public entries are what the customer sees."""

    request = models.ForeignKey(
        ServiceRequest,
        verbose_name=_("request"),
        on_delete=models.CASCADE,
        related_name="timeline",
        db_index=False,  # timeline_request_idx (request, id) leads with it
    )
    kind = models.CharField(_("kind"), max_length=12, choices=EntryKind.choices)
    is_public = models.BooleanField(_("visible to customer"), default=False)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("author"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    author_label = models.CharField(_("author name"), max_length=150, blank=True)
    body = models.TextField(_("text"), blank=True)
    data = models.JSONField(_("details"), default=dict, blank=True)
    created_at = models.DateTimeField(_("time"), auto_now_add=True)

    class Meta:
        verbose_name = _("timeline entry")
        verbose_name_plural = _("timeline")
        ordering = ["request", "id"]
        indexes = [models.Index(fields=["request", "id"], name="timeline_request_idx")]

    def __str__(self) -> str:
        return f"{self.request_id} {self.kind}"


class Attachment(TimeStampedModel):
    """A file on a request (photos of the fault, documents); stored under a generated safe name."""

    request = models.ForeignKey(
        ServiceRequest, verbose_name=_("request"), on_delete=models.CASCADE, related_name="attachments"
    )
    entry = models.ForeignKey(
        TimelineEntry,
        verbose_name=_("timeline entry"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="attachments",
    )
    file = models.FileField(_("file"), upload_to="requests/%Y/%m/")
    original_name = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(_("content type"), max_length=100)
    size = models.PositiveIntegerField(_("size (bytes)"))
    is_public = models.BooleanField(_("visible to customer"), default=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("uploaded by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["request", "id"]

    def __str__(self) -> str:
        return self.original_name

    @property
    def is_image(self) -> bool:
        return self.content_type.startswith("image/")


class Escalation(models.Model):
    """An escalation (上报) of a request to a team or a supervisor, with what was found and done."""

    request = models.ForeignKey(
        ServiceRequest, verbose_name=_("request"), on_delete=models.CASCADE, related_name="escalations"
    )
    to_unit = models.ForeignKey(
        "accounts.OrgUnit",
        verbose_name=_("escalated to team"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    to_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("escalated to"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    found = models.TextField(_("what was found"))
    done = models.TextField(_("what was already done"))
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("escalated by"), null=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("escalated at"), auto_now_add=True)
    closed_at = models.DateTimeField(_("handled at"), null=True, blank=True)

    class Meta:
        verbose_name = _("escalation")
        verbose_name_plural = _("escalations")
        ordering = ["request", "id"]

    def __str__(self) -> str:
        return f"{self.request_id} → {self.to_unit_id or self.to_user_id}"


class IdempotencyKey(models.Model):
    """A create request's Idempotency-Key: a retry gets the stored response instead of a second record."""

    key = models.CharField(_("key"), max_length=100)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,  # the unique (user, key) leads with it
    )
    request = models.ForeignKey(ServiceRequest, verbose_name=_("request"), on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("idempotency key")
        verbose_name_plural = _("idempotency keys")
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="idempotency_user_key_unique")]

    def __str__(self) -> str:
        return self.key


class OpenLoad(models.Model):
    """How many open requests a person holds, as deltas: a row of +1 when a request starts to count for
    its assignee (assigned while open, or opened again) and of -1 when it stops (resolved, cancelled,
    reassigned, deleted). Written by triggers on service_servicerequest (migration 0010), whichever code
    path wrote the request; a read sums a person's rows, and reports.rollup.compact merges them every
    night. Assignment by rule reads it instead of counting the requests, which cost as much as the
    candidates held: 3.8 ms of a create on PostgreSQL at 4,660 open requests among six people. The open
    states are the migration's copy of rules.OPEN; a test keeps the two equal."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        # No constraint: the rows are written by triggers, and a flush may empty the users before the
        # requests' delete trigger writes its -1 rows.
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,
        related_name="+",
    )
    n = models.IntegerField(_("count"))

    class Meta:
        verbose_name = _("open requests held (delta)")
        verbose_name_plural = _("open requests held (deltas)")
        # Every column in the index: a person's sum is read from it alone.
        indexes = [models.Index(fields=["user", "n"], name="open_load_user_idx")]

    def __str__(self) -> str:
        return f"{self.user_id}: {self.n:+d}"


class SearchDocument(models.Model):
    """The bigram text of a request (number, customer, phone, serial, title, description, replies).

    SQLite indexes it with an FTS5 external-content table kept in step by triggers; PostgreSQL with a
    generated tsvector column and a GIN index (migration 0002).
    """

    request = models.OneToOneField(
        ServiceRequest, on_delete=models.CASCADE, primary_key=True, related_name="search_document"
    )
    body = models.TextField()

    class Meta:
        verbose_name = _("search document")
        verbose_name_plural = _("search documents")

    def __str__(self) -> str:
        return str(self.request_id)


class Strategy(models.TextChoices):
    ROUND_ROBIN = "round_robin", _("Round robin")
    LEAST_LOAD = "least_load", _("Least load")


class StaffAvailability(models.Model):
    """Whether a staff member takes new requests, what they can do, and how many open requests at most."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, verbose_name=_("staff member"), on_delete=models.CASCADE, related_name="availability"
    )
    on_duty = models.BooleanField(_("on duty"), default=True)
    skills = models.CharField(
        _("skills"), max_length=200, blank=True, help_text=_("comma-separated tags, e.g. 空调,净水")
    )
    max_open = models.PositiveSmallIntegerField(_("cap of open requests"), default=20)

    class Meta:
        verbose_name = _("staff availability")
        verbose_name_plural = _("staff availability")

    def __str__(self) -> str:
        return str(self.user)

    @property
    def skill_set(self) -> frozenset[str]:
        return skill_tags(self.skills)


class AssignmentRule(models.Model):
    """Who gets a new request: the first matching rule (by priority) picks among its team's eligible staff."""

    name = models.CharField(_("name"), max_length=100)
    priority = models.PositiveSmallIntegerField(_("priority"), default=100, help_text=_("lower runs first"))
    request_type = models.CharField(_("request type"), max_length=14, choices=RequestType.choices, blank=True)
    product_line = models.ForeignKey(
        "catalog.ProductLine",
        verbose_name=_("product line"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    within_unit = models.ForeignKey(
        "accounts.OrgUnit",
        verbose_name=_("for requests of (region/outlet)"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    required_skills = models.CharField(_("required skills"), max_length=200, blank=True)
    target_unit = models.ForeignKey(
        "accounts.OrgUnit", verbose_name=_("assign to team"), on_delete=models.PROTECT, related_name="+"
    )
    strategy = models.CharField(_("strategy"), max_length=12, choices=Strategy.choices, default=Strategy.LEAST_LOAD)
    last_assigned = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("assignment rule")
        verbose_name_plural = _("assignment rules")
        ordering = ["priority", "id"]

    def __str__(self) -> str:
        return self.name


class RequestTimer(models.Model):
    """One time limit of a request: due time (stored, never recomputed row by row in queries), pauses,
    warning, breach and escalation level. Computed from the matching SLA policy (service.timers)."""

    request = models.ForeignKey(
        ServiceRequest,
        verbose_name=_("request"),
        on_delete=models.CASCADE,
        related_name="timers",
        db_index=False,  # the unique (request, metric) leads with it
    )
    metric = models.CharField(_("metric"), max_length=24, choices=Metric.choices)
    policy = models.ForeignKey(
        "sla.SlaPolicy",
        verbose_name=_("SLA policy"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    started_at = models.DateTimeField(_("started at"))
    # No index of its own: the sweeps ask for running timers by due time, which the partial index of
    # open timers answers; every timer written wrote a second one for nothing (~4 WAL pages a create).
    due_at = models.DateTimeField(_("due at"))
    warn_at = models.DateTimeField(_("warn at"))
    paused_at = models.DateTimeField(_("paused at"), null=True, blank=True)
    paused_total = models.DurationField(_("time paused (in the target's own time)"), default=dt.timedelta)
    met_at = models.DateTimeField(_("met at"), null=True, blank=True)
    warned_at = models.DateTimeField(_("warned at"), null=True, blank=True)
    breached_at = models.DateTimeField(_("breached at"), null=True, blank=True)
    escalation_level = models.PositiveSmallIntegerField(_("escalation level"), default=0)

    class Meta:
        verbose_name = _("request timer")
        verbose_name_plural = _("request timers")
        ordering = ["request", "due_at"]
        constraints = [models.UniqueConstraint(fields=["request", "metric"], name="timer_request_metric_unique")]
        # The running timers by due time, for the sweeps: only the open ones (a few per open request)
        # are in it, so a timer met at intake (or later) leaves it, and the index stays small.
        indexes = [models.Index(fields=["due_at"], name="timer_open_due_idx", condition=models.Q(met_at__isnull=True))]

    def __str__(self) -> str:
        return f"{self.request_id} {self.metric} {self.due_at}"

    @property
    def is_breached(self) -> bool:
        return self.breached_at is not None
