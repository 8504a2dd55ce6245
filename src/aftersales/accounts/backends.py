"""The authentication backend: Django's model backend plus lock-out after repeated failures."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.http import HttpRequest

from aftersales.accounts import services
from aftersales.core import config_cache
from aftersales.core.prepared import Prepared

# The signed-in person of every page, compiled once (core.prepared).
_user_with_unit: Prepared[Any] = Prepared(
    lambda pk: get_user_model()._default_manager.select_related("org_unit").filter(pk=pk).order_by("pk")[:1]
)


class LockoutModelBackend(ModelBackend):
    def authenticate(
        self, request: HttpRequest | None, username: str | None = None, password: str | None = None, **kwargs: Any
    ) -> Any:
        if username is None:
            username = kwargs.get("username")
        if not username or password is None:
            return None
        if services.login_lock_minutes(username) > 0:
            # Refused without checking the password, so guessing during a lock learns nothing.
            return None
        user = super().authenticate(request, username=username, password=password, **kwargs)
        if user is None:
            services.login_failure_record(username=username)
            return None
        services.login_success_record(user=user)
        return user

    def get_user(self, user_id: Any) -> Any:
        """The signed-in person with their org unit: every page shows it, and most reads scope by it."""
        user = _user_with_unit.first(pk=user_id)
        if user is None:
            return None
        return user if self.user_can_authenticate(user) else None

    def get_all_permissions(self, user_obj: Any, obj: Any = None) -> set[str]:
        """Django's answer, kept per process until a role, group or person changes (core.config_cache):
        two queries a request fewer."""
        if not user_obj.is_active or user_obj.is_anonymous or obj is not None:
            return set()
        if not hasattr(user_obj, "_perm_cache"):
            perms = config_cache.cached(
                f"perms:{user_obj.pk}", lambda: frozenset(ModelBackend.get_all_permissions(self, user_obj))
            )
            user_obj._perm_cache = set(perms)
        return user_obj._perm_cache  # type: ignore[no-any-return]
