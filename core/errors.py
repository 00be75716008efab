"""Partner Center's error model, raised by services and rendered by the API and the pages.

Codes come from Partner Center's error table (shared reference `error-codes.tsv`); codes of
990000 and above are this portal's extensions for cases Partner Center documents no code for
(listed in docs/api.md).
"""

from django.utils.translation import gettext_lazy as _


class PartnerCenterError(Exception):
    status = 400
    code = 800002
    error_name = "InvalidInput"
    default_description = _("Invalid request input.")
    is_retryable = False

    def __init__(self, description=None, *, field=None, parameters=None, code=None, error_name=None,
                 status=None, data=None, headers=None):
        self.description = description if description is not None else self.default_description
        self.field = field
        self.parameters = dict(parameters or {})
        if field and "field" not in self.parameters:
            self.parameters["field"] = field
        if code is not None:
            self.code = code
        if error_name is not None:
            self.error_name = error_name
        if status is not None:
            self.status = status
        self.data = list(data or [])
        self.headers = dict(headers or {})
        super().__init__(str(self.description))

    def as_envelope(self):
        description = str(self.description)
        return {
            "code": self.code,
            "description": description,
            "errorName": self.error_name,
            "message": description,
            "isRetryable": self.is_retryable,
            "parameters": self.parameters,
            "errorMessageExtended": f"InternalErrorCode={self.code}",
            "data": self.data,
            "source": "PartnerCommercePortal",
        }


class InvalidInput(PartnerCenterError):
    """400 / 800002: the request body, a query parameter or a header is wrong."""


class NotAuthenticated(PartnerCenterError):
    status = 401
    code = 800001
    error_name = "PartnerTokenMissing"
    default_description = _("Partner token missing in request context.")


class PermissionDenied(PartnerCenterError):
    status = 403
    code = 2032
    error_name = "AccessDenied"
    default_description = _("Access denied.")


class NotFound(PartnerCenterError):
    status = 404
    code = 1000
    error_name = "NotFound"
    default_description = _("Not found.")


class EtagMismatch(PartnerCenterError):
    status = 412
    code = 2055
    error_name = "EtagNoLongerValid"
    default_description = _("Etag is no longer valid: read the resource again and retry with its current etag.")


class IdempotencyKeyReused(PartnerCenterError):
    status = 409
    code = 990001
    error_name = "IdempotencyKeyReused"
    default_description = _(
        "This request id (MS-RequestId or Idempotency-Key) was already used for another request of your organisation "
        "(another body, or another caller). Use a new MS-RequestId for a new request."
    )


class RequestInProgress(PartnerCenterError):
    status = 409
    code = 990002
    error_name = "RequestInProgress"
    is_retryable = True
    default_description = _("A request with this request id is still being processed. Retry in a few seconds.")


class MethodNotAllowed(PartnerCenterError):
    status = 405
    code = 990003
    error_name = "MethodNotAllowed"
    default_description = _("This method is not allowed on this resource.")


class UnsupportedMediaType(PartnerCenterError):
    status = 415
    code = 990004
    error_name = "UnsupportedMediaType"
    default_description = _("Send the request body as application/json.")


class Throttled(PartnerCenterError):
    status = 429
    code = 990429
    error_name = "RateLimitExceeded"
    is_retryable = True
    default_description = _("Rate limit is exceeded.")


class Conflict(PartnerCenterError):
    status = 409
    code = 990005
    error_name = "Conflict"
    default_description = _("The request conflicts with the current state of the resource.")


class ServerError(PartnerCenterError):
    status = 500
    code = 800003
    error_name = "UnexpectedServiceError"
    is_retryable = True
    default_description = _("Unexpected service error.")


class StatusMoveRefused(Conflict):
    """409 / 990005: a status move the model's transition table does not allow (core.status). A service that must
    answer Partner Center's own code for it passes `error=` to `status_move`."""

    default_description = _("This status change is not allowed from the current status.")
