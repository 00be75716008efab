import logging

from django.db import connection
from django.http import JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from core import errors
from core.middleware import API_PREFIXES

logger = logging.getLogger(__name__)


def _broker_ok():
    from celery import current_app as app  # the project's Celery app (partnercenter.celery sets it as current)

    if app.conf.task_always_eager:
        return True, "eager"
    try:
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
        return True, conn.transport_cls if isinstance(conn.transport_cls, str) else "ok"
    except Exception as exc:  # any broker failure is "down" for a health check
        logger.warning("healthz: broker unreachable: %s", exc)
        return False, "unreachable"


@never_cache
@require_GET
def healthz(request):
    """Liveness and readiness: the database and the Celery broker. 200 when both answer, else 503."""
    checks = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        checks["database"] = "ok"
    except Exception as exc:  # report, don't crash
        logger.warning("healthz: database unreachable: %s", exc)
        checks["database"] = "unreachable"
    ok, _detail = _broker_ok()
    checks["broker"] = "ok" if ok else "unreachable"
    healthy = all(value == "ok" for value in checks.values())
    return JsonResponse({"status": "ok" if healthy else "degraded", "checks": checks}, status=200 if healthy else 503)


def _api_error(request, error):
    response = JsonResponse(error.as_envelope(), status=error.status, json_dumps_params={"ensure_ascii": False})
    response["MS-RequestId"] = getattr(request, "request_id", "")
    response["MS-CorrelationId"] = getattr(request, "correlation_id", "")
    return response


def page_not_found(request, exception=None):
    if request.path.startswith(API_PREFIXES):
        return _api_error(request, errors.NotFound())
    return render(request, "errors/404.html", status=404)


def permission_denied(request, exception=None):
    if request.path.startswith(API_PREFIXES):
        return _api_error(request, errors.PermissionDenied())
    return render(request, "errors/403.html", {"message": str(exception or "")}, status=403)


def server_error(request):
    if request.path.startswith(API_PREFIXES):
        return _api_error(request, errors.ServerError())
    return render(request, "errors/500.html", status=500)


def csrf_failure(request, reason=""):
    if request.path.startswith(API_PREFIXES):
        return _api_error(request, errors.PermissionDenied(f"CSRF Failed: {reason}" if reason else None))
    return render(request, "errors/403.html", {"message": _("Your form expired. Reload the page and try again.")},
                  status=403)

