"""`klachtbeheer serve`: the production web server (gunicorn), README "Running in production".

Workers, threads, timeout and address come from WEB_WORKERS, WEB_THREADS,
WEB_TIMEOUT and WEB_BIND (or the options). It refuses to start when production
is configured half or the static files were not collected. Run `klachtbeheer
worker` as its own process beside it; `make run` stays the quick start.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.staticfiles.storage import staticfiles_storage
from django.core.management.base import BaseCommand, CommandError

from klachtbeheer.core.checks import exit_if_half_configured
from klachtbeheer.operations.gunicorn import WebServer, fresh_multiprocess_directory, options


class Command(BaseCommand):
    help = (
        "Serve Klachtbeheer with gunicorn (production). Settings: WEB_BIND, WEB_WORKERS, "
        "WEB_THREADS, WEB_TIMEOUT; run `klachtbeheer worker` beside it."
    )
    requires_system_checks = []  # run below, after the configuration is known to be complete

    def add_arguments(self, parser):
        parser.add_argument(
            "--bind", help=f"address:port or unix:PATH (WEB_BIND, {settings.WEB_BIND})"
        )
        parser.add_argument("--workers", type=int, help="processes (WEB_WORKERS)")
        parser.add_argument("--threads", type=int, help="threads per process (WEB_THREADS)")
        parser.add_argument(
            "--timeout", type=int, help="seconds before a stuck worker is restarted"
        )

    def handle(self, *args, **opts):
        exit_if_half_configured("web server")
        self.check(display_num_errors=False)
        if settings.PRODUCTION and not self._static_collected():
            raise CommandError(
                "The static files are not collected: run `klachtbeheer collectstatic --noinput` "
                "(after every upgrade too), then start again."
            )
        chosen = options(
            bind=opts["bind"],
            workers=opts["workers"],
            threads=opts["threads"],
            timeout=opts["timeout"],
        )
        fresh_multiprocess_directory()
        WebServer(chosen).run()

    @staticmethod
    def _static_collected() -> bool:
        manifest = getattr(staticfiles_storage, "manifest_name", None)
        return manifest is None or staticfiles_storage.exists(manifest)
