"""Language selection: the UI is Chinese unless the user chose English; the API follows Accept-Language.

Many office PCs in China run browsers with an English locale, so the browser's Accept-Language must
not switch the UI away from Chinese. The choice is the `django_language` cookie, which the language
switch and the sign-in (from the user's saved preference) set. API clients ask per request.
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest
from django.middleware.locale import LocaleMiddleware
from django.utils import translation


class UILocaleMiddleware(LocaleMiddleware):
    def process_request(self, request: HttpRequest) -> None:
        if request.path.startswith("/api/"):
            super().process_request(request)
            return
        language = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
        if not language or not translation.check_for_language(language):
            language = settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()
