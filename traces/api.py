"""POST /api/v1/otel/v1/traces (OTLP/HTTP receiver) and GET /api/v1/traces/{trace_id}/."""

from django.conf import settings
from django.http import Http404, HttpResponse
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import APIView

from monitoring_site.lib.gc import gc_paused
from monitoring_site.parsers import PayloadTooLarge
from monitoring_site.replica import replica_reads
from traces import otlp, queries
from traces.ingest import store
from traces.serializers import TraceSerializer

# Headers a DRF error answer carries that the OTLP answer must keep (auth challenge, back-off).
KEPT_HEADERS = ("WWW-Authenticate", "Retry-After")


class Unsupported(exceptions.UnsupportedMediaType):
    pass


class OtlpTracesView(APIView):
    """OTLP/HTTP traces: protobuf or JSON, optionally gzip; answers in the request's encoding."""

    required_scopes = {"POST": ("traces:write", "ailogs:write")}
    parser_classes: list = []  # the body is read raw: protobuf is not a DRF media type

    @extend_schema(
        request={otlp.PROTOBUF: bytes, otlp.JSON: dict},
        responses={
            200: OpenApiResponse(
                description="ExportTraceServiceResponse, with partial_success when spans were refused."
            )
        },
        description="OTLP/HTTP ExportTraceServiceRequest (SPEC section 9).",
    )
    def post(self, request):
        kind = self._kind(request)
        body = self._body(request)
        with gc_paused():  # thousands of short-lived dicts per export (as metrics ingest measured)
            try:
                message = otlp.decode(body, kind)
            except otlp.Undecodable as exc:
                raise exceptions.ParseError(str(exc)) from None
            result = store(message)
        return HttpResponse(otlp.response(result.rejected, result.error_message, kind), content_type=kind)

    def _kind(self, request) -> str:
        kind = otlp.media_type(request.content_type or "")
        if kind not in otlp.MEDIA_TYPES:
            raise Unsupported(kind or "(none)", detail=f"Content-Type must be {otlp.PROTOBUF} or {otlp.JSON}.")
        return kind

    def _body(self, request) -> bytes:
        limit = settings.API_MAX_BODY_BYTES
        body = request._request.read(limit + 1)
        if len(body) > limit:
            raise PayloadTooLarge(f"Request body is larger than {limit} bytes.")
        encoding = request.headers.get("Content-Encoding", "").strip().lower()
        if encoding in ("", "identity"):
            return body
        if encoding != "gzip":
            raise Unsupported(encoding, detail=f"Content-Encoding {encoding!r} is not supported; use gzip or none.")
        try:
            return otlp.gunzip(body, limit)
        except otlp.TooLarge as exc:
            raise PayloadTooLarge(str(exc)) from None
        except otlp.Undecodable as exc:
            raise exceptions.ParseError(str(exc)) from None

    def handle_exception(self, exc):
        """Every error as a google.rpc.Status in the request's encoding, with the same status
        code and the headers the exporter acts on (401's challenge, 429/503's Retry-After)."""
        answer = super().handle_exception(exc)
        kind = otlp.media_type(self.request.content_type or "") if getattr(self, "request", None) else ""
        kind = kind if kind in otlp.MEDIA_TYPES else otlp.JSON
        detail = answer.data.get("detail", "") if isinstance(answer.data, dict) else str(answer.data)
        response = HttpResponse(otlp.status(_grpc_code(answer.status_code), str(detail), kind), content_type=kind)
        response.status_code = answer.status_code
        for name in KEPT_HEADERS:
            if answer.has_header(name):
                response[name] = answer[name]
        return response


def _grpc_code(http_status: int) -> int:
    """The google.rpc.Code matching an HTTP status (the OTLP spec's table)."""
    return {
        400: 3,  # INVALID_ARGUMENT
        401: 16,  # UNAUTHENTICATED
        403: 7,  # PERMISSION_DENIED
        413: 3,
        415: 3,
        429: 8,  # RESOURCE_EXHAUSTED
        503: 14,  # UNAVAILABLE
    }.get(http_status, 2)  # UNKNOWN


class TraceView(APIView):
    required_scopes = {"GET": "ailogs:read"}

    @extend_schema(responses=TraceSerializer)
    @replica_reads()
    def get(self, request, trace_id: str):
        trace = queries.trace(trace_id)
        if trace is None:
            raise Http404("No span or AI call has this trace id.")
        return Response(TraceSerializer(trace).data, status=status.HTTP_200_OK)
