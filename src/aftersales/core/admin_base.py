"""Admin base classes: the back office browses everything but changes data only through services."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import admin, messages
from django.http import HttpRequest, HttpResponseRedirect

from aftersales.core.errors import DomainError


class ReadOnlyAdmin(admin.ModelAdmin):
    """Lists, search and detail; no add/change/delete (those go through the product's pages and API)."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ServiceCreateAdmin(admin.ModelAdmin):
    """Add through a service function (`create`); existing rows are read-only; no deletion.

    A domain error is shown as an admin message instead of saving.
    """

    # Subclasses set this to a function (request, unsaved_obj) → the created record, calling the service.
    create: Callable[..., Any]

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is not None:
            return [f.name for f in obj._meta.fields]
        return super().get_readonly_fields(request, obj)

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        if change:
            return
        try:
            created = self.create(request, obj)
        except DomainError as exc:
            self.message_user(request, exc.message + " " + "; ".join(e.message for e in exc.errors), messages.ERROR)
            return
        obj.pk = created.pk

    def response_add(self, request: HttpRequest, obj: Any, post_url_continue: Any = None) -> Any:
        if obj.pk is None:
            return HttpResponseRedirect(request.path)
        return super().response_add(request, obj, post_url_continue)
