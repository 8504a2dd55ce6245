"""Domain errors carry a status, a stable code and a translatable message."""

from django.utils import translation

from aftersales.core.errors import Conflict, FieldError, NotFound, StaleVersion, ValidationFailed, field_error


def test_defaults_and_shape():
    err = NotFound()
    assert err.status == 404 and err.code == "not_found"
    assert err.as_dict() == {"code": "not_found", "message": err.message, "errors": []}


def test_field_error_helper():
    err = field_error("phone", "bad")
    assert isinstance(err, ValidationFailed) and err.status == 422
    assert err.as_dict()["errors"] == [{"field": "phone", "message": "bad"}]


def test_stale_version_is_a_conflict():
    assert issubclass(StaleVersion, Conflict) and StaleVersion().status == 409
    assert StaleVersion().code == "stale_version"


def test_messages_follow_the_active_language():
    with translation.override("en"):
        assert NotFound().message.startswith("The record does not exist")
    with translation.override("zh-hans"):
        assert "不存在" in NotFound().message


def test_custom_message_and_errors():
    err = ValidationFailed(message="x", errors=[FieldError("a", "b")])
    assert err.as_dict() == {"code": "validation_error", "message": "x", "errors": [{"field": "a", "message": "b"}]}
