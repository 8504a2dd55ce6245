"""The quick select (`customers.forms.QuickSelect`): the markup of Django's own `Select`, written in
Python, for every kind of value, attribute and label it meets."""

from __future__ import annotations

import re

import pytest
from django import forms
from django.test.html import parse_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy, override

from aftersales.customers.forms import QuickSelect, attrs_html, options_html

CHOICES = [("", "全部"), (1, "a<b"), (2, 'q"x'), ("3", "c&d'"), (4, "普通")]


@pytest.mark.parametrize("value", [None, "", 1, "2", "3", [1, "3"], ("2",), "missing"])
@pytest.mark.parametrize(
    "attrs",
    [
        {"class": "form-select", "aria-label": "状态<", "title": 'say "x"'},
        {"id": "id_x", "required": True, "disabled": False},
        {},
    ],
)
def test_the_markup_is_djangos_select(value, attrs):
    ours = QuickSelect(attrs=attrs, choices=CHOICES).render("status", value)
    theirs = forms.Select(attrs=attrs, choices=CHOICES).render("status", value)
    assert parse_html(ours) == parse_html(re.sub(r">\s+<", "><", theirs))


def test_selected_and_escaped():
    html = QuickSelect(choices=CHOICES).render("s", "3")
    assert '<option value="3" selected>c&amp;d&#x27;</option>' in html
    assert '<option value="1">a&lt;b</option>' in html
    assert html.count(" selected") == 1
    assert "<b" not in html.replace("<option", "").replace("<select", "")


def test_an_empty_value_selects_the_empty_choice():
    for value in (None, ""):
        html = QuickSelect(choices=CHOICES).render("s", value)
        assert '<option value="" selected>全部</option>' in html and html.count(" selected") == 1


def test_one_option_selected_unless_multiple():
    assert options_html(CHOICES, [1, "3"]).count(" selected") == 1
    assert options_html(CHOICES, [1, "3"], multiple=True).count(" selected") == 2


def test_safe_labels_are_kept_and_lazy_ones_translated():
    html = options_html([(1, mark_safe("<i>x</i>")), (2, gettext_lazy("Status"))])
    assert "<i>x</i>" in html
    with override("zh-hans"):
        assert ">状态<" in options_html([(2, gettext_lazy("Status"))])


def test_attributes_as_flatatt_writes_them():
    """Sorted pairs, then the true flags; False and None leave the attribute out."""
    assert attrs_html({"b": "2", "a": '<"x">', "on": True, "off": False, "none": None}) == (
        ' a="&lt;&quot;x&quot;&gt;" b="2" on'
    )
    assert attrs_html({}) == ""
