"""The upload form: it checks the shape of the input; the services check the rules."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from aftersales.accounts.models import OrgUnit
from aftersales.exchange.models import ImportKind, ImportMode


class ImportUploadForm(forms.Form):
    kind = forms.ChoiceField(label=_("What to import"))
    file = forms.FileField(
        label=_("File"), help_text=_("Excel (.xlsx) or CSV (UTF-8 or GBK); the first row holds the column names.")
    )
    mode = forms.ChoiceField(
        label=_("Mode"), choices=ImportMode.choices, initial=ImportMode.ALL_OR_NOTHING, widget=forms.RadioSelect
    )
    org_unit = forms.ModelChoiceField(
        label=_("Org unit"),
        queryset=OrgUnit.objects.none(),
        help_text=_("Rows without an org unit code are created in this unit."),
    )

    def __init__(self, *args: Any, kinds: list[str], units: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["kind"]).choices = [(k, ImportKind(k).label) for k in kinds]
        cast(forms.ModelChoiceField, self.fields["org_unit"]).queryset = units
