"""Every outgoing message records the complaints it names (P3.2).

A digest or a measure reminder names several complaints; the outbox hides a
message from whoever may not see one of them. Messages already queued get
theirs from their complaint and the references in their subject and text.
"""

import re

from django.db import migrations, models

REFERENCE = re.compile(r"\bKL-\d{4}-\d{5,}\b")


def name_the_complaints(apps, schema_editor):
    OutgoingMessage = apps.get_model("letters", "OutgoingMessage")
    Complaint = apps.get_model("complaints", "Complaint")
    Through = OutgoingMessage.mentions.through
    rows = []
    for message in OutgoingMessage.objects.only("pk", "complaint_id", "subject", "body").iterator():
        named = {message.complaint_id} if message.complaint_id else set()
        references = set(REFERENCE.findall(f"{message.subject}\n{message.body}"))
        if references:
            named |= set(
                Complaint.objects.filter(reference__in=references).values_list("pk", flat=True)
            )
        rows += [Through(outgoingmessage_id=message.pk, complaint_id=pk) for pk in named]
    Through.objects.bulk_create(rows, batch_size=1000)


class Migration(migrations.Migration):
    dependencies = [
        ("complaints", "0008_event_kind_letter_sent"),
        ("letters", "0004_letterdue_table"),
    ]

    operations = [
        migrations.AddField(
            model_name="outgoingmessage",
            name="mentions",
            field=models.ManyToManyField(
                blank=True,
                help_text="Every complaint the message names, by reference.",
                related_name="+",
                to="complaints.complaint",
                verbose_name="complaints named",
            ),
        ),
        migrations.RunPython(name_the_complaints, migrations.RunPython.noop),
    ]
