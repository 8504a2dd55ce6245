"""Template filters of the UI shell: role names, and readable names for audit-trail records and fields."""

from __future__ import annotations

from django import template
from django.apps import apps
from django.core.exceptions import FieldDoesNotExist
from django.db.models import Model
from django.utils.translation import gettext_lazy as _

from aftersales.accounts.roles import role_label as _role_label

register = template.Library()

# Audit entries name a few things that are not model fields.
_EXTRA_FIELDS = {"roles": _("Roles"), "password": _("Password"), "failures": _("failures")}


@register.filter
def role_label(code: str) -> str:
    return _role_label(code)


def _model(label: str) -> type[Model] | None:
    try:
        return apps.get_model(label)
    except (LookupError, ValueError):
        return None


@register.filter
def record_type_label(label: str) -> str:
    """ "accounts.user" → the model's verbose name (人员/用户); unknown labels unchanged."""
    model = _model(label)
    return str(model._meta.verbose_name) if model else label


@register.filter
def field_label(field: str, label: str) -> str:
    """A changed field's verbose name for the record type `label`; usage: {{ field|field_label:e.target_type }}."""
    model = _model(label)
    if model is not None:
        try:
            return str(getattr(model._meta.get_field(field), "verbose_name", field))
        except FieldDoesNotExist:
            pass
    return str(_EXTRA_FIELDS.get(field, field))
