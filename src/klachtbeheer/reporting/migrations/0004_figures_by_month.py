from django.db import migrations

from klachtbeheer.reporting import aggregates


def install(apps, schema_editor):
    # PostgreSQL: the functions as they are now (the open complaints and the pending
    # terms also by month, the pending terms by their date), and everything counted
    # again with them.
    aggregates.install(schema_editor)


class Migration(migrations.Migration):
    dependencies = [
        ("reporting", "0003_merge_aggregates_export_job"),
    ]

    # Backwards nothing is undone: the functions and rows stay those of this migration,
    # which the reading before it does not know (the month rows of a pending term carry
    # only the month of its date). To go back, migrate reporting to 0001_initial and
    # forward again with the older code: 0002_aggregates installs its functions then.
    operations = [migrations.RunPython(install, migrations.RunPython.noop)]
