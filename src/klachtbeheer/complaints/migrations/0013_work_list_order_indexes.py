"""The work list's whole order in its indexes (issue 15).

The work list sorts by the next term (none last), then receipt, then id
(`selectors.WORK_LIST_ORDER`). The old indexes stopped at the next term (and id),
so a page had to be sorted after reading: cheap among open complaints, but every
closed complaint has no next term, so a list of closed complaints (a state filter,
"no open term") sorted hundreds of thousands of rows at a million. These indexes
hold the whole order, alone and after each equality filter of the list (state,
district, handler); the new ones are made before the old ones go.
"""

from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("complaints", "0012_chain_legal_hold_anonymised"),
        ("organisation", "0002_retention_terms"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddIndex(
            model_name="complaint",
            index=models.Index(
                fields=["next_due_on", "received_on", "id"], name="complaint_work_order"
            ),
        ),
        migrations.AddIndex(
            model_name="complaint",
            index=models.Index(
                fields=["state", "next_due_on", "received_on", "id"], name="complaint_state_order"
            ),
        ),
        migrations.AddIndex(
            model_name="complaint",
            index=models.Index(
                fields=["district", "next_due_on", "received_on", "id"],
                name="complaint_district_order",
            ),
        ),
        migrations.AddIndex(
            model_name="complaint",
            index=models.Index(
                fields=["handler", "next_due_on", "received_on", "id"],
                name="complaint_handler_order",
            ),
        ),
        migrations.RemoveIndex(
            model_name="complaint",
            name="complaint_next_due",
        ),
        migrations.RemoveIndex(
            model_name="complaint",
            name="complaint_state_due",
        ),
        migrations.RemoveIndex(
            model_name="complaint",
            name="complaint_district_due",
        ),
        migrations.RemoveIndex(
            model_name="complaint",
            name="complaint_handler_due",
        ),
    ]
