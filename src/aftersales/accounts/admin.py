"""Back office for accounts: browse users, units and tokens; every change goes through the services.

Staff and org units are created and edited in the product's own pages (人员, 组织机构), which call the
same services; the admin offers the bulk actions that the pages do not.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from aftersales.accounts import services
from aftersales.accounts.models import ApiToken, LoginThrottle, OrgUnit, User
from aftersales.core.admin_base import ReadOnlyAdmin
from aftersales.core.errors import DomainError


@admin.register(OrgUnit)
class OrgUnitAdmin(ReadOnlyAdmin):
    list_display = ("name", "code", "kind", "parent", "depth", "is_active")
    list_filter = ("kind", "is_active")
    search_fields = ("name", "code")
    ordering = ("path",)


@admin.register(User)
class UserAdmin(ReadOnlyAdmin):
    list_display = ("username", "full_name", "kind", "org_unit", "is_active", "last_login")
    list_filter = ("kind", "is_active", "groups")
    search_fields = ("username", "full_name", "phone", "employee_no")
    exclude = ("password",)
    actions = ["unlock_sign_in"]

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Needed for actions; the change form itself is read-only (see get_readonly_fields).
        return bool(request.user.has_perm("accounts.change_user"))

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [f.name for f in User._meta.fields if f.name != "password"] + ["groups", "additional_units"]

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        """No field is editable here; edits happen on the staff page through the service."""

    @admin.action(description=_("Lift the sign-in lock"))
    def unlock_sign_in(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        for user in queryset:
            try:
                services.login_unlock(actor=request.user, user=user)
            except DomainError as exc:
                self.message_user(request, f"{user}: {exc.message}", messages.ERROR)


@admin.register(ApiToken)
class ApiTokenAdmin(ReadOnlyAdmin):
    list_display = ("name", "user", "prefix", "created_at", "last_used_at", "expires_at", "revoked_at")
    list_filter = ("revoked_at",)
    search_fields = ("name", "prefix", "user__username")
    exclude = ("digest",)
    actions = ["revoke"]

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return bool(request.user.has_perm("accounts.change_user"))

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return ["user", "name", "prefix", "created_at", "last_used_at", "expires_at", "revoked_at"]

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        """Tokens are created by their owner and only revoked here."""

    @admin.action(description=_("Revoke the selected tokens"))
    def revoke(self, request: HttpRequest, queryset: QuerySet[ApiToken]) -> None:
        for token in queryset.select_related("user"):
            try:
                services.api_token_revoke(actor=request.user, token=token)
            except DomainError as exc:
                self.message_user(request, f"{token}: {exc.message}", messages.ERROR)


@admin.register(LoginThrottle)
class LoginThrottleAdmin(ReadOnlyAdmin):
    list_display = ("username", "failures", "window_started_at", "locked_until")
    search_fields = ("username",)
