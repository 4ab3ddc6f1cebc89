"""One JSON error shape for the API: DRF's, plus 413 and 503 with Retry-After."""

import logging

from django.conf import settings
from django.db import DatabaseError, InterfaceError, OperationalError
from rest_framework import exceptions, status
from rest_framework.pagination import CursorPagination
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

logger = logging.getLogger(__name__)


class ServiceUnavailable(exceptions.APIException):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = "Database unavailable; retry later."
    default_code = "database_unavailable"


def is_connection_error(exc: BaseException) -> bool:
    return isinstance(exc, (OperationalError, InterfaceError)) or (
        isinstance(exc, DatabaseError) and "connection" in str(exc).lower()
    )


def exception_handler(exc, context):
    if is_connection_error(exc):
        logger.warning("database unavailable: %s", exc)
        exc = ServiceUnavailable()
    response = drf_exception_handler(exc, context)
    if response is not None and response.status_code == 503:
        response["Retry-After"] = str(settings.DB_UNAVAILABLE_RETRY_AFTER)
    return response


def error(message: str, status_code: int, **headers) -> Response:
    response = Response({"detail": message}, status=status_code)
    for name, value in headers.items():
        response[name.replace("_", "-")] = value
    return response


def batch_items(data, max_items: int, noun: str) -> list:
    """The items of a one-or-many ingest body; a 400 for an empty or oversized batch."""
    items = data if isinstance(data, list) else [data]
    if not items:
        raise exceptions.ParseError(f"Send one {noun} object or a non-empty list of them.")
    if len(items) > max_items:
        raise exceptions.ParseError(f"At most {max_items} {noun}s per request; got {len(items)}.")
    return items


def ingest_response(total: int, accepted: int, errors: list) -> Response:
    """SPEC's ingest answer: 201 when nothing was invalid, 207 when some were, 400 when all were."""
    body = {"accepted": accepted, "duplicates": total - len(errors) - accepted, "errors": errors}
    if not errors:
        return Response(body, status=status.HTTP_201_CREATED)
    return Response(body, status=status.HTTP_207_MULTI_STATUS if len(errors) < total else status.HTTP_400_BAD_REQUEST)


class CursorPages(CursorPagination):
    """Cursor pagination whose `page_size` is checked: a bad one is a 400, not silently the default.

    DRF falls back to the default page size for `page_size=abc` and quietly caps one over the
    maximum; a client then pages through something other than it asked for without knowing.
    """

    page_size = 100
    page_size_query_param = "page_size"
    max_page_size = 1000

    def get_page_size(self, request) -> int:
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        try:
            value = int(raw)
        except ValueError:
            value = 0
        if not 1 <= value <= self.max_page_size:
            raise exceptions.ValidationError(
                {self.page_size_query_param: [f"Use a whole number from 1 to {self.max_page_size}."]}
            )
        return value

    def get_schema_operation_parameters(self, view) -> list[dict]:
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"] = {"type": "integer", "minimum": 1, "maximum": self.max_page_size}
        return parameters
