"""The step registry is complete, and everything that lists steps derives from it."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from klachtbeheer.complaints import steps
from klachtbeheer.complaints.registry import BY_NAME, STEPS, primary_step, registry_table
from klachtbeheer.complaints.workflow import TRANSITIONS, State, Step

DOCS = Path(__file__).resolve().parent.parent / "docs" / "steps.md"


def test_every_step_has_one_entry_with_its_service_and_form():
    assert set(STEPS) == set(Step) == set(TRANSITIONS)
    for step, spec in STEPS.items():
        assert spec.step == step
        assert spec.service is not None, step
        assert spec.form is not None, step
        assert BY_NAME[spec.name] is spec
    assert steps.step_spec(Step.LOG_CONTACT_ATTEMPT).name == "contact-attempt"


def test_each_open_state_has_at_most_one_next_step_and_it_is_allowed_there():
    for state in State:
        step = primary_step(state)
        if step is not None:
            assert state in TRANSITIONS[step], (state, step)
    claimed = [state for spec in STEPS.values() for state in spec.primary_in]
    assert len(claimed) == len(set(claimed))


@pytest.mark.django_db
def test_the_form_gives_exactly_the_arguments_its_service_takes():
    import inspect

    for step, spec in STEPS.items():
        parameters = set(inspect.signature(spec.service).parameters) - {"actor", "reference"}
        form = spec.form()
        # Unbound forms have no cleaned data: use the service_arguments of a form
        # whose cleaned_data holds a placeholder for every field.
        form.cleaned_data = {name: None for name in form.fields}
        form.cleaned_data.update(measure_list=[], no_measures=False)
        try:
            given = set(form.service_arguments())
        except AttributeError:  # a form that reads `.pk` of a chosen object
            continue
        assert given <= parameters, (step, given - parameters)


@pytest.mark.skipif(bool(os.environ.get("UPDATE_DOCS")), reason="writing docs/steps.md")
def test_the_documentation_table_is_the_registry():
    assert (
        DOCS.read_text(encoding="utf-8").split("<!-- registry -->\n", 1)[1] == registry_table()
    ), "docs/steps.md is out of date: run UPDATE_DOCS=1 pytest tests/test_registry.py"


def test_write_the_documentation_table():
    if not os.environ.get("UPDATE_DOCS"):
        pytest.skip("set UPDATE_DOCS=1 to write docs/steps.md")
    head = DOCS.read_text(encoding="utf-8").split("<!-- registry -->\n", 1)[0]
    DOCS.write_text(head + "<!-- registry -->\n" + registry_table(), encoding="utf-8")
