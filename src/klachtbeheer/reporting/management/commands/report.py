"""`klachtbeheer report --year 2026`: the annual complaints report (PDF) and its figures (CSV)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils import translation

from klachtbeheer.core import clock
from klachtbeheer.organisation.models import Role
from klachtbeheer.organisation.selectors import people
from klachtbeheer.reporting.report import annual_report
from klachtbeheer.reporting.selectors import may_report


class Command(BaseCommand):
    help = "Write the annual complaints report (PDF) and its figures (CSV) for a year (P5.2)."

    def add_arguments(self, parser):
        parser.add_argument("--year", type=int, required=True, help="the year, e.g. 2026")
        parser.add_argument(
            "--user",
            help="whose view of the complaints (quality manager or board); "
            "default: the first active quality manager",
        )
        parser.add_argument(
            "--output-dir", default=".", help="where to write the files (default: here)"
        )
        parser.add_argument("--language", default="nl", choices=["nl", "en"])
        parser.add_argument(
            "--as-of",
            type=dt.date.fromisoformat,
            help="count terms and measures as they stood on this date (YYYY-MM-DD; default: today)",
        )

    def handle(self, *args, year, user, output_dir, language, as_of=None, **options):
        if not 2000 <= year <= clock.today().year:
            raise CommandError(f"there is no report for {year}")
        User = get_user_model()
        if user:
            reader = User.objects.filter(username=user, is_active=True).first()
        else:
            reader = (
                people().filter(staff_profile__role=Role.QUALITY_MANAGER).order_by("pk").first()
            )
        if reader is None or not may_report(reader):
            raise CommandError("the report is made for an active quality manager or board member")
        out = Path(output_dir)
        out.mkdir(parents=True, exist_ok=True)
        with translation.override(language):
            report = annual_report(reader, year=year, today=as_of)
            pdf_path = out / f"{report.filename_stem}.pdf"
            csv_path = out / f"{report.filename_stem}.csv"
            pdf_path.write_bytes(report.pdf())
            csv_path.write_text("\ufeff" + report.csv(), encoding="utf-8")
        self.stdout.write(f"{pdf_path}\n{csv_path}")
