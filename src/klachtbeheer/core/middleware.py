from django.contrib import messages
from django.http import Http404, HttpResponseRedirect

from klachtbeheer.core.errors import NotAllowed, NotFoundOrNoAccess, ProcedureError


class ProcedureErrorMiddleware:
    """Turns a ProcedureError that escaped a view into a message, never a 500."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, NotFoundOrNoAccess):
            raise Http404(str(exception))
        if isinstance(exception, ProcedureError):
            if isinstance(exception, NotAllowed):
                from django.core.exceptions import PermissionDenied

                raise PermissionDenied(str(exception))
            messages.error(request, str(exception))
            return HttpResponseRedirect(request.get_full_path())
        return None
