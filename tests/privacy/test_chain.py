"""The tamper-evident record (issue 11.7): every audit, timeline and access-log row is
linked into one hash chain; the database refuses changes; `audit verify` names the
first row that does not fit, also after an attacker dropped the trigger."""

from __future__ import annotations

import json

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from klachtbeheer.complaints.models import AccessLog, Event
from klachtbeheer.complaints.selectors import complaint_for
from klachtbeheer.core import chain
from klachtbeheer.core.models import AuditEntry
from klachtbeheer.privacy import record
from tests.factories import ComplaintFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

TABLES = {
    "core_auditentry": AuditEntry,
    "complaints_event": Event,
    "complaints_accesslog": AccessLog,
}


@pytest.fixture
def history(world):
    complaint = ComplaintFactory(contacted=True)
    complaint_for(world.qm, reference=complaint.reference, via="web")
    return complaint


def _verify_exit(capsys) -> tuple[int, str]:
    try:
        call_command("audit", "verify")
    except SystemExit as exit_:
        return int(exit_.code), capsys.readouterr().err
    return 0, capsys.readouterr().out


def _drop_guard(table: str) -> None:
    with connection.cursor() as cursor:
        for statement in chain.uninstall_sql(connection.vendor, table):
            if "kb_seal" not in statement:
                cursor.execute(statement)


def test_every_history_row_is_linked_and_the_chain_verifies(history, capsys):
    result = record.verify()
    assert result.ok, result.problem
    counts = sum(model.objects.count() for model in TABLES.values())
    assert result.rows == counts > 5
    seqs = sorted(
        seq
        for model in TABLES.values()
        for seq in model.objects.values_list("chain_seq", flat=True)
    )
    assert seqs == list(range(1, counts + 1))
    assert _verify_exit(capsys)[0] == 0


def test_the_content_list_covers_every_column(history):
    for table, model in TABLES.items():
        columns = {f.attname for f in model._meta.concrete_fields}
        covered = set(chain.CONTENT_FIELDS[table]) | set(chain.ERASABLE[table])
        assert columns == covered | set(chain.META_COLUMNS), table


@pytest.mark.parametrize("table", list(TABLES))
def test_the_database_refuses_update_and_delete(history, table):
    record.verify()  # seals this transaction's rows on PostgreSQL
    model = TABLES[table]
    row = model.objects.order_by("-erasure_salt", "id").first()
    column = {
        "core_auditentry": "action",
        "complaints_event": "kind",
        "complaints_accesslog": "via",
    }
    statements = [
        f"UPDATE {table} SET {column[table]} = 'x' WHERE id = %s",
        f"DELETE FROM {table} WHERE id = %s",
    ]
    if row.erasure_salt:
        # Blanking without also dropping the salt is no erasure either.
        statements.append(f"UPDATE {table} SET data = '{{}}' WHERE id = %s")
    for sql in statements:
        with (
            pytest.raises(DatabaseError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(sql, [row.pk])
    if connection.vendor == "postgresql":
        with (
            pytest.raises(DatabaseError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(f"TRUNCATE {table} CASCADE")
    assert model.objects.filter(pk=row.pk).exists()


def test_a_tampered_row_is_named_by_verify(history, capsys):
    record.verify()  # seals this transaction's rows on PostgreSQL
    note = Event.objects.filter(complaint=history).order_by("chain_seq")[1]
    _drop_guard("complaints_event")
    with connection.cursor() as cursor:
        cursor.execute("UPDATE complaints_event SET kind = 'verdict' WHERE id = %s", [note.pk])
    code, message = _verify_exit(capsys)
    assert code == 1
    assert f"complaints_event id {note.pk} (link {note.chain_seq})" in message
    assert "content does not match its hash" in message


def test_changed_text_is_found_through_its_digest(history, capsys):
    record.verify()
    event = Event.objects.exclude(erasure_salt="").order_by("chain_seq").first()
    _drop_guard("complaints_event")
    with connection.cursor() as cursor:
        cursor.execute("UPDATE complaints_event SET text = 'anders' WHERE id = %s", [event.pk])
    code, message = _verify_exit(capsys)
    assert code == 1 and f"complaints_event id {event.pk}" in message
    assert "do not match their digest" in message


def test_a_removed_row_and_a_recomputed_hash_are_found(history, capsys):
    record.verify()
    rows = list(AuditEntry.objects.order_by("chain_seq"))
    middle = rows[len(rows) // 2]
    _drop_guard("core_auditentry")
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM core_auditentry WHERE id = %s", [middle.pk])
    code, message = _verify_exit(capsys)
    assert code == 1 and f"link {middle.chain_seq} is missing" in message


def test_rewriting_a_row_with_its_own_hash_breaks_the_next_link(history, capsys):
    record.verify()
    rows = list(AuditEntry.objects.order_by("chain_seq"))
    victim = rows[0]
    values = AuditEntry.objects.filter(pk=victim.pk).values().get()
    values["action"] = "complaint.note"
    forged = chain.content_hash("core_auditentry", values, values["erasable_digest"])
    _drop_guard("core_auditentry")
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE core_auditentry SET action = %s, content_hash = %s, chain_hash = %s "
            "WHERE id = %s",
            ["complaint.note", forged, chain.link_hash(victim.prev_hash, forged), victim.pk],
        )
    code, message = _verify_exit(capsys)
    assert code == 1
    assert "does not follow the row before it" in message


def test_erasure_is_the_one_change_allowed_and_verify_wants_it_anonymised(history, capsys):
    record.verify()
    events = Event.objects.filter(complaint=history)
    assert events.exclude(erasure_salt="").exists()
    events.erase()
    assert not events.exclude(text="").exists()
    code, message = _verify_exit(capsys)
    assert code == 1 and "erased, but its subject was not anonymised" in message
    type(history).objects.filter(pk=history.pk).update(anonymised_at=history.created_at)
    result = record.verify()
    assert result.ok and result.erased > 0


def test_the_audit_log_of_a_period_exports_as_csv_and_json(history, tmp_path):
    # The day as the export and `at__date` read it: in the organisation's time zone.
    day = timezone.localdate(AuditEntry.objects.order_by("at").first().at).isoformat()
    call_command(
        "audit",
        "export",
        "--from",
        day,
        "--to",
        day,
        "--format",
        "json",
        "--out",
        str(tmp_path / "a.json"),
    )
    data = json.loads((tmp_path / "a.json").read_text())
    assert len(data["entries"]) == AuditEntry.objects.filter(at__date=day).count() > 0
    call_command("audit", "export", "--from", day, "--to", day, "--out", str(tmp_path / "a.csv"))
    lines = (tmp_path / "a.csv").read_text(encoding="utf-8").splitlines()
    assert lines[0].lstrip("\ufeff").startswith("seq;at;actor;action")
    assert len(lines) == len(data["entries"]) + 1
