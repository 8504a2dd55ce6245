"""Forms of the portal and the scan page: they check the shape of input; the services check the rules."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext_lazy as _

from aftersales.core.errors import DomainError
from aftersales.portal import rules
from aftersales.service.models import RequestType

PHOTO_ACCEPT = "image/*,video/mp4,application/pdf"


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class PhotosField(forms.FileField):
    """Several files from one <input type=file multiple> (at most MAX_PHOTOS); the service checks each."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault(
            "widget", MultipleFileInput(attrs={"multiple": True, "accept": PHOTO_ACCEPT, "class": "form-control"})
        )
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[UploadedFile]:
        if not data:
            return []
        items = data if isinstance(data, list | tuple) else [data]
        if len(items) > rules.MAX_PHOTOS:
            raise forms.ValidationError(_("At most %(n)s photos."), params={"n": rules.MAX_PHOTOS})
        return [super(PhotosField, self).clean(item, initial) for item in items]


class PortalForm(forms.Form):
    """A form whose widgets carry Tabler's classes and turn red on an error."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, forms.RadioSelect | forms.HiddenInput | forms.ClearableFileInput):
                continue
            css = "form-select" if isinstance(widget, forms.Select) else "form-control"
            widget.attrs["class"] = f"{widget.attrs.get('class', '')} {css}".strip()

    def add_error(self, field: str | None, error: Any) -> None:
        super().add_error(field, error)
        if field and field in self.fields:
            widget = self.fields[field].widget
            widget.attrs["class"] = f"{widget.attrs.get('class', '')} is-invalid".strip()


def apply_domain_error(form: forms.Form, exc: DomainError, *, aliases: dict[str, str] | None = None) -> None:
    """A service's field errors on their fields (`unit_id` → `unit`, `attachments.0` → `photos`), the rest on top."""
    placed = False
    for err in exc.errors:
        name = (aliases or {}).get(err.field.split(".")[0], err.field.split(".")[0])
        name = name[:-3] if name.endswith("_id") and name not in form.fields else name
        if name in form.fields:
            form.add_error(name, str(err.message))
            placed = True
    if not placed:
        form.add_error(None, str(exc.message))


ATTACHMENT_ALIASES = {"attachments": "photos", "body": "body"}


class RequestForm(PortalForm):
    """报修/咨询: what the customer reports in the portal."""

    idempotency_key = forms.CharField(widget=forms.HiddenInput, required=False, max_length=100)
    type = forms.ChoiceField(
        label=_("What do you need?"),
        choices=[(t, RequestType(t).label) for t in rules.PORTAL_TYPES],
        initial=RequestType.REPAIR,
        widget=forms.RadioSelect,
    )
    unit = forms.TypedChoiceField(label=_("Which product?"), coerce=int, empty_value=None, required=False)
    title = forms.CharField(
        label=_("In a few words"),
        max_length=200,
        widget=forms.TextInput(attrs={"placeholder": _("e.g. The purifier leaks")}),
    )
    description = forms.CharField(
        label=_("Details"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4, "placeholder": _("When did it start, what did you notice…")}),
    )
    contact_phone = forms.CharField(
        label=_("Phone number to reach you"),
        max_length=20,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}),
    )
    photos = PhotosField(label=_("Photos or video"))

    def __init__(self, *args: Any, units: Any = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        unit_field = self.fields["unit"]
        assert isinstance(unit_field, forms.TypedChoiceField)
        unit_field.choices = [
            ("", _("No particular product")),
            *((u.pk, f"{u.product_model.name} · {u.serial}") for u in units),
        ]


class CommentForm(PortalForm):
    """补充信息: more words or photos for a request."""

    body = forms.CharField(
        label=_("Add information"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": _("Anything our engineer should know…")}),
    )
    photos = PhotosField(label=_("Photos or video"))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not (data.get("body") or "").strip() and not data.get("photos"):
            raise forms.ValidationError(_("Write something or add a photo."))
        return data


class ReopenForm(PortalForm):
    """问题未解决: the customer says why the problem is not solved."""

    version = forms.IntegerField(widget=forms.HiddenInput)
    reason = forms.CharField(
        label=_("What is still wrong?"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class ScanForm(PortalForm):
    """The phone-sized report form behind a unit's QR code."""

    name = forms.CharField(label=_("Your name"), max_length=100, widget=forms.TextInput(attrs={"autocomplete": "name"}))
    phone = forms.CharField(
        label=_("Mobile phone"),
        max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel", "placeholder": "138 0000 0000"}),
    )
    fault = forms.CharField(
        label=_("What is wrong?"),
        max_length=2000,
        widget=forms.Textarea(
            attrs={"rows": 4, "placeholder": _("e.g. Water leaks under the purifier since yesterday")}
        ),
    )
    photos = PhotosField(label=_("Photos or video"))


class LabelForm(forms.Form):
    """Which units to print labels for (GET)."""

    ids = forms.CharField(required=False)
    customer = forms.IntegerField(required=False, min_value=1)
    serials = forms.CharField(
        label=_("Serial numbers"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "class": "form-control", "placeholder": "SN0001, SN0002"}),
    )
