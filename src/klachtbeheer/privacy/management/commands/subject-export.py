"""`klachtbeheer subject-export --email ADDRESS --out FILE.zip` (AVG art. 15, issue 10.4)."""

from __future__ import annotations

from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from klachtbeheer.privacy.subject import Query, export_zip


class Command(BaseCommand):
    help = "Write everything about one person (complainant or person concerned) to a ZIP."

    def add_arguments(self, parser):
        parser.add_argument("--email", default="")
        parser.add_argument("--phone", default="")
        parser.add_argument("--name", default="")
        parser.add_argument("--out", required=True, help="the ZIP file to write")
        parser.add_argument("--by", default="", help="user name of who asked (audit log)")

    def handle(self, *args, email, phone, name, out, by, **options):
        query = Query(email=email, phone=phone, name=name)
        if query.empty:
            raise CommandError("Give --email, --phone or --name.")
        actor = None
        if by:
            actor = get_user_model().objects.filter(username=by).first()
            if actor is None:
                raise CommandError(f"No user {by!r}.")
        content, found = export_zip(actor=actor, query=query)
        Path(out).write_bytes(content)
        self.stdout.write(
            f"{out}: {len(found.as_complainant)} complaint(s) as complainant, "
            f"{len(found.as_concerned)} as person concerned, {len(content)} bytes."
        )
