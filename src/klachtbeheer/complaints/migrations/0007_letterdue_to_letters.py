"""The letters owed now belong to the letters app (letters.0003); a sent letter is its own event kind."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("complaints", "0006_event_kind_complainant_message"),
        ("letters", "0003_letterdue_from_complaints"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="LetterDue")],
            database_operations=[],
        ),
    ]
