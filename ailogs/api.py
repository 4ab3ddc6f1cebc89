"""/api/v1/ai-logs/: ingest (POST), list (GET) and stats (GET stats/)."""

from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.exceptions import ValidationError
from rest_framework.generics import ListAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from ailogs import queries
from ailogs.ingest import ValidBatch, decode_valid, ingest, store_valid
from ailogs.models import AiCall, Status
from ailogs.serializers import AiCallEventSerializer, AiCallSerializer, WindowStatsSerializer
from monitoring_site.api import CursorPages, batch_items, ingest_response
from monitoring_site.replica import replica_reads
from monitoring_site.schema import ingest_schema, window_parameter

WINDOWS = {"1h": timedelta(hours=1), "24h": timedelta(hours=24), "7d": timedelta(days=7), "30d": timedelta(days=30)}


class NewestFirst(CursorPages):
    ordering = "-timestamp"


def _moment(params, name: str) -> datetime | None:
    value = params.get(name)
    if not value:
        return None
    parsed = parse_datetime(value)
    if parsed is None:
        raise ValidationError({name: ["Datetime has wrong format. Use ISO 8601."]})
    return parsed if parsed.tzinfo else timezone.make_aware(parsed, timezone.utc)


STATUS_CHOICES = ", ".join(Status.values)


def _filters(params) -> dict:
    """The SPEC filters given in the query; a value that can match nothing is a 400, never an empty 200."""
    filters = {name: params[name] for name in queries.FILTERS if params.get(name)}
    status = filters.get("status")
    if status is not None and status not in Status.values:
        raise ValidationError({"status": [f'"{status}" is not a valid choice. Choose one of {STATUS_CHOICES}.']})
    return filters


def _bounds(params) -> tuple[datetime | None, datetime | None]:
    since, until = _moment(params, "since"), _moment(params, "until")
    if since and until and since >= until:
        raise ValidationError({"until": ["Must be later than since."]})
    return since, until


@extend_schema(
    parameters=[
        *[OpenApiParameter(name) for name in queries.FILTERS],
        OpenApiParameter("since", type=str),
        OpenApiParameter("until", type=str),
    ],
    methods=["GET"],
)
class AiLogsView(ListAPIView):
    required_scopes = {"GET": "ailogs:read", "POST": "ailogs:write"}
    decode_valid = staticmethod(decode_valid)  # LimitedJSONParser: one-pass decode + validation
    serializer_class = AiCallSerializer
    pagination_class = NewestFirst

    def get_queryset(self):
        params = self.request.query_params
        qs = queries.filtered(AiCall.objects.all(), _filters(params))
        since, until = _bounds(params)
        if since:
            qs = qs.filter(timestamp__gte=since)
        if until:
            qs = qs.filter(timestamp__lt=until)
        return qs

    @replica_reads()
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @ingest_schema("AiCallEvents", AiCallEventSerializer)
    def post(self, request):
        items = batch_items(request.data, settings.AILOGS_MAX_BATCH, "event")
        key = getattr(request.user, "key", None)  # an API key's ServiceUser (monitoring_site.api_keys)
        name = key.name[:100] if key is not None else ""
        body = store_valid(items, api_key=name) if isinstance(items, ValidBatch) else ingest(items, api_key=name)
        return ingest_response(len(items), body["accepted"], body["errors"])


class AiLogStatsView(APIView):
    required_scopes = {"GET": "ailogs:read"}

    @extend_schema(
        parameters=[
            window_parameter(),
            OpenApiParameter(
                "group_by", str, enum=["", "model", "function", "provider", "tenant"], description="Empty: no groups."
            ),
            *[OpenApiParameter(name, str) for name in queries.FILTERS],
            OpenApiParameter("since", str, description="ISO 8601; narrows the window's start."),
            OpenApiParameter("until", str, description="ISO 8601; narrows the window's end (default now)."),
        ],
        responses=WindowStatsSerializer,
    )
    @replica_reads()
    def get(self, request):
        params = request.query_params
        window = params.get("window", "24h")
        if window not in WINDOWS:
            raise ValidationError({"window": [f"Choose one of {', '.join(WINDOWS)}."]})
        group_by = params.get("group_by") or None
        if group_by and group_by not in ("model", "function", "provider", "tenant"):
            raise ValidationError({"group_by": ["Choose one of model, function, provider, tenant."]})
        filters = _filters(params)
        asked_since, asked_until = _bounds(params)
        now = timezone.now()
        # The window counts back from now; since/until only narrow it (the SPEC's "same filters").
        since, until = now - WINDOWS[window], now
        if asked_since and asked_since > since:
            since = asked_since
        if asked_until and asked_until < until:
            until = asked_until
        since = min(since, until)  # entirely outside the window: an empty one, not a negative one
        body = {"window": window, "since": since, "until": until, "group_by": group_by}
        if not group_by:
            return Response({**body, **queries.window_stats(since, until, filters)})
        whole, groups = queries.stats_with_groups(since, until, group_by, filters)
        return Response({**body, **whole, "groups": [{group_by: key, **stats} for key, stats in groups.items()]})
