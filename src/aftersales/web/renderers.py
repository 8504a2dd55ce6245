"""The form renderer: Django's own widget and form templates, rendered by Jinja2 (issue 6).

Every widget of a form is a template of its own, and a select's every option one more: through Django's
template engine a text input cost ~0.35 ms and a select of nine options ~1 ms on this machine, so the
request page's 19 widgets were about a third of its time. Django ships the same templates for Jinja2
(`django/forms/jinja2`), compiled to Python code, which renders them two to three times faster with the
same HTML. Page templates stay Django templates (ARCHITECTURE.md); only the renderer of forms changes.

The admin's widgets (`admin/widgets/…`) exist only as Django templates, so a template Jinja2 does not
have is looked up by the Django engine instead, and a widget of any app keeps working.
"""

from __future__ import annotations

from typing import Any

from django.forms.renderers import DjangoTemplates, Jinja2
from django.template import TemplateDoesNotExist
from django.utils.functional import cached_property


class FormRenderer(Jinja2):
    """Jinja2 for the templates it has, Django's engine for the others (the admin's widgets)."""

    # A field with its label, errors and hint: `{{ form.name.as_field_group }}` in a page template.
    field_template_name = "web/field.html"

    @cached_property
    def fallback(self) -> DjangoTemplates:
        return DjangoTemplates()

    def get_template(self, template_name: str) -> Any:
        try:
            return self.engine.get_template(template_name)
        except TemplateDoesNotExist:
            return self.fallback.get_template(template_name)
