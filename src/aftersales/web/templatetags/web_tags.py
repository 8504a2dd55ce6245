"""Template filters of the UI shell."""

from django import template

from aftersales.accounts.roles import role_label as _role_label

register = template.Library()


@register.filter
def role_label(code: str) -> str:
    return _role_label(code)
