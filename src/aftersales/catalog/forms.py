"""Forms of the product-archive and fee-schedule pages: input shape only; the services check the rules."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from aftersales.accounts.models import OrgUnit
from aftersales.catalog.models import (
    ProductCategory,
    ProductLine,
    ProductModel,
    UnitStatus,
    WarrantyPolicy,
    WarrantyStart,
)
from aftersales.catalog.rules import DamageCause
from aftersales.customers.forms import AddressForm, CustomerPicker, DateInput, StyledForm

DAMAGE_CHOICES = [
    (DamageCause.NONE.value, _("A defect of the product itself")),
    (DamageCause.MISUSE.value, _("Not used or kept as the manual says")),
    (DamageCause.WRONG_INSTALLATION.value, _("Wrong installation")),
    (DamageCause.MAN_MADE.value, _("Man-made damage")),
    (DamageCause.FORCE_MAJEURE.value, _("Force majeure")),
]


class UnitForm(StyledForm):
    serial = forms.CharField(label=_("Serial number"), max_length=50)
    product_model = forms.ModelChoiceField(label=_("Product model"), queryset=ProductModel.objects.none())
    org_unit = forms.ModelChoiceField(label=_("Selling store / outlet"), queryset=OrgUnit.objects.none())
    customer = CustomerPicker(label=_("Owner"), required=False)
    sale_date = forms.DateField(label=_("Sale date"), required=False, widget=DateInput)
    installation_date = forms.DateField(label=_("Installation date"), required=False, widget=DateInput)
    invoice_no = forms.CharField(label=_("Invoice number"), max_length=40, required=False)
    voucher_no = forms.CharField(label=_("Warranty voucher number"), max_length=40, required=False)
    extended_warranty_until = forms.DateField(label=_("Extended warranty until"), required=False, widget=DateInput)
    note = forms.CharField(label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, models: Any, units: Any, customer: Any = None, editing: bool = False, **kw: Any):
        super().__init__(*args, **kw)
        model_field = cast(forms.ModelChoiceField, self.fields["product_model"])
        model_field.queryset = models
        model_field.widget.attrs["data-tom"] = "1"
        model_field.empty_label = ""
        cast(forms.ModelChoiceField, self.fields["org_unit"]).queryset = units
        if editing:
            del self.fields["customer"]  # the owner changes only by a transfer, which keeps the history
            self.fields["version"].required = True  # optimistic locking: the version the user read
        else:
            cast(CustomerPicker, self.fields["customer"]).set_current(customer)


class TransferForm(StyledForm):
    customer = CustomerPicker(label=_("New owner"))
    on = forms.DateField(label=_("Transfer date"), widget=DateInput)
    reason = forms.CharField(label=_("Reason"), max_length=200)

    def __init__(self, *args: Any, customer: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(CustomerPicker, self.fields["customer"]).set_current(customer)


class WarrantyCaseForm(StyledForm):
    """The facts of one case; the defaults describe an ordinary defect with complete papers."""

    case = forms.CharField(widget=forms.HiddenInput, required=False, initial="1")
    on = forms.DateField(label=_("Date of the case"), required=False, widget=DateInput)
    voucher_present = forms.BooleanField(label=_("Warranty voucher present"), required=False, initial=True)
    invoice_present = forms.BooleanField(label=_("Invoice present"), required=False, initial=True)
    date_proven = forms.BooleanField(label=_("Purchase date proven otherwise"), required=False)
    voucher_altered = forms.BooleanField(label=_("Voucher altered"), required=False)
    serial_matches = forms.BooleanField(label=_("Serial number matches the unit"), required=False, initial=True)
    damage_cause = forms.ChoiceField(label=_("Cause of the damage"), choices=DAMAGE_CHOICES, required=False)
    unauthorised_repair = forms.BooleanField(label=_("Repaired or opened by someone not authorised"), required=False)


class ProductModelForm(StyledForm):
    code = forms.CharField(label=_("Model number"), max_length=40)
    name = forms.CharField(label=_("Name"), max_length=100)
    product_line = forms.ModelChoiceField(label=_("Product line"), queryset=ProductLine.objects.none())
    category = forms.ModelChoiceField(label=_("Category"), queryset=ProductCategory.objects.none(), required=False)
    brand = forms.CharField(label=_("Brand"), max_length=50, required=False)
    warranty_policy = forms.ModelChoiceField(label=_("Warranty policy"), queryset=WarrantyPolicy.objects.none())
    dealer_price = forms.DecimalField(label=_("Dealer price"), max_digits=12, decimal_places=2, required=False)
    market_price = forms.DecimalField(label=_("Market guide price"), max_digits=12, decimal_places=2, required=False)
    needs_installation = forms.BooleanField(label=_("Needs installation"), required=False)
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, lines: Any, categories: Any, policies: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["product_line"]).queryset = lines
        cast(forms.ModelChoiceField, self.fields["category"]).queryset = categories
        cast(forms.ModelChoiceField, self.fields["warranty_policy"]).queryset = policies


class PolicyForm(StyledForm):
    code = forms.CharField(label=_("Code"), max_length=20)
    name = forms.CharField(label=_("Name"), max_length=100)
    months = forms.IntegerField(label=_("Warranty period (months)"), min_value=0, max_value=240)
    starts_from = forms.ChoiceField(label=_("Counted from"), choices=WarrantyStart.choices)
    covers_parts = forms.BooleanField(label=_("Parts free"), required=False, initial=True)
    covers_labour = forms.BooleanField(label=_("Labour free"), required=False, initial=True)
    covers_call_out = forms.BooleanField(label=_("Call-out free"), required=False, initial=True)
    scope = forms.CharField(label=_("What it covers"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)


class QuoteForm(AddressForm):
    """Region (province → city → district), date, labour items and distance for a fee quote."""

    on = forms.DateField(label=_("Service date"), required=False, widget=DateInput)
    labour_codes = forms.MultipleChoiceField(label=_("Labour items"), required=False)
    distance_km = forms.DecimalField(
        label=_("Distance (km)"), min_value=0, max_digits=7, decimal_places=1, required=False, initial=0
    )

    def __init__(self, *args: Any, labour: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in ("detail", "postcode", "label", "is_default"):
            del self.fields[name]
        codes = cast(forms.MultipleChoiceField, self.fields["labour_codes"])
        codes.choices = [(code, f"{code} {name}") for code, name in labour]
        codes.widget.attrs.update({"data-tom": "1", "class": "form-select"})

    def service_date(self) -> Any:
        return self.cleaned_data.get("on") or timezone.localdate()


UNIT_STATUS_CHOICES = UnitStatus.choices
