"""Domain errors: every service raises these; the API and the UI turn them into clear messages."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


@dataclass
class FieldError:
    field: str
    message: str

    def as_dict(self) -> dict[str, str]:
        return {"field": self.field, "message": str(self.message)}


@dataclass
class DomainError(Exception):
    """Base of all errors a user can cause; carries an HTTP status, a stable code and a message."""

    message: str = ""
    errors: list[FieldError] = field(default_factory=list)
    code: str = ""

    status: ClassVar[int] = 400
    default_code: ClassVar[str] = "bad_request"
    default_message: ClassVar[str | Promise] = _("The request could not be processed.")

    def __post_init__(self) -> None:
        if not self.code:
            self.code = self.default_code
        if not self.message:
            self.message = str(self.default_message)
        super().__init__(self.message)

    def as_dict(self) -> dict[str, object]:
        return {
            "code": self.code,
            "message": str(self.message),
            "errors": [e.as_dict() for e in self.errors],
        }


class BadRequest(DomainError):
    status = 400
    default_code = "bad_request"
    default_message = _("The request is malformed.")


class NotAuthenticated(DomainError):
    status = 401
    default_code = "not_authenticated"
    default_message = _("Authentication is required: sign in or send a valid API token.")


class PermissionDenied(DomainError):
    status = 403
    default_code = "permission_denied"
    default_message = _("You do not have permission to do this.")


class NotFound(DomainError):
    status = 404
    default_code = "not_found"
    default_message = _("The record does not exist or you may not see it.")


class Conflict(DomainError):
    status = 409
    default_code = "conflict"
    default_message = _("The record is not in a state that allows this.")


class StaleVersion(Conflict):
    default_code = "stale_version"
    default_message = _("Someone else changed this record after you opened it. Reload and try again.")


class ValidationFailed(DomainError):
    status = 422
    default_code = "validation_error"
    default_message = _("Some fields are not valid.")


def field_error(field_name: str, message: str, *, error: type[DomainError] = ValidationFailed) -> DomainError:
    """Shortcut for the common case of one invalid field."""
    return error(message=str(message), errors=[FieldError(field_name, str(message))])
