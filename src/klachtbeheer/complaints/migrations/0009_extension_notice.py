"""P3.8, one rule: the complaint keeps what its settlement term depends on.

`extension_notice_due_on` is the term an extension replaces (its written notice
must go out by then, and it counts when the notice does not);
`extension_notice_sent_on` is the day that notice went out. Both are filled
from the extension notices owed (letters.LetterDue, kind "extension") and the
stored next term is worked out again for the complaints still open.

Filling, per extended complaint: the notice of the current extension is the
owed letter whose "until" is the extended date (an owed letter without a date
counts as one, as the register counted it before); an earlier extension's
notice that went out by the term in writing at the time moves that term up to
its date. The four weeks are the first term in writing.
"""

import datetime as dt

from django.db import migrations, models


def _date(value):
    try:
        return dt.date.fromisoformat(value) if value else None
    except (TypeError, ValueError):
        return None


def fill(apps, schema_editor):
    Complaint = apps.get_model("complaints", "Complaint")
    LetterDue = apps.get_model("letters", "LetterDue")
    extended = Complaint.objects.filter(extended_until__isnull=False).order_by("pk")
    for complaint in extended.iterator(chunk_size=500):
        in_writing = complaint.settle_due_on
        sent = None
        notices = LetterDue.objects.filter(complaint_id=complaint.pk, kind="extension").order_by(
            "owed_since", "id"
        )
        for notice in notices:
            until = _date((notice.data or {}).get("until"))
            if until is None or until == complaint.extended_until:
                if notice.sent_on is not None and (sent is None or notice.sent_on < sent):
                    sent = notice.sent_on
            elif (
                notice.sent_on is not None
                and notice.sent_on <= in_writing
                and in_writing < until < complaint.extended_until
            ):
                in_writing = until
        complaint.extension_notice_due_on = in_writing
        complaint.extension_notice_sent_on = sent
        # The stored next term (complaints.terms.next_due_on), for a complaint still open.
        if complaint.state != "not_a_complaint" and complaint.settled_on is None:
            dues = [complaint.contact_due_on] if complaint.contacted_on is None else []
            if sent is not None and sent <= in_writing:
                dues.append(complaint.extended_until)
            else:
                dues.append(in_writing)
            complaint.next_due_on = min(dues)
        complaint.save(
            update_fields=["extension_notice_due_on", "extension_notice_sent_on", "next_due_on"]
        )


class Migration(migrations.Migration):
    dependencies = [
        ("complaints", "0008_event_kind_letter_sent"),
        ("letters", "0004_letterdue_table"),
    ]

    operations = [
        migrations.AddField(
            model_name="complaint",
            name="extension_notice_due_on",
            field=models.DateField(
                blank=True,
                help_text="The term the extension replaces: the written notice must go out by then (P3.8).",
                null=True,
                verbose_name="extension notice due",
            ),
        ),
        migrations.AddField(
            model_name="complaint",
            name="extension_notice_sent_on",
            field=models.DateField(blank=True, null=True, verbose_name="extension notice sent on"),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop, elidable=False),
        migrations.AddConstraint(
            model_name="complaint",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(
                        ("extended_until__isnull", True),
                        ("extension_notice_due_on__isnull", True),
                        ("extension_notice_sent_on__isnull", True),
                    ),
                    models.Q(
                        ("extended_until__isnull", False),
                        ("extension_notice_due_on__isnull", False),
                        ("extended_until__gt", models.F("extension_notice_due_on")),
                    ),
                    _connector="OR",
                ),
                name="complaint_extension_replaces_a_term",
            ),
        ),
    ]
