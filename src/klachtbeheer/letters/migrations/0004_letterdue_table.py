"""The letters owed get the letters app's own table name (rows and ids kept)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("letters", "0003_letterdue_from_complaints"),
        ("complaints", "0007_letterdue_to_letters"),
    ]

    operations = [migrations.AlterModelTable(name="letterdue", table=None)]
