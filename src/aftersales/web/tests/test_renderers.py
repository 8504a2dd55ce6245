"""The form renderer (web.renderers): Jinja2 writes the same HTML as Django's templates, the admin's
widgets still render, and a field group shows its label, errors and hint."""

from __future__ import annotations

import re

import pytest
from django import forms
from django.contrib.admin.widgets import AdminDateWidget, RelatedFieldWidgetWrapper
from django.core.files.uploadedfile import SimpleUploadedFile
from django.forms.renderers import DjangoTemplates, get_default_renderer
from django.utils.html import escape

from aftersales.web.renderers import FormRenderer

HOSTILE = "<script>alert(\"x\")</script> & 'quoted'"


def normalised(html: str) -> str:
    """Whitespace between tags aside, and one spelling of each escaped quote (Django writes &#x27; and
    &quot;, MarkupSafe &#39; and &#34;: the same characters to a browser)."""
    return re.sub(r"\s+", "", html.replace("&#x27;", "&#39;").replace("&quot;", "&#34;"))


class EveryWidget(forms.Form):
    text = forms.CharField(label="标题", max_length=20, help_text="最多 20 字", initial=HOSTILE)
    number = forms.IntegerField(min_value=0)
    hidden = forms.CharField(widget=forms.HiddenInput, initial="v1")
    area = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), initial=HOSTILE)
    flag = forms.BooleanField(required=False, initial=True)
    kind = forms.ChoiceField(choices=[("a", "甲"), ("b", HOSTILE)], initial="b")
    grouped = forms.ChoiceField(
        choices=[("", "—"), ("家电", [("ac", "空调"), ("wh", "热水器")]), ("净水", [("f", "滤芯")])], initial="wh"
    )
    many = forms.MultipleChoiceField(choices=[("1", "一"), ("2", "二"), ("3", "三")], initial=["1", "3"])
    radio = forms.ChoiceField(choices=[("reply", "回复"), ("note", "备注")], widget=forms.RadioSelect, initial="note")
    boxes = forms.MultipleChoiceField(
        choices=[("x", "X"), ("y", "Y")], widget=forms.CheckboxSelectMultiple, initial=["y"]
    )
    when = forms.DateTimeField(widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))
    day = forms.DateField(widget=forms.SelectDateWidget(years=[2025, 2026]))
    file = forms.FileField(required=False)


@pytest.mark.parametrize("bound", [False, True], ids=["unbound", "bound with errors"])
def test_every_widget_renders_as_djangos_own_templates_do(bound):
    data = {"text": HOSTILE * 3, "number": "-1", "kind": "zz", "many": ["2"], "day_year": "2026"}
    files = {"file": SimpleUploadedFile("a.txt", b"x")}
    jinja = EveryWidget(data if bound else None, files if bound else None, renderer=FormRenderer())
    django = EveryWidget(data if bound else None, files if bound else None, renderer=DjangoTemplates())
    if bound:
        assert not jinja.is_valid() and not django.is_valid()
    for name in EveryWidget.base_fields:
        ours, theirs = str(jinja[name]), str(django[name])
        assert normalised(ours) == normalised(theirs), name
        assert "<script>" not in ours, name
        assert normalised(str(jinja[name].errors)) == normalised(str(django[name].errors)), name
    assert normalised(str(jinja.non_field_errors())) == normalised(str(django.non_field_errors()))


def test_the_product_renders_forms_with_it():
    assert isinstance(get_default_renderer(), FormRenderer)


def test_a_template_only_django_has_falls_back_to_djangos_engine(db):
    """The admin's widget wrapper and date widget exist as Django templates only."""
    from django.contrib import admin

    from aftersales.accounts.models import OrgUnit

    field = OrgUnit._meta.get_field("parent")
    wrapped = RelatedFieldWidgetWrapper(forms.Select(choices=[("1", "总部")]), field.remote_field, admin.site)
    html = wrapped.render("parent", "1", renderer=FormRenderer())
    assert 'class="related-widget-wrapper"' in html and 'value="1" selected' in html
    assert 'class="vDateField' in AdminDateWidget().render("d", None, renderer=FormRenderer())
    with pytest.raises(Exception, match="nowhere/at-all.html"):
        FormRenderer().get_template("nowhere/at-all.html")


class Grouped(forms.Form):
    title = forms.CharField(label="标题", help_text="一句话说明问题")
    note = forms.CharField(label="备注", required=False)
    secret = forms.CharField(widget=forms.HiddenInput, required=False)
    agree = forms.BooleanField(label="已核实", required=False)


def test_a_field_group_shows_label_required_mark_errors_and_hint():
    form = Grouped({"title": "", "note": HOSTILE})
    assert not form.is_valid()
    title = form["title"].as_field_group()
    assert '<label class="form-label required" for="id_title">标题</label>' in title
    assert '<div class="invalid-feedback d-block">此项为必填项。</div>' in title
    assert '<small class="form-hint">一句话说明问题</small>' in title
    note = form["note"].as_field_group()
    assert '<label class="form-label" for="id_note">备注</label>' in note
    assert normalised(escape(HOSTILE)) in normalised(note) and "<script>" not in note
    assert "invalid-feedback" not in note and "form-hint" not in note


def test_a_hidden_field_is_its_input_alone_and_a_checkbox_wraps_its_label():
    form = Grouped(initial={"secret": "k1", "agree": True})
    assert form["secret"].as_field_group() == '<input type="hidden" name="secret" value="k1" id="id_secret">'
    agree = form["agree"].as_field_group()
    assert agree.startswith('<label class="form-check mb-2"><input type="checkbox" name="agree"')
    assert "checked" in agree and '<span class="form-check-label">已核实</span></label>' in agree
