"""Template context every page needs: the menu for the signed-in user."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from aftersales.web.navigation import menu_for


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_sections": []}
    return {"nav_sections": menu_for(user, request.path)}
