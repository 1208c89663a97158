"""Status links sent again go through the outbox as their own kind; the answer to a message
that is not a complaint says why (issue 14): a new version of that letter, unless the
quality manager already changed it (then theirs stays, and they can add {{ reden }})."""

from django.db import migrations, models

from klachtbeheer.letters import defaults

# Version 1 of the not-a-complaint letter as 0002 seeded it.
PREVIOUS_BODY = 'Geachte {{ aanhef }},\n\nOp {{ ontvangen_op }} hebben wij uw bericht ontvangen (kenmerk {{ kenmerk }}). Wij hebben het gelezen en beoordeeld.\n\nUw bericht is geen klacht in de zin van onze klachtenregeling. Een klacht gaat over een tekortkoming van onze organisatie: afspraken die niet zijn nagekomen, dienstverlening die niet goed was, of de manier waarop een medewerker zich heeft gedragen. Wij behandelen uw bericht daarom niet als klacht.\n\nGaat uw bericht over een vraag of verzoek, dan zorgen wij dat de juiste medewerker het oppakt. Bent u het niet eens met onze beoordeling, of wilt u alsnog een klacht indienen? Neem dan contact met ons op, of schrijf naar:\n\n{{ adres_klachten }}\n\nMet vriendelijke groet,\n\n{{ ondertekenaar }}\n{{ functie }}\n{{ organisatie }}'


def new_version(apps, schema_editor):
    LetterTemplate = apps.get_model("letters", "LetterTemplate")
    current = LetterTemplate.objects.filter(kind="not_a_complaint").order_by("-version").first()
    if current is None or current.body.strip() != PREVIOUS_BODY.strip():
        return
    subject, body = defaults.TEMPLATES["not_a_complaint"]
    LetterTemplate.objects.create(
        kind="not_a_complaint", version=current.version + 1, subject=current.subject, body=body
    )


class Migration(migrations.Migration):
    dependencies = [("letters", "0005_outgoingmessage_mentions")]

    operations = [
        migrations.AlterField(
            model_name="outgoingmessage",
            name="kind",
            field=models.CharField(
                choices=[
                    ("letter", "Letter to the complainant"),
                    ("reminder", "Reminder to the handler"),
                    ("digest", "Overdue digest to the quality manager"),
                    ("status_link", "Status link sent again to the complainant"),
                ],
                max_length=16,
                verbose_name="kind",
            ),
        ),
        migrations.RunPython(new_version, migrations.RunPython.noop),
    ]
