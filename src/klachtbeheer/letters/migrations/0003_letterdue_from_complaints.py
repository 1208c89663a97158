"""The letters owed move from the complaints app to the letters app (one direction of imports).

The model's state moves here; its table is renamed from complaints_letterdue to
letters_letterdue, rows and ids kept. complaints.0007 drops the old state.
"""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("complaints", "0006_event_kind_complainant_message"),
        ("letters", "0002_seed_templates"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="LetterDue",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("kind", models.CharField(choices=[("acknowledgement", "Acknowledgement of receipt"), ("withdrawal", "Confirmation of withdrawal"), ("meeting_invitation", "Meeting invitation"), ("extension", "Notice of extension"), ("decision", "Decision letter"), ("not_a_complaint", "Answer: not a complaint")], max_length=32, verbose_name="letter")),
                        ("owed_since", models.DateTimeField(auto_now_add=True, verbose_name="owed since")),
                        ("sent_on", models.DateField(blank=True, null=True, verbose_name="sent on")),
                        ("cancelled_on", models.DateField(blank=True, help_text="Set when the complaint was reopened before this letter went out.", null=True, verbose_name="no longer owed since")),
                        ("data", models.JSONField(blank=True, default=dict, verbose_name="details")),
                        ("complaint", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="letters_due", to="complaints.complaint", verbose_name="complaint")),
                    ],
                    options={
                        "verbose_name": "letter owed",
                        "verbose_name_plural": "letters owed",
                        "ordering": ["owed_since", "id"],
                        "db_table": "complaints_letterdue",
                        "indexes": [models.Index(fields=["sent_on", "kind"], name="letterdue_open")],
                    },
                ),
                migrations.AlterField(
                    model_name="letter",
                    name="due",
                    field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name="letters", to="letters.letterdue", verbose_name="letter owed"),
                ),
            ],
            database_operations=[],
        ),
    ]
