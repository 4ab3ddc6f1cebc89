from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from metrics import ingest, stats
from metrics.serializers import MetricSampleSerializer
from metrics.windows import parse_window
from monitoring_site.api import batch_items, ingest_response
from monitoring_site.lib.gc import gc_paused
from monitoring_site.replica import replica_reads
from monitoring_site.schema import ingest_schema, window_parameter

TAG_PREFIX = "tag."


class MetricIngestView(APIView):
    """POST one sample or a list of up to 1,000 (SPEC 3). Valid items are stored even when
    others are not (207); event_ids already stored are counted as duplicates."""

    required_scopes = {"POST": "metrics:write"}
    decode_valid = staticmethod(ingest.decode_valid)  # LimitedJSONParser: one-pass decode + validation

    @ingest_schema("MetricSamples", MetricSampleSerializer)
    def post(self, request):
        items = batch_items(request.data, ingest.MAX_BATCH, "sample")
        with gc_paused():
            if isinstance(items, ingest.ValidBatch):
                rows, errors = items, []
            else:
                rows, errors = ingest.validate_batch(items)
            accepted = ingest.store(rows) if rows else 0
        return ingest_response(len(items), accepted, errors)


class MetricSummaryView(APIView):
    """GET count/sum/min/max/avg/p50/p95/p99 of one metric over `window`, filtered by `tag.KEY=VALUE`."""

    required_scopes = {"GET": "metrics:read"}

    @extend_schema(
        parameters=[OpenApiParameter("name", str, required=True), window_parameter()],
        responses=OpenApiTypes.OBJECT,
        description="Tag filters as tag.KEY=VALUE query parameters.",
    )
    @replica_reads()
    def get(self, request):
        name = request.query_params.get("name", "")
        errors = {}
        if not ingest.NAME_RE.match(name):
            errors["name"] = ["This field is required and must match [a-zA-Z_:][a-zA-Z0-9_:]*."]
        try:
            window = parse_window(request.query_params.get("window", "24h"))
        except ValueError as exc:
            errors["window"] = [str(exc)]
        tags = {k[len(TAG_PREFIX) :]: v for k, v in request.query_params.items() if k.startswith(TAG_PREFIX)}
        if any(not ingest.TAG_KEY_RE.match(key) or "__" in key for key in tags):
            errors["tags"] = ["Tag filters are tag.KEY=VALUE with KEY matching [a-zA-Z_][a-zA-Z0-9_.:-]*."]
        if errors:
            return Response(errors, status=400)
        until = timezone.now()
        result = stats.summary(name, until - window, until, tags)
        return Response({"name": name, "window": request.query_params.get("window", "24h"), "tags": tags, **result})
