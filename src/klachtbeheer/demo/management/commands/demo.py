from django.core.management.base import BaseCommand

from klachtbeheer.complaints.models import Complaint
from klachtbeheer.demo.data import DEMO_PASSWORD, USERS, load_demo


class Command(BaseCommand):
    help = "Load the demo organisation and complaints (only into an empty database)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--if-empty", action="store_true", help="Do nothing when complaints exist."
        )

    def handle(self, *args, if_empty: bool = False, **options):
        if Complaint.objects.exists():
            if not if_empty:
                self.stderr.write("The database already holds complaints; demo data not loaded.")
            self.print_logins()
            return
        count = load_demo()
        self.stdout.write(self.style.SUCCESS(f"Demo data loaded: {count} complaints."))
        self.print_logins()

    def print_logins(self):
        self.stdout.write(f"\nDemo logins (password for all: {DEMO_PASSWORD}):")
        for user in USERS:
            self.stdout.write(
                f"  {user.username:<12} {user.first_name} {user.last_name}, {user.job_title}"
            )
