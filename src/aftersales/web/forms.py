"""Forms of the UI shell: they check the shape of input; the services check the rules."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _

from aftersales.accounts.models import OrgUnit, OrgUnitKind
from aftersales.accounts.roles import ROLES
from aftersales.accounts.services import login_lock_minutes
from aftersales.core.errors import DomainError


class LoginForm(AuthenticationForm):
    """Django's sign-in form, plus a clear message when the name is locked."""

    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": _(
            "Wrong username or password. After %(max)s failures the account is locked for %(lock)s minutes."
        ),
        "locked": _(
            "Too many failed sign-ins: this account is locked. "
            "Try again in %(minutes)s minutes or ask an administrator."
        ),
    }

    def clean(self) -> dict[str, Any]:
        username = self.cleaned_data.get("username")
        if username:
            minutes = login_lock_minutes(username)
            if minutes:
                raise forms.ValidationError(self.error_messages["locked"], code="locked", params={"minutes": minutes})
        try:
            return super().clean()
        except forms.ValidationError as exc:
            minutes = login_lock_minutes(username) if username else 0
            if minutes:
                raise forms.ValidationError(
                    self.error_messages["locked"], code="locked", params={"minutes": minutes}
                ) from exc
            raise

    def get_invalid_login_error(self) -> forms.ValidationError:
        return forms.ValidationError(
            self.error_messages["invalid_login"],
            code="invalid_login",
            params={"max": settings.LOGIN_MAX_FAILURES, "lock": settings.LOGIN_LOCK_MINUTES},
        )


def apply_domain_error(form: forms.Form, exc: DomainError) -> None:
    """Show a service's error on the form: field errors on their fields, the rest on top."""
    placed = False
    for err in exc.errors:
        if err.field in form.fields:
            form.add_error(err.field, err.message)
            placed = True
    if not placed:
        form.add_error(None, exc.message)


class UserForm(forms.Form):
    username = forms.CharField(label=_("Username"), max_length=150)
    full_name = forms.CharField(label=_("Full name"), max_length=100)
    password = forms.CharField(label=_("Initial password"), widget=forms.PasswordInput, max_length=128)
    email = forms.EmailField(label=_("E-mail"), required=False)
    phone = forms.CharField(label=_("Mobile phone"), max_length=32, required=False)
    employee_no = forms.CharField(label=_("Employee number"), max_length=32, required=False)
    org_unit = forms.ModelChoiceField(label=_("Org unit"), queryset=OrgUnit.objects.none())
    roles = forms.MultipleChoiceField(
        label=_("Roles"), choices=[(r.code, r.label) for r in ROLES if r.staff], widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args: Any, units: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["org_unit"]).queryset = (
            units if units is not None else OrgUnit.objects.none()
        )


class UserEditForm(UserForm):
    is_active = forms.BooleanField(label=_("Active"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        del self.fields["username"]
        del self.fields["password"]


class OrgUnitForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    code = forms.CharField(label=_("Code"), max_length=32)
    kind = forms.ChoiceField(label=_("Kind"), choices=OrgUnitKind.choices)
    parent = forms.ModelChoiceField(label=_("Parent unit"), queryset=OrgUnit.objects.none(), required=False)
    phone = forms.CharField(label=_("Phone"), max_length=32, required=False)
    address = forms.CharField(label=_("Address"), max_length=200, required=False)

    def __init__(self, *args: Any, units: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["parent"]).queryset = (
            units if units is not None else OrgUnit.objects.none()
        )


class ApiTokenForm(forms.Form):
    name = forms.CharField(label=_("Token name"), max_length=100)
    expires_at = forms.DateTimeField(label=_("Expires (optional)"), required=False)
