import logging
import re
import time
import uuid

from django.conf import settings
from django.http import HttpResponse, JsonResponse

from monitoring_site.api import is_connection_error
from monitoring_site.logging import request_id_var, user_id_var

logger = logging.getLogger("monitoring_site.request")
_SAFE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


class RequestIdMiddleware:
    """Honour or create X-Request-ID, expose it to log lines, and log each request once: method,
    path, status, duration, client address (and the request id, user id in JSON logs)."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.headers.get("X-Request-ID", "")
        request_id = incoming if _SAFE_REQUEST_ID.match(incoming) else uuid.uuid4().hex
        request.request_id = request_id
        token = request_id_var.set(request_id)
        user_token = user_id_var.set(None)
        started = time.perf_counter()
        try:
            response = self.get_response(request)
            user = getattr(request, "user", None)
            if user is not None and getattr(user, "pk", None):
                user_id_var.set(str(user.pk))
            duration_ms = round((time.perf_counter() - started) * 1000, 2)
            response["X-Request-ID"] = request_id
            client = request.META.get("REMOTE_ADDR", "-")
            logger.info(  # the access log: the Procfile's gunicorn writes none of its own
                "%s %s %s %.1f ms %s",
                request.method,
                request.path,
                response.status_code,
                duration_ms,
                client,
                extra={
                    "duration_ms": duration_ms,
                    "status": response.status_code,
                    "method": request.method,
                    "path": request.path,
                    "remote_addr": client,
                },
            )
            return response
        finally:
            request_id_var.reset(token)
            user_id_var.reset(user_token)


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.setdefault("Content-Security-Policy", settings.CONTENT_SECURITY_POLICY)
        return response


class BodySizeLimitMiddleware:
    """Answer 413 before reading a body whose declared length is over API_MAX_BODY_BYTES, and
    400 for a NUL character in the query string (no database column can store it)."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request):
        if "%00" in request.META.get("QUERY_STRING", ""):
            return JsonResponse({"detail": "Query parameters must not contain NUL (%00) characters."}, status=400)
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return JsonResponse({"detail": "Invalid Content-Length header."}, status=400)
        if length > settings.API_MAX_BODY_BYTES:
            return JsonResponse(
                {"detail": f"Request body is larger than {settings.API_MAX_BODY_BYTES} bytes."}, status=413
            )
        return self.get_response(request)


class DatabaseUnavailableMiddleware:
    """Turn a lost database connection outside DRF views into 503 with Retry-After."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        return database_unavailable(request, exception) if is_connection_error(exception) else None


def database_unavailable(request, exception: BaseException) -> HttpResponse:
    """503 with Retry-After, JSON under /api/."""
    logger.warning("database unavailable: %s", exception)
    if request.path.startswith("/api/"):
        response = JsonResponse({"detail": "Database unavailable; retry later."}, status=503)
    else:
        response = HttpResponse("Service temporarily unavailable; retry later.", status=503, content_type="text/plain")
    response["Retry-After"] = str(settings.DB_UNAVAILABLE_RETRY_AFTER)
    return response
