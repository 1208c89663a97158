"""Version 1 of each letter template and the bodies for the next step (P4.1, P4.2)."""

from django.db import migrations

from klachtbeheer.letters import defaults


def seed(apps, schema_editor):
    LetterTemplate = apps.get_model("letters", "LetterTemplate")
    NextBody = apps.get_model("letters", "NextBody")
    LetterSettings = apps.get_model("letters", "LetterSettings")
    for kind, (subject, body) in defaults.TEMPLATES.items():
        if not LetterTemplate.objects.filter(kind=kind).exists():
            LetterTemplate.objects.create(kind=kind, version=1, subject=subject, body=body)
    for applies_to, (name, how) in defaults.NEXT_BODIES.items():
        NextBody.objects.get_or_create(
            applies_to=applies_to, defaults={"name": name, "how_to_reach": how}
        )
    LetterSettings.objects.get_or_create(pk=1)


class Migration(migrations.Migration):
    dependencies = [("letters", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
