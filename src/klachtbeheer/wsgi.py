import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "klachtbeheer.settings")
application = get_wsgi_application()

# Under gunicorn started by hand too: a half-configured production set-up serves nothing.
from klachtbeheer.core.checks import refuse_to_start_half_configured  # noqa: E402

refuse_to_start_half_configured("web")
