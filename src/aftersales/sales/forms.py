"""Forms of the sales-order and service-contract pages: input shape only; the services check the rules."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, cast

from django import forms
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from aftersales.accounts.models import OrgUnit, User
from aftersales.catalog.models import ProductModel
from aftersales.customers.forms import CustomerPicker, DateInput, StaffChoiceField, StyledForm, row_formset
from aftersales.sales.models import ContractStatus, PaymentStatus, ServiceLevel


class OrderForm(StyledForm):
    customer = CustomerPicker(label=_("Customer"))
    org_unit = forms.ModelChoiceField(label=_("Store / outlet"), queryset=OrgUnit.objects.none())
    sales_staff = StaffChoiceField(label=_("Sales staff"), queryset=User.objects.none(), required=False)
    order_date = forms.DateField(label=_("Order date"), widget=DateInput)
    note = forms.CharField(label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args: Any, units: Any, staff: Any, customer: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["org_unit"]).queryset = units
        cast(forms.ModelChoiceField, self.fields["sales_staff"]).queryset = staff
        cast(CustomerPicker, self.fields["customer"]).set_current(customer)


class OrderLineForm(StyledForm):
    product_model = forms.ModelChoiceField(
        label=_("Product model"), queryset=ProductModel.objects.none(), required=False
    )
    quantity = forms.IntegerField(label=_("Quantity"), min_value=1, initial=1, required=False)
    unit_price = forms.DecimalField(label=_("Unit price"), max_digits=12, decimal_places=2, required=False)

    error_aliases = {"product_model_id": "product_model"}

    def __init__(self, *args: Any, models: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = cast(forms.ModelChoiceField, self.fields["product_model"])
        field.queryset = models
        field.widget.attrs.update({"data-line-model": "1", "data-tom": "1"})
        field.empty_label = ""
        self.fields["unit_price"].widget.attrs["data-line-price"] = "1"

    def is_blank(self) -> bool:
        return self.cleaned_data.get("product_model") is None

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("product_model") is not None:
            if data.get("quantity") is None:
                self.add_error("quantity", _("This field is required."))
            if data.get("unit_price") is None:
                self.add_error("unit_price", _("This field is required."))
        return data


OrderLineFormSet = row_formset(OrderLineForm)


class DeliverForm(StyledForm):
    """Serials delivered against the order's open lines: one text box per line, one serial per row."""

    delivered_on = forms.DateField(label=_("Delivered on"), widget=DateInput)
    installation_date = forms.DateField(label=_("Installed on (optional)"), required=False, widget=DateInput)

    def __init__(self, *args: Any, open_lines: list[tuple[Any, int]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.open_lines = []
        for line, remaining in open_lines:
            name = f"serials_{line.pk}"
            self.fields[name] = forms.CharField(
                label=str(line.product_model),
                required=False,
                widget=forms.Textarea(
                    attrs={"rows": min(max(remaining, 1), 4), "class": "form-control font-monospace"}
                ),
                help_text=_("Up to %(n)s serial numbers, one per row") % {"n": remaining},
            )
            self.open_lines.append((line, remaining, name))
        self.style_widgets()

    def serials(self) -> list[tuple[int, str]]:
        """(line id, serial) for every serial entered, in the order typed."""
        result = []
        for line, _remaining, name in self.open_lines:
            for raw in self.cleaned_data.get(name, "").replace(",", "\n").splitlines():
                if raw.strip():
                    result.append((line.pk, raw.strip()))
        return result

    def line_fields(self) -> list[Any]:
        return [self[name] for _line, _remaining, name in self.open_lines]


class PaymentForm(StyledForm):
    payment_status = forms.ChoiceField(label=_("Payment"), choices=PaymentStatus.choices)
    version = forms.IntegerField(widget=forms.HiddenInput)


class ContractForm(StyledForm):
    customer = CustomerPicker(label=_("Customer"))
    org_unit = forms.ModelChoiceField(label=_("Responsible unit"), queryset=OrgUnit.objects.none())
    starts_on = forms.DateField(label=_("Starts on"), widget=DateInput)
    ends_on = forms.DateField(label=_("Ends on"), widget=DateInput)
    units = forms.MultipleChoiceField(label=_("Covered units"), required=False, widget=forms.CheckboxSelectMultiple)
    service_level = forms.ChoiceField(label=_("Service level"), choices=ServiceLevel.choices)
    included_visits = forms.IntegerField(label=_("Included visits"), min_value=0, max_value=999, initial=0)
    includes_parts = forms.BooleanField(label=_("Parts included"), required=False)
    includes_labour = forms.BooleanField(label=_("Labour included"), required=False, initial=True)
    extended_warranty_months = forms.IntegerField(
        label=_("Extended warranty (months)"), min_value=0, max_value=120, initial=0
    )
    price = forms.DecimalField(label=_("Price"), max_digits=12, decimal_places=2, initial=Decimal("0.00"))
    note = forms.CharField(label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    error_aliases = {"unit_ids": "units"}

    def __init__(self, *args: Any, units: Any, customer_units: Any, customer: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["org_unit"]).queryset = units
        picker = cast(CustomerPicker, self.fields["customer"])
        picker.set_current(customer)
        # Choosing the customer reloads the list of their units to cover.
        picker.widget.attrs.update(
            {
                "hx-get": reverse("sales:contract_unit_options"),
                "hx-trigger": "change",
                "hx-target": "#unit-options",
                "hx-include": "this",
            }
        )
        cast(forms.MultipleChoiceField, self.fields["units"]).choices = unit_choices(customer_units)


def unit_choices(units: Any) -> list[tuple[str, str]]:
    return [(str(u.pk), f"{u.serial} · {u.product_model.code} {u.product_model.name}") for u in units]


class TransitionForm(StyledForm):
    target = forms.ChoiceField(choices=ContractStatus.choices)
    reason = forms.CharField(label=_("Reason"), max_length=500, required=False)
    version = forms.IntegerField(widget=forms.HiddenInput)
