"""The form renderer's widgets written in Python give Django's own HTML (issue 15).

`core.form_renderer.FormRenderer` writes inputs, selects and text areas without
Django's widget templates; each is held here to what the templates make, for every
kind of widget it writes, with generated names, values, labels and attributes
(hostile ones included: quotes, angle brackets, text marked safe)."""

from __future__ import annotations

from django import forms
from django.forms.renderers import DjangoTemplates
from django.utils.safestring import mark_safe
from hypothesis import given, settings
from hypothesis import strategies as st

from klachtbeheer.core.form_renderer import WRITTEN, FormRenderer

OURS, DJANGOS = FormRenderer(), DjangoTemplates()

text = st.text(alphabet=st.sampled_from("aZ09 <>&\"'é=/-_"), max_size=12)
safe_or_not = st.one_of(text, text.map(mark_safe))
attr_value = st.one_of(safe_or_not, st.booleans(), st.none(), st.integers(-5, 5))
attrs = st.dictionaries(st.sampled_from(["id", "class", "aria-describedby", "data-x"]), attr_value)
INPUTS = [
    forms.TextInput,
    forms.EmailInput,
    forms.NumberInput,
    forms.PasswordInput,
    forms.URLInput,
    forms.HiddenInput,
    forms.DateInput,
    forms.TimeInput,
    forms.DateTimeInput,
    forms.SearchInput,
    forms.TelInput,
    forms.ColorInput,
    forms.FileInput,
]


def both(widget: forms.Widget, name: str, value, widget_attrs: dict) -> tuple[str, str]:
    return (
        widget.render(name, value, attrs=widget_attrs, renderer=OURS),
        widget.render(name, value, attrs=widget_attrs, renderer=DJANGOS),
    )


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(INPUTS), text, st.one_of(safe_or_not, st.none(), st.integers()), attrs)
def test_inputs_as_django_writes_them(kind, name, value, widget_attrs):
    ours, djangos = both(kind(), name, value, widget_attrs)
    assert ours == djangos


@settings(max_examples=40, deadline=None)
@given(st.one_of(st.booleans(), st.none(), text), attrs)
def test_checkboxes_as_django_writes_them(value, widget_attrs):
    ours, djangos = both(forms.CheckboxInput(), "mine", value, widget_attrs)
    assert ours == djangos


choice = st.tuples(st.one_of(text, st.integers(-3, 99)), safe_or_not)
choices = st.lists(st.one_of(choice, st.tuples(text, st.lists(choice, max_size=3))), max_size=6)


@settings(max_examples=60, deadline=None)
@given(choices, st.one_of(text, st.integers(-3, 99), st.none()), attrs, st.booleans())
def test_selects_as_django_writes_them(options, value, widget_attrs, multiple):
    widget = (forms.SelectMultiple if multiple else forms.Select)(choices=options)
    selected = [value] if multiple else value
    ours, djangos = both(widget, "district", selected, widget_attrs)
    assert ours == djangos


@settings(max_examples=40, deadline=None)
@given(st.one_of(safe_or_not, st.none()), attrs)
def test_text_areas_as_django_writes_them(value, widget_attrs):
    ours, djangos = both(forms.Textarea(), "substantiation", value, widget_attrs)
    assert ours == djangos


def test_a_model_choice_field_as_django_writes_it(db):
    from klachtbeheer.organisation.models import District

    District.objects.create(name="Noord & <Oost>")
    field = forms.ModelChoiceField(queryset=District.objects.all(), empty_label="Alle")
    ours, djangos = both(field.widget, "district", None, {"id": "id_district"})
    assert ours == djangos and "Noord &amp; &lt;Oost&gt;" in ours


def test_the_widgets_not_written_go_through_the_templates():
    radio = forms.RadioSelect(choices=[("a", "A"), ("b", "B")])
    assert both(radio, "kind", "a", {})[0] == both(radio, "kind", "a", {})[1]
    assert not any(name.endswith(("radio.html", "checkbox_select.html")) for name in WRITTEN)


def test_an_app_that_overrides_a_widget_template_keeps_it(settings, tmp_path):
    """With select.html overridden (here: by a template folder of one's own), the select
    goes through the templates again; the inputs do not."""
    folder = tmp_path / "django" / "forms" / "widgets"
    folder.mkdir(parents=True)
    (folder / "select.html").write_text('<select data-own name="{{ widget.name }}"></select>')

    class Overridden(FormRenderer):
        @property
        def engine(self):
            return self.backend(
                {
                    "APP_DIRS": True,
                    "DIRS": [tmp_path, *DJANGOS.engine.dirs],
                    "NAME": "x",
                    "OPTIONS": {},
                }
            )

    renderer = Overridden()
    assert (
        forms.Select(choices=[("a", "A")])
        .render("x", "a", renderer=renderer)
        .startswith("<select data-own")
    )
    assert forms.TextInput().render("q", "v", renderer=renderer) == (
        forms.TextInput().render("q", "v", renderer=DJANGOS)
    )


def test_the_project_renders_its_forms_so(settings):
    from django.forms.renderers import get_default_renderer

    assert settings.FORM_RENDERER == "klachtbeheer.core.form_renderer.FormRenderer"
    get_default_renderer.cache_clear()
    assert isinstance(get_default_renderer(), FormRenderer)
