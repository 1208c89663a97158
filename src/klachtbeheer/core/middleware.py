from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.template import loader

from klachtbeheer.core.errors import (
    NotAllowed,
    NotFoundOrNoAccess,
    ProcedureError,
    StorageUnavailable,
)


def storage_unavailable_response() -> HttpResponse:
    """503 and a Dutch and English page saying nothing was saved (a full disk, say)."""
    retry_after = settings.DATABASE_RETRY_AFTER_SECONDS
    page = loader.get_template("core/storage_unavailable.html").render({"retry_after": retry_after})
    response = HttpResponse(page, status=503)
    response["Retry-After"] = str(retry_after)
    response["Cache-Control"] = "no-store"
    return response


class ProcedureErrorMiddleware:
    """Turns a ProcedureError that escaped a view into a message, never a 500."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, StorageUnavailable):
            return storage_unavailable_response()
        if isinstance(exception, NotFoundOrNoAccess):
            raise Http404(str(exception))
        if isinstance(exception, ProcedureError):
            if isinstance(exception, NotAllowed):
                from django.core.exceptions import PermissionDenied

                raise PermissionDenied(str(exception))
            messages.error(request, str(exception))
            return HttpResponseRedirect(request.get_full_path())
        return None
