"""Back office: templates are edited here; the outbox is read-only (with a retry action)."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from aftersales.core.admin_base import ReadOnlyAdmin
from aftersales.notifications.models import MessageStatus, NotificationTemplate, OutboxMessage


@admin.register(NotificationTemplate)
class NotificationTemplateAdmin(admin.ModelAdmin):
    list_display = ("event", "channel", "subject", "is_active")
    list_filter = ("channel", "is_active")

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(OutboxMessage)
class OutboxMessageAdmin(ReadOnlyAdmin):
    list_display = ("id", "channel", "recipient", "event", "status", "attempts", "next_attempt_at", "sent_at")
    list_filter = ("status", "channel", "event")
    search_fields = ("recipient", "dedupe_key", "related_id")
    actions = ["retry_now"]

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return bool(request.user.is_superuser)

    @admin.action(description=_("Retry now"))
    def retry_now(self, request: HttpRequest, queryset: QuerySet[OutboxMessage]) -> None:
        # Only messages that gave up or wait; a sent message is never sent again.
        queryset.filter(status__in=[MessageStatus.FAILED, MessageStatus.PENDING]).update(
            status=MessageStatus.PENDING, next_attempt_at=timezone.now()
        )
