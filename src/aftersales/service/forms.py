"""Forms of the agent workbench: they check the shape of input; the services check the rules."""

from __future__ import annotations

import datetime as dt
from typing import Any, cast

from django import forms
from django.core.files.uploadedfile import UploadedFile
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from aftersales.customers.forms import DateInput, QuickSelect, StyledForm
from aftersales.service.models import Channel, FaultCategory, RequestType, Status, Urgency

SORTS = [
    ("received", _("Newest received first")),
    ("urgency", _("Most urgent first")),
    ("due", _("Time limit, soonest first")),
    ("promised", _("Promised time, soonest first")),
]
PAGE_SIZES = (25, 50, 100)


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files from one <input type=file multiple>; the service checks their type and size."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput(attrs={"multiple": True}))
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[UploadedFile]:
        if not data:
            return []
        items = data if isinstance(data, list | tuple) else [data]
        return [super(MultipleFileField, self).clean(item, initial) for item in items]


class DateTimeInput(forms.DateTimeInput):
    """A date-and-time box (2026-11-22 14:30) that the page turns into a Chinese flatpickr calendar."""

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(
            attrs={"data-datetime": "1", "autocomplete": "off", "placeholder": "YYYY-MM-DD HH:MM", **(attrs or {})},
            format="%Y-%m-%d %H:%M",
        )


class LocalDateTimeField(forms.DateTimeField):
    input_formats = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S"]
    widget = DateTimeInput


class FaultCategoryField(forms.ModelChoiceField):
    """A fault category shown with its parent: 漏水 › 底部漏水."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("empty_label", _("(not classified yet)"))
        super().__init__(*args, **kwargs)

    def label_from_instance(self, obj: Any) -> str:
        parent = obj.parent
        return f"{parent.name} › {obj.name}" if parent is not None else obj.name


def fault_queryset(product_line_id: int | None) -> Any:
    qs = FaultCategory.objects.filter(is_active=True).select_related("parent", "product_line")
    if product_line_id:
        qs = qs.filter(product_line_id=product_line_id)
    return qs.order_by("product_line__code", "code")


def _choices(empty: Any, items: Any) -> list[tuple[Any, Any]]:
    return [("", empty), *items]


# --- the workbench ----------------------------------------------------------------------------


class QueueFilterForm(StyledForm):
    """The queue's filters (GET); anything malformed is ignored rather than refused."""

    status = forms.ChoiceField(label=_("Status"), required=False, widget=QuickSelect)
    type = forms.ChoiceField(label=_("Type"), required=False, widget=QuickSelect)
    urgency = forms.ChoiceField(label=_("Urgency"), required=False, widget=QuickSelect)
    team = forms.TypedChoiceField(
        label=_("Owner team"), required=False, coerce=int, empty_value=None, widget=QuickSelect
    )
    assignee = forms.TypedChoiceField(
        label=_("Assignee"), required=False, coerce=int, empty_value=None, widget=QuickSelect
    )
    since = forms.DateField(label=_("Received from"), required=False, widget=DateInput)
    until = forms.DateField(label=_("Received to"), required=False, widget=DateInput)
    q = forms.CharField(label=_("Search"), required=False, max_length=100)
    sort = forms.ChoiceField(label=_("Sort"), required=False, choices=SORTS, widget=QuickSelect)

    def __init__(self, *args: Any, teams: Any = (), staff: Any = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        fields = self.fields
        cast(forms.ChoiceField, fields["status"]).choices = _choices(_("All statuses"), Status.choices)
        cast(forms.ChoiceField, fields["type"]).choices = _choices(_("All types"), RequestType.choices)
        cast(forms.ChoiceField, fields["urgency"]).choices = _choices(_("All urgencies"), Urgency.choices)
        cast(forms.ChoiceField, fields["team"]).choices = _choices(_("All teams"), [(t.pk, t.name) for t in teams])
        cast(forms.ChoiceField, fields["assignee"]).choices = _choices(
            _("Anyone"), [(u.pk, u.display_name) for u in staff]
        )
        for field in fields.values():
            field.widget.attrs.setdefault("aria-label", str(field.label))
            field.widget.attrs.setdefault("title", str(field.label))

    def filters(self) -> dict[str, Any]:
        """The selector's keyword arguments for the valid filters (invalid ones are left out)."""
        if not self.is_bound:
            return {}
        self.is_valid()
        data = self.cleaned_data
        tz = timezone.get_current_timezone()
        result: dict[str, Any] = {}
        for name in ("status", "type", "urgency", "q"):
            if data.get(name):
                result[name] = data[name].strip() if name == "q" else data[name]
        if data.get("team"):
            result["team_id"] = data["team"]
        if data.get("assignee"):
            result["assignee_id"] = data["assignee"]
        if data.get("since"):
            result["since"] = dt.datetime.combine(data["since"], dt.time.min, tzinfo=tz)
        if data.get("until"):
            result["until"] = dt.datetime.combine(data["until"] + dt.timedelta(days=1), dt.time.min, tzinfo=tz)
        return result

    @property
    def sort_key(self) -> str:
        return (self.cleaned_data.get("sort") if self.is_bound and self.is_valid() else "") or "received"

    @property
    def active(self) -> bool:
        """Whether any filter (other than the sort) is set: the page offers to clear them."""
        return bool(self.filters())


class BulkForm(forms.Form):
    """Bulk actions on the rows ticked in a queue: each row is `id:version` as the page showed it."""

    ACTIONS = [("assign", _("Assign")), ("cancel", _("Cancel"))]

    action = forms.ChoiceField(choices=ACTIONS)
    rows = forms.MultipleChoiceField(required=False)
    assignee = forms.TypedChoiceField(required=False, coerce=int, empty_value=None)
    team = forms.TypedChoiceField(required=False, coerce=int, empty_value=None)
    reason = forms.CharField(required=False, max_length=200)

    def __init__(self, *args: Any, teams: Any = (), staff: Any = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["team"]).choices = _choices("", [(t.pk, t.name) for t in teams])
        cast(forms.ChoiceField, self.fields["assignee"]).choices = _choices("", [(u.pk, u.display_name) for u in staff])
        # Any "id:version" is acceptable in shape; each row is then read through the scoped selector.
        cast(forms.MultipleChoiceField, self.fields["rows"]).valid_value = lambda value: _row_ok(value)  # type: ignore[method-assign]

    def selected(self) -> list[tuple[int, int]]:
        result = []
        for value in self.cleaned_data.get("rows") or []:
            pk, _sep, version = value.partition(":")
            result.append((int(pk), int(version)))
        return result


def _row_ok(value: str) -> bool:
    pk, sep, version = str(value).partition(":")
    return bool(sep) and pk.isdigit() and version.isdigit()


# --- the request page -------------------------------------------------------------------------

ACTION_META: dict[str, tuple[Any, str, str]] = {
    # action → (button label, icon, the field it needs: "", "reason" or "resolution")
    "register": (_("Register"), "ti-clipboard-check", ""),
    "start": (_("Start work"), "ti-player-play", ""),
    "wait_customer": (_("Wait for customer"), "ti-user-pause", "reason"),
    "wait_parts": (_("Wait for parts"), "ti-package", "reason"),
    "resume": (_("Resume work"), "ti-player-play", ""),
    "resolve": (_("Resolve"), "ti-circle-check", "resolution"),
    "close": (_("Close"), "ti-lock", ""),
    "reopen": (_("Reopen"), "ti-refresh", "reason"),
    "cancel": (_("Cancel request"), "ti-ban", "reason"),
}


class TransitionForm(StyledForm):
    action = forms.ChoiceField(choices=[(a, m[0]) for a, m in ACTION_META.items()], widget=forms.HiddenInput)
    version = forms.IntegerField(widget=forms.HiddenInput)
    reason = forms.CharField(
        label=_("Reason"), required=False, max_length=200, widget=forms.Textarea(attrs={"rows": 2})
    )
    resolution = forms.CharField(label=_("How it was solved"), required=False, widget=forms.Textarea(attrs={"rows": 3}))


class AssignForm(StyledForm):
    version = forms.IntegerField(widget=forms.HiddenInput)
    assignee = forms.TypedChoiceField(label=_("Assignee"), required=False, coerce=int, empty_value=None)
    team = forms.TypedChoiceField(label=_("Owner team"), required=False, coerce=int, empty_value=None)
    reason = forms.CharField(
        label=_("Reason"),
        required=False,
        max_length=200,
        help_text=_("Required when the request already has an assignee."),
    )

    def __init__(self, *args: Any, teams: Any = (), staff: Any = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["team"]).choices = _choices(
            _("(keep the team)"), [(t.pk, t.name) for t in teams]
        )
        cast(forms.ChoiceField, self.fields["assignee"]).choices = _choices(
            _("(nobody in particular)"), [(u.pk, f"{u.display_name} · {u.org_unit or ''}") for u in staff]
        )


class EscalateForm(StyledForm):
    to_unit = forms.TypedChoiceField(label=_("To team"), required=False, coerce=int, empty_value=None)
    to_user = forms.TypedChoiceField(label=_("To person"), required=False, coerce=int, empty_value=None)
    found = forms.CharField(label=_("What was found"), widget=forms.Textarea(attrs={"rows": 3}))
    done = forms.CharField(label=_("What was already done"), widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args: Any, teams: Any = (), staff: Any = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["to_unit"]).choices = _choices("", [(t.pk, t.name) for t in teams])
        cast(forms.ChoiceField, self.fields["to_user"]).choices = _choices(
            "", [(u.pk, f"{u.display_name} · {u.org_unit or ''}") for u in staff]
        )


class JudgmentForm(StyledForm):
    """The judgment of a request (type, urgency, fault, unit, promise …), saved with the version seen."""

    version = forms.IntegerField(widget=forms.HiddenInput)
    type = forms.ChoiceField(label=_("Type"), choices=RequestType.choices)
    urgency = forms.ChoiceField(label=_("Urgency"), choices=Urgency.choices)
    title = forms.CharField(label=_("Title"), max_length=200)
    description = forms.CharField(
        label=_("Problem description"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    fault_category = FaultCategoryField(
        label=_("Fault category"), queryset=FaultCategory.objects.none(), required=False
    )
    unit = forms.TypedChoiceField(label=_("Unit"), required=False, coerce=int, empty_value=None)
    promised_at = LocalDateTimeField(label=_("Promised time"), required=False)
    promise_note = forms.CharField(label=_("What was promised"), required=False, max_length=200)
    contact_name = forms.CharField(label=_("Contact name"), required=False, max_length=100)
    contact_phone = forms.CharField(label=_("Contact phone"), required=False, max_length=20)

    def __init__(self, *args: Any, units: Any = (), product_line_id: int | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(FaultCategoryField, self.fields["fault_category"]).queryset = fault_queryset(product_line_id)
        cast(forms.ChoiceField, self.fields["unit"]).choices = _choices(
            _("(no unit)"), [(u.pk, f"{u.serial} · {u.product_model.code}") for u in units]
        )


class CommentForm(StyledForm):
    VISIBILITY = [("reply", _("Reply to customer")), ("note", _("Internal note"))]

    visibility = forms.ChoiceField(choices=VISIBILITY, initial="reply", widget=forms.RadioSelect)
    body = forms.CharField(
        label=_("Text"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": _("Write a reply or an internal note…")}),
    )
    attachments = MultipleFileField(label=_("Attachments"))


# --- intake -----------------------------------------------------------------------------------

INTAKE_CHANNELS = [(Channel.PHONE.value, Channel.PHONE.label), (Channel.WALK_IN.value, Channel.WALK_IN.label)]


class IntakeForm(StyledForm):
    """A request taken on the phone or at the counter."""

    idempotency_key = forms.CharField(widget=forms.HiddenInput, required=False, max_length=100)
    customer = forms.IntegerField(widget=forms.HiddenInput, required=False)
    unit = forms.IntegerField(widget=forms.HiddenInput, required=False)
    channel = forms.ChoiceField(label=_("Channel"), choices=INTAKE_CHANNELS, initial=Channel.PHONE)
    type = forms.ChoiceField(label=_("Type"), choices=RequestType.choices, initial=RequestType.REPAIR)
    urgency = forms.ChoiceField(label=_("Urgency"), choices=Urgency.choices, initial=Urgency.NORMAL)
    title = forms.CharField(label=_("Title"), max_length=200)
    description = forms.CharField(
        label=_("Problem description"), required=False, widget=forms.Textarea(attrs={"rows": 4})
    )
    fault_category = FaultCategoryField(
        label=_("Fault category"), queryset=FaultCategory.objects.none(), required=False
    )
    contact_name = forms.CharField(label=_("Contact name"), required=False, max_length=100)
    contact_phone = forms.CharField(label=_("Contact phone"), required=False, max_length=20)
    promised_at = LocalDateTimeField(label=_("Promised time"), required=False)
    promise_note = forms.CharField(
        label=_("What was promised"),
        required=False,
        max_length=200,
        widget=forms.TextInput(attrs={"placeholder": _("e.g. an engineer calls back within 2 hours")}),
    )
    resolve_now = forms.BooleanField(label=_("Solved on the spot"), required=False)
    resolution = forms.CharField(label=_("How it was solved"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    attachments = MultipleFileField(label=_("Attachments (photos, documents)"))

    def __init__(self, *args: Any, product_line_id: int | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(FaultCategoryField, self.fields["fault_category"]).queryset = fault_queryset(product_line_id)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("customer"):
            self.add_error(None, _("Look up the caller and pick a customer (or create a new one)."))
        return data


class QuickCustomerForm(StyledForm):
    """The few fields a new caller needs; the rest of the record is completed in the customer archive."""

    prefix = "new"
    name = forms.CharField(label=_("Name"), max_length=100)
    phone = forms.CharField(label=_("Mobile phone"), max_length=32)
    org_unit = forms.TypedChoiceField(label=_("Org unit"), coerce=int)

    def __init__(self, *args: Any, units: Any = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["org_unit"]).choices = [(u.pk, u.name) for u in units]
