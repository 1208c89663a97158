"""The status link moves down into complaints (letters mint one for the acknowledgement).

Every link is copied with its hash and dates; a held submission's link is
pointed at from the submission (intake sits above complaints, so the arrow
goes down); a link of a submission that became a complaint gets that complaint.
"""

import django.db.models.deletion
from django.db import migrations, models


def copy_links(apps, schema_editor):
    Old = apps.get_model("intake", "StatusLink")
    New = apps.get_model("complaints", "StatusLink")
    Submission = apps.get_model("intake", "Submission")
    for old in Old.objects.select_related("submission").order_by("pk").iterator():
        complaint_id = old.complaint_id or (old.submission.complaint_id if old.submission_id else None)
        new = New.objects.create(
            token_hash=old.token_hash, complaint_id=complaint_id, expires_at=old.expires_at
        )
        New.objects.filter(pk=new.pk).update(created_at=old.created_at)
        if old.submission_id:
            Submission.objects.filter(pk=old.submission_id, status_link__isnull=True).update(
                status_link=new
            )


def copy_back(apps, schema_editor):
    Old = apps.get_model("intake", "StatusLink")
    New = apps.get_model("complaints", "StatusLink")
    Submission = apps.get_model("intake", "Submission")
    by_link = dict(
        Submission.objects.filter(status_link__isnull=False).values_list("status_link_id", "pk")
    )
    for new in New.objects.order_by("pk").iterator():
        old = Old.objects.create(
            token_hash=new.token_hash,
            complaint_id=new.complaint_id,
            submission_id=by_link.get(new.pk),
            expires_at=new.expires_at,
        )
        Old.objects.filter(pk=old.pk).update(created_at=new.created_at)
    New.objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [
        ("complaints", "0011_statuslink_and_form_of_address"),
        ("intake", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="submission",
            name="status_link",
            field=models.OneToOneField(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="submission",
                to="complaints.statuslink",
                verbose_name="status link",
            ),
        ),
        migrations.RunPython(copy_links, copy_back),
        migrations.RemoveConstraint(model_name="statuslink", name="statuslink_has_target"),
        migrations.DeleteModel(name="StatusLink"),
    ]
