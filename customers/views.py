"""Customer pages (built in full by the customers issue)."""

from django.http import HttpResponse


def invitation(request, token):
    return HttpResponse(status=501)
