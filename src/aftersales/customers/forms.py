"""Forms of the customer pages: they check the shape of input; the services check the rules.

Also the small form helpers the catalog and sales pages share (apps above this one may import them;
`web.forms` sits above every app, so the apps cannot import from it).
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, cast

from django import forms
from django.forms.formsets import BaseFormSet
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext_lazy as _

from aftersales.accounts.models import OrgUnit, User
from aftersales.core.errors import DomainError
from aftersales.core.models import Region
from aftersales.customers import rules
from aftersales.customers.models import CustomerKind, Gender, SourceChannel, Tier

# --- shared helpers ---------------------------------------------------------------------------


class DateInput(forms.DateInput):
    """A date box in ISO form that the page turns into a (Chinese) flatpickr calendar."""

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs={"data-date": "1", "autocomplete": "off", **(attrs or {})}, format="%Y-%m-%d")


def attrs_html(attrs: Mapping[str, Any]) -> str:
    """`flatatt` without a `format_html` per attribute: the same string (key="value" pairs sorted, then
    the true booleans), values escaped; keys are ours and not escaped (as in `flatatt`)."""
    pairs = sorted((key, value) for key, value in attrs.items() if value is not None and not isinstance(value, bool))
    flags = sorted(key for key, value in attrs.items() if value is True)
    return "".join(f' {key}="{_escape(value)}"' for key, value in pairs) + "".join(f" {key}" for key in flags)


def options_html(
    choices: Iterable[tuple[Any, Any]], chosen: Iterable[Any] = (), *, multiple: bool = False
) -> SafeString:
    """`<option>`s for flat (value, label) choices, escaped with the standard library's `html.escape`
    (what Django's `escape` calls) rather than a `format_html` each. As in Django's `Select`, the
    first option whose value is in `chosen` is selected (every one when `multiple`)."""
    picked = {str(v) for v in chosen}
    parts = []
    for value, label in choices:
        selected = str(value) in picked
        if selected and not multiple:
            picked = set()
        parts.append(f'<option value="{_escape(value)}"{" selected" if selected else ""}>{_escape(label)}</option>')
    return mark_safe("".join(parts))  # noqa: S308 (every value and label is escaped)


def _escape(value: Any) -> str:
    """Django's `conditional_escape` for one value: markup already safe is kept."""
    return value.__html__() if hasattr(value, "__html__") else html.escape(str(value))


class QuickSelect(forms.Select):
    """A select whose options are written in Python rather than through a template each: a list of a
    thousand staff or teams renders in well under a millisecond instead of tens (flat choices only).
    The markup is Django's `Select` markup."""

    def render(self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None) -> SafeString:
        final = self.build_attrs(self.attrs, attrs)
        final["name"] = name
        chosen = self.format_value(value)  # as Django's Select: None and "" select the empty choice
        options = options_html(self.choices, chosen, multiple=self.allow_multiple_selected)
        return mark_safe(f"<select{attrs_html(final)}>{options}</select>")  # noqa: S308 (escaped above)


class TablerMixin:
    """Gives every widget the Tabler class it needs, so templates can render fields as they are."""

    fields: dict[str, forms.Field]

    def style_widgets(self) -> None:
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, forms.CheckboxSelectMultiple | forms.RadioSelect):
                continue
            if isinstance(widget, forms.CheckboxInput):
                css = "form-check-input"
            elif isinstance(widget, forms.Select):
                css = "form-select"
            else:
                css = "form-control"
            existing = widget.attrs.get("class", "")
            if css not in existing.split():
                widget.attrs["class"] = f"{existing} {css}".strip()


class StyledForm(TablerMixin, forms.Form):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.style_widgets()

    def add_error(self, field: str | None, error: Any) -> None:
        super().add_error(field, error)
        if field and field in self.fields:
            widget = self.fields[field].widget
            classes = widget.attrs.get("class", "").split()
            if "is-invalid" not in classes:
                widget.attrs["class"] = " ".join([*classes, "is-invalid"])


def _place(form: forms.Form, name: str, message: str, aliases: Mapping[str, str] | None = None) -> bool:
    """Put `message` on the form field that a service's field name means; False when there is none."""
    candidates = [name]
    if aliases and name in aliases:
        candidates.insert(0, aliases[name])
    if name.endswith("_id"):
        candidates.append(name[:-3])
    for candidate in candidates:
        if candidate in form.fields:
            form.add_error(candidate, message)
            return True
    return False


def apply_domain_error(
    form: forms.Form,
    exc: DomainError,
    *,
    rows: Mapping[str, Sequence[forms.Form]] | None = None,
    aliases: Mapping[str, str] | None = None,
) -> None:
    """Show a service's error on the form: field errors on their fields, the rest on top.

    Like `web.forms.apply_domain_error`, plus: `owner_id` lands on the field `owner`, and an indexed
    error such as `phones.1.number` lands on the second row that was sent to the service
    (`rows={"phones": [row forms in the order they were sent]}`).
    """
    placed = False
    for err in exc.errors:
        message = str(err.message)
        if _place(form, err.field, message, aliases):
            placed = True
            continue
        head, _dot, rest = err.field.partition(".")
        index, _dot, sub = rest.partition(".")
        if rows and head in rows and index.isdigit() and int(index) < len(rows[head]):
            row = rows[head][int(index)]
            if not (sub and _place(row, sub, message, getattr(row, "error_aliases", None))):
                row.add_error(None, message)
            placed = True
            continue
        form.add_error(None, message)
        placed = True
    if not placed:
        form.add_error(None, str(exc.message))


def split_tags(text: str) -> tuple[str, ...]:
    """ "老客户, 净水；VIP" → ("老客户", "净水", "VIP"): commas (also Chinese ones), semicolons and 、 separate."""
    parts = (p.strip() for p in re.split(r"[,，;；、\n]+", text or ""))
    return tuple(dict.fromkeys(p for p in parts if p))


def choice_label(choices: Iterable[tuple[Any, Any]], value: Any) -> str:
    return next((str(label) for v, label in choices if v == value), str(value or ""))


def customer_label(customer: Any) -> str:
    """How a customer appears in pickers: name · number · masked phone (never the full number)."""
    phones = list(customer.phones.all())
    phone = rules.mask_phone(phones[0].number) if phones else ""
    return " · ".join(p for p in (customer.name, customer.code, phone) if p)


class StaffChoiceField(forms.ModelChoiceField):
    """A staff member, searchable (Tom Select), shown with the unit: 王小明 · 上海徐汇服务网点."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, empty_label="", **kwargs)
        self.widget.attrs["data-tom"] = "1"

    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.display_name} · {obj.org_unit or ''}"


class CustomerPicker(forms.IntegerField):
    """A customer chosen by searching (Tom Select loads matches from `customers:lookup`)."""

    widget = forms.Select

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.widget.attrs.update(
            {
                "data-picker": "customer",
                "class": "form-select",
                "placeholder": _("Search by name, customer number or phone"),
            }
        )

    def set_current(self, customer: Any | None) -> None:
        """The option shown before the user searches: the customer already chosen, if any."""
        options: list[tuple[Any, str]] = [("", "")]
        if customer is not None:
            options.append((customer.pk, customer_label(customer)))
        cast(forms.Select, self.widget).choices = options


# --- customer form ----------------------------------------------------------------------------


class CustomerForm(StyledForm):
    name = forms.CharField(label=_("Name"), max_length=100)
    kind = forms.ChoiceField(label=_("Kind"), choices=CustomerKind.choices, initial=CustomerKind.INDIVIDUAL)
    gender = forms.ChoiceField(label=_("Gender"), choices=Gender.choices, required=False)
    company_credit_code = forms.CharField(
        label=_("Unified social credit code"), max_length=18, required=False, help_text=_("Companies only")
    )
    org_unit = forms.ModelChoiceField(label=_("Org unit"), queryset=OrgUnit.objects.none())
    owner = StaffChoiceField(label=_("Responsible staff"), queryset=User.objects.none(), required=False)
    tier = forms.ChoiceField(label=_("Tier"), choices=Tier.choices, required=False)
    email = forms.EmailField(label=_("E-mail"), required=False)
    birthday = forms.DateField(label=_("Birthday"), required=False, widget=DateInput)
    birthday_is_lunar = forms.BooleanField(label=_("Celebrates the lunar birthday"), required=False)
    wedding_anniversary = forms.DateField(label=_("Wedding anniversary"), required=False, widget=DateInput)
    hobbies = forms.CharField(label=_("Hobbies"), max_length=200, required=False)
    preferences = forms.CharField(label=_("Preferences"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    tags = forms.CharField(
        label=_("Tags"), required=False, max_length=300, help_text=_("Separate tags with commas, e.g. 老客户, 净水")
    )
    marketing_consent = forms.BooleanField(label=_("Agrees to marketing"), required=False)
    source_channel = forms.ChoiceField(
        label=_("Source channel"), choices=SourceChannel.choices, initial=SourceChannel.OTHER
    )
    note = forms.CharField(label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    allow_duplicate = forms.BooleanField(label=_("Create anyway"), required=False)

    def __init__(self, *args: Any, units: Any, staff: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["org_unit"]).queryset = units
        cast(forms.ModelChoiceField, self.fields["owner"]).queryset = staff


class PhoneForm(StyledForm):
    number = forms.CharField(label=_("Phone number"), max_length=32, required=False)
    label = forms.CharField(label=_("Label"), max_length=30, required=False)
    is_primary = forms.BooleanField(label=_("Primary"), required=False)

    def is_blank(self) -> bool:
        return not self.cleaned_data.get("number", "").strip()


class AddressForm(StyledForm):
    """Province → city → district cascade; the most specific chosen level is the address's region."""

    province = forms.CharField(label=_("Province"), required=False, widget=forms.Select)
    city = forms.CharField(label=_("City"), required=False, widget=forms.Select)
    district = forms.CharField(label=_("District / county"), required=False, widget=forms.Select)
    detail = forms.CharField(label=_("Detailed address"), max_length=200, required=False)
    postcode = forms.CharField(label=_("Postcode"), max_length=6, required=False)
    label = forms.CharField(label=_("Label"), max_length=30, required=False)
    is_default = forms.BooleanField(label=_("Default"), required=False)

    error_aliases = {"region_code": "district"}

    def __init__(self, *args: Any, provinces: Sequence[tuple[str, str]] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        chosen = {name: self._value(name) for name in ("province", "city", "district")}
        empty: list[tuple[str, str]] = [("", "—")]
        self._set_choices("province", [*empty, *provinces], level=1)
        self._set_choices("city", [*empty, *region_children(chosen["province"])], level=2)
        self._set_choices("district", [*empty, *region_children(chosen["city"])], level=3)

    def _value(self, name: str) -> str:
        if self.is_bound:
            return str(self.data.get(self.add_prefix(name), "") or "")
        return str(self.initial.get(name, "") or "")

    def _set_choices(self, name: str, choices: list[tuple[str, str]], *, level: int) -> None:
        widget = cast(forms.Select, self.fields[name].widget)
        widget.choices = choices
        widget.attrs.update({"data-region-level": str(level)})

    def region_code(self) -> str:
        return str(self.cleaned_data.get("district") or self.cleaned_data.get("city") or "")

    def is_blank(self) -> bool:
        data = self.cleaned_data
        return not (data.get("province") or data.get("detail", "").strip())


class ContactForm(StyledForm):
    name = forms.CharField(label=_("Name"), max_length=100, required=False)
    title = forms.CharField(label=_("Position / relation"), max_length=50, required=False)
    phone = forms.CharField(label=_("Phone number"), max_length=32, required=False)
    email = forms.EmailField(label=_("E-mail"), required=False)
    is_primary = forms.BooleanField(label=_("Primary"), required=False)

    def is_blank(self) -> bool:
        data = self.cleaned_data
        return not any(str(data.get(k, "")).strip() for k in ("name", "title", "phone", "email"))


def region_children(parent_code: str) -> list[tuple[str, str]]:
    """The divisions directly under a province or city (a province's directly governed counties included)."""
    if not parent_code:
        return []
    return list(Region.objects.filter(parent_id=parent_code).order_by("code").values_list("code", "name"))


def provinces() -> list[tuple[str, str]]:
    return list(Region.objects.filter(level=1).order_by("code").values_list("code", "name"))


def region_path(code: str) -> dict[str, str]:
    """{"province": …, "city": …, "district": …} that select `code` in the cascade."""
    chain: list[str] = []
    region = Region.objects.filter(pk=code).select_related("parent__parent").first()
    while region is not None:
        chain.insert(0, region.code)
        region = region.parent
    return dict(zip(("province", "city", "district"), chain, strict=False))


def row_formset(form: type[forms.Form]) -> type[BaseFormSet]:
    return forms.formset_factory(form, extra=0, can_delete=True)


PhoneFormSet = row_formset(PhoneForm)
AddressFormSet = row_formset(AddressForm)
ContactFormSet = row_formset(ContactForm)


def filled_rows(formset: BaseFormSet) -> list[Any]:
    """The rows to send to the service: neither deleted nor left empty, in page order."""
    return [f for f in formset.forms if not f.cleaned_data.get("DELETE") and not f.is_blank()]


class MergeForm(StyledForm):
    source = forms.IntegerField(widget=forms.HiddenInput)
    reason = forms.CharField(label=_("Reason"), max_length=200, required=False)
    confirm = forms.BooleanField(label=_("I have checked that both records are the same customer"))
