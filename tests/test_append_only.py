"""History is written once (P5.1): timeline events, audit rows and access rows are never
changed or removed, not one by one and not in bulk."""

from __future__ import annotations

import pytest

from klachtbeheer.complaints.models import AccessLog, Event
from klachtbeheer.complaints.selectors import complaint_for
from klachtbeheer.core.models import AuditEntry
from tests.factories import ComplaintFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

MODELS = [Event, AuditEntry, AccessLog]


@pytest.fixture
def history(world):
    complaint = ComplaintFactory(contacted=True)
    complaint_for(world.qm, reference=complaint.reference, via="web")
    return complaint


def _row_values(model):
    return list(model.objects.order_by("pk").values())


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_a_row_cannot_be_saved_again(history, model):
    before = _row_values(model)
    row = model.objects.order_by("pk").first()
    field = {"Event": "text", "AuditEntry": "action", "AccessLog": "via"}[model.__name__]
    setattr(row, field, "changed")
    with pytest.raises(RuntimeError, match="append-only"):
        row.save()
    with pytest.raises(RuntimeError, match="append-only"):
        row.save(update_fields=[field])
    assert _row_values(model) == before


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_a_row_cannot_be_deleted(history, model):
    before = _row_values(model)
    row = model.objects.order_by("pk").first()
    with pytest.raises(RuntimeError, match="append-only"):
        row.delete()
    assert _row_values(model) == before


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_rows_cannot_be_changed_or_deleted_in_bulk(history, model):
    before = _row_values(model)
    assert before
    field = {"Event": "text", "AuditEntry": "action", "AccessLog": "via"}[model.__name__]
    with pytest.raises(RuntimeError, match="append-only"):
        model.objects.all().update(**{field: "changed"})
    with pytest.raises(RuntimeError, match="append-only"):
        model.objects.filter(pk=before[0]["id"]).delete()
    rows = list(model.objects.all())
    for row in rows:
        setattr(row, field, "changed")
    with pytest.raises(RuntimeError, match="append-only"):
        model.objects.bulk_update(rows, [field])
    assert _row_values(model) == before


def test_new_rows_can_still_be_added(history, world):
    before = {model: model.objects.count() for model in MODELS}
    complaint_for(world.qm, reference=history.reference, via="web")
    assert AccessLog.objects.count() == before[AccessLog] + 1
    Event.objects.create(complaint=history, kind="note", text="Nieuw")
    assert Event.objects.count() == before[Event] + 1
