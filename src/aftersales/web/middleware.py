"""Turns domain errors raised in UI views into readable pages with the right status (never a 500)."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse

from aftersales.core.errors import DomainError, NotFound, PermissionDenied


class DomainErrorPageMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exc: Exception) -> HttpResponse | None:
        if not isinstance(exc, DomainError) or request.path.startswith("/api/"):
            return None
        template = (
            "404.html"
            if isinstance(exc, NotFound)
            else "403.html"
            if isinstance(exc, PermissionDenied)
            else "web/error.html"
        )
        response = TemplateResponse(request, template, {"error": exc}, status=exc.status)
        return response.render()
