"""Remove what intake keeps only for a while: files of forms never sent (after a day),
rate-limit buckets and salts (after 24 hours), spent proof-of-work challenges and the
API's answers kept for an Idempotency-Key (after 24 hours).
Run it daily (cron or a systemd timer); the rate limit also cleans up on every use."""

from __future__ import annotations

import datetime as dt

from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from klachtbeheer.intake import ratelimit
from klachtbeheer.intake.models import SpentChallenge, Upload


class Command(BaseCommand):
    help = "Delete unsent uploads, old rate-limit data, spent challenges and kept API answers."

    def handle(self, *args, **options):
        # The intake API's retries: the project API keeps their answers (klachtbeheer.api).
        from klachtbeheer.api import idempotency

        now = timezone.now()
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
            answers = idempotency.purge(now)
        self.stdout.write(
            f"removed {len(stale)} unsent uploads, {spent} spent challenges "
            f"and {answers} kept API answers"
        )
