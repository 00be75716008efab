"""Idempotent writes (POST, PUT, PATCH, DELETE) keyed by `Idempotency-Key` or Partner Center's `MS-RequestId`.

A key belongs to the partner organisation (as Partner Center's request ids belong to the partner), for one method
and routed path. The first request with it owns it: the same caller with the same body gets the stored response
replayed (header `Idempotency-Replayed: true`); another body, or another caller of the organisation, is 409
(990001), so one caller's answer is never handed to another. Same key while the first request still runs: 409
(990002, retryable). A request that ended in a server error stores nothing, so a retry runs again.
Records are kept 24 hours (core.tasks.purge_idempotency_records). Secrets in a response (a new
token) are not stored: see `redact`.

Every write method of a `core.api.views.PCAPIView` is wrapped (its `idempotent_methods`). Bodies that are not JSON
(a CSV or multipart upload) and bodies too large to read are not keyed: such a route recognises a repeat by its
content (the legacy import does).
"""

import functools
import hashlib
import json

from django.core.exceptions import RequestDataTooBig
from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from rest_framework.response import Response

from core.errors import IdempotencyKeyReused, InvalidInput, RequestInProgress
from core.models import IdempotencyRecord

REPLAY_HEADERS = ("Location", "ETag", "MS-ContinuationToken")
WRITE_METHODS = ("post", "put", "patch", "delete")


def is_idempotent(handler):
    return getattr(handler, "_idempotent", False)


def _key(request):
    key = request.headers.get("Idempotency-Key") or request.headers.get("MS-RequestId")
    if key and len(key) > 128:
        raise InvalidInput(_("The idempotency key (MS-RequestId or Idempotency-Key) is longer than 128 characters."),
                           field="MS-RequestId")
    return key


def _keyable(request):
    """Only JSON bodies (or none) are keyed: an upload is recognised by its own content."""
    media_type = (request.content_type or "").split(";")[0].strip().lower()
    return not media_type or media_type == "application/json" or media_type.endswith("+json")


def _caller(actor):
    return f"u{actor.user_id}" if actor.user_id else f"c{actor.credential_id}"


def _body_hash(request, actor):
    """The request as the key's owner sent it: the caller and the canonical JSON body."""
    canonical = json.dumps(request.data, sort_keys=True, cls=DjangoJSONEncoder, separators=(",", ":"))
    return hashlib.sha256(f"{_caller(actor)}\n{canonical}".encode()).hexdigest()


def idempotent(view_method=None, *, redact=()):
    """Decorate a view method. `redact` names top-level response fields that must never be stored
    (a created token): a replay answers them as null, with the header `Idempotency-Redacted`."""
    if view_method is None:
        return functools.partial(idempotent, redact=tuple(redact))

    @functools.wraps(view_method)
    def wrapper(self, request, *args, **kwargs):
        key = _key(request)
        if not key or not _keyable(request):
            return view_method(self, request, *args, **kwargs)
        actor = request.auth
        try:
            body_hash = _body_hash(request, actor)
        except RequestDataTooBig:
            return view_method(self, request, *args, **kwargs)  # the view answers its own error for a large body
        # Keys belong to the organisation; the caller is part of the body hash, so a replay never hands one
        # caller's answer to another. The routed path (path_info: route names already in their canonical case,
        # no trailing slash), so a retry that spells a route differently still replays; long paths are hashed.
        routed = request.path_info
        path = routed if len(routed) <= 400 else "sha256:" + hashlib.sha256(routed.encode()).hexdigest()
        lookup = {"organisation_id": actor.organisation_id, "key": key, "method": request.method, "path": path}
        try:
            if transaction.get_connection().in_atomic_block:
                with transaction.atomic():  # a savepoint, so a duplicate key leaves the outer transaction usable
                    record = IdempotencyRecord.objects.create(body_hash=body_hash, **lookup)
            else:  # autocommit: the INSERT is its own transaction, committed before the view runs
                record = IdempotencyRecord.objects.create(body_hash=body_hash, **lookup)
        except IntegrityError:
            existing = IdempotencyRecord.objects.filter(**lookup).first()
            if existing is None:  # the first request failed and dropped its record meanwhile: retry
                raise RequestInProgress(headers={"Retry-After": "1"}) from None
            if existing.body_hash != body_hash:
                raise IdempotencyKeyReused(parameters={"key": key}) from None
            if existing.state != IdempotencyRecord.State.COMPLETED:
                raise RequestInProgress(headers={"Retry-After": "2"}) from None
            response = Response(existing.response_body, status=existing.status_code)
            for name, value in existing.response_headers.items():
                response[name] = value
            response["Idempotency-Replayed"] = "true"
            if redact:
                response["Idempotency-Redacted"] = ",".join(redact)
            return response

        try:
            response = view_method(self, request, *args, **kwargs)
        except Exception as exc:
            response = self.handle_exception(exc) if _handled(self, exc) else None
            if response is None:
                record.delete()
                raise
        if response.status_code >= 500:
            record.delete()
            return response
        record.state = IdempotencyRecord.State.COMPLETED
        record.status_code = response.status_code
        body = response.data
        if redact and isinstance(body, dict):
            body = {key: (None if key in redact else value) for key, value in body.items()}
        record.response_body = body
        record.response_headers = {h: response[h] for h in REPLAY_HEADERS if h in response}
        record.save(update_fields=["state", "status_code", "response_body", "response_headers"])
        return response

    wrapper._idempotent = True
    return wrapper


def _handled(view, exc):
    from core.api.errors import to_partner_center_error

    return to_partner_center_error(exc) is not None
