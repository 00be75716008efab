"""Every API error leaves in Partner Center's envelope (see core.errors)."""

import logging

from django.conf import settings
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig
from django.http import Http404
from django.utils.translation import gettext as _
from rest_framework import exceptions as drf
from rest_framework.response import Response

from core import errors

logger = logging.getLogger(__name__)


def _join(path, key, value):
    """`a` + `b` -> `a.b`. DRF reports the errors of a list as {index: ...}: an object of a list is named
    `lineItems[0]`, a plain value of a list by the list's name (`roles`), as for the list form below."""
    if isinstance(key, int):
        return f"{path}[{key}]" if isinstance(value, dict) else path
    sub = "" if key == "non_field_errors" else key
    return f"{path}.{sub}" if path and sub else (sub or path)


def _first_error(detail, path=""):
    """Walk DRF's error detail to the first (field path, message)."""
    if isinstance(detail, dict):
        for key, value in detail.items():
            found = _first_error(value, _join(path, key, value))
            if found:
                return found
    elif isinstance(detail, list):
        for index, value in enumerate(detail):
            if isinstance(value, (dict, list)) and not isinstance(value, str):
                found = _first_error(value, f"{path}[{index}]" if isinstance(value, dict) else path)
            else:
                found = (path, str(value))
            if found:
                return found
    elif detail is not None:
        return (path, str(detail))
    return None


def _flatten(detail, path=""):
    out = []
    if isinstance(detail, dict):
        for key, value in detail.items():
            out += _flatten(value, _join(path, key, value))
    elif isinstance(detail, list):
        for index, value in enumerate(detail):
            if isinstance(value, dict):
                out += _flatten(value, f"{path}[{index}]")
            else:
                out += _flatten(value, path)
    else:
        out.append({"field": path, "message": str(detail)})
    return out


def to_partner_center_error(exc):
    if isinstance(exc, errors.PartnerCenterError):
        return exc
    if isinstance(exc, drf.ValidationError):
        found = _first_error(exc.detail) or ("", _("Invalid request input."))
        field, message = found
        description = f"{field}: {message}" if field else message
        return errors.InvalidInput(description, field=field or None, data=_flatten(exc.detail))
    if isinstance(exc, drf.ParseError):
        return errors.InvalidInput(str(exc.detail))
    if isinstance(exc, RequestDataTooBig):
        return errors.PartnerCenterError(_("The request body is too large (at most %(mb)s MB).") % {
            "mb": round(settings.DATA_UPLOAD_MAX_MEMORY_SIZE / 1024 / 1024, 1)}, status=413, code=990006,
            error_name="RequestTooLarge")
    if isinstance(exc, (drf.NotAuthenticated, drf.AuthenticationFailed)):
        if isinstance(exc, drf.AuthenticationFailed):
            return errors.NotAuthenticated(str(exc.detail), parameters={"reason": "invalid"})
        return errors.NotAuthenticated(parameters={"reason": "missing"})
    if isinstance(exc, (drf.PermissionDenied, DjangoPermissionDenied)):
        detail = getattr(exc, "detail", None)
        return errors.PermissionDenied(str(detail) if detail else None)
    if isinstance(exc, (drf.NotFound, Http404)):
        return errors.NotFound()
    if isinstance(exc, drf.MethodNotAllowed):
        return errors.MethodNotAllowed()
    if isinstance(exc, drf.UnsupportedMediaType):
        return errors.UnsupportedMediaType()
    if isinstance(exc, drf.Throttled):
        wait = int(exc.wait or 1) if exc.wait is not None else 60
        return errors.Throttled(
            _("Rate limit is exceeded. Try again in %(seconds)s seconds.") % {"seconds": wait},
            headers={"Retry-After": str(wait)},
        )
    if isinstance(exc, drf.APIException):
        return errors.PartnerCenterError(str(exc.detail), status=exc.status_code, code=800002)
    return None


def error_response(error: errors.PartnerCenterError) -> Response:
    body = error.as_envelope()
    if error.status == 429:
        body["statusCode"] = 429
    response = Response(body, status=error.status)
    for key, value in error.headers.items():
        response[key] = value
    if error.status == 401:
        response["WWW-Authenticate"] = 'Bearer realm="api"'
    return response


def exception_handler(exc, context):
    error = to_partner_center_error(exc)
    if error is None:
        return None  # a real bug: let Django log it and answer 500 (JSON via core.views.server_error)
    return error_response(error)
