"""Puts the acting user, channel and client IP of each web request into the action context."""

from __future__ import annotations

import uuid
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from aftersales.core import config_cache
from aftersales.core.context import ActionContext, Channel, reset_context, set_context


def client_ip(request: HttpRequest) -> str | None:
    # REMOTE_ADDR only: X-Forwarded-For is trivially forged unless a known proxy sets it.
    return request.META.get("REMOTE_ADDR") or None


def channel_for_path(path: str) -> str:
    if path.startswith("/api/"):
        return Channel.API
    if path.startswith("/admin/"):
        return Channel.ADMIN
    return Channel.UI


class RequestContextMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        ctx = ActionContext(
            actor=user if user is not None and user.is_authenticated else None,
            channel=channel_for_path(request.path),
            ip=client_ip(request),
            request_id=request.headers.get("X-Request-ID", "")[:64] or uuid.uuid4().hex,
        )
        token = set_context(ctx)
        generation = config_cache.request_started()
        try:
            response = self.get_response(request)
        finally:
            config_cache.request_finished(generation)
            reset_context(token)
        response["X-Request-ID"] = ctx.request_id
        return response
