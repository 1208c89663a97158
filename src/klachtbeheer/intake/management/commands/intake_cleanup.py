"""Remove what intake keeps only for a while: files of forms never sent (after a day),
rate-limit buckets and salts (after 24 hours) and spent proof-of-work challenges; and
files in storage that no row refers to (core.storage.sweep_orphans).
Run it daily (cron or a systemd timer); the rate limit also cleans up on every use."""

from __future__ import annotations

import datetime as dt

from django.core.management.base import BaseCommand
from django.db import transaction

from klachtbeheer.core import clock
from klachtbeheer.core.storage import sweep_orphans
from klachtbeheer.intake import ratelimit
from klachtbeheer.intake.models import SpentChallenge, Upload


class Command(BaseCommand):
    help = "Delete unsent uploads, old rate-limit data and spent challenges."

    def handle(self, *args, **options):
        now = clock.now()
        with transaction.atomic():
            ratelimit.purge(now)
            spent, _ = SpentChallenge.objects.filter(expires_at__lt=now).delete()
            stale = list(
                Upload.objects.filter(
                    submission__isnull=True, created_at__lt=now - dt.timedelta(days=1)
                )
            )
            for upload in stale:
                stored, storage = upload.file.name, upload.file.storage
                upload.delete()
                if not Upload.objects.filter(file=stored).exists():
                    transaction.on_commit(lambda s=storage, n=stored: s.delete(n))
        self.stdout.write(f"removed {len(stale)} unsent uploads and {spent} spent challenges")
        # What a killed process left in storage: temporary files, files no row refers to.
        swept = sweep_orphans()
        self.stdout.write(f"removed {swept.temporary} temporary and {swept.orphans} orphaned files")
