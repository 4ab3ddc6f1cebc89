"""OpenAPI description of our authentication, so /api/schema/ documents the Bearer keys."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers


class ApiKeyAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = "monitoring_site.api_keys.ApiKeyAuthentication"
    name = "ServiceApiKey"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "msk_<prefix>_<secret>",
            "description": "A service key from `manage.py create_api_key NAME --scopes ...`.",
        }


class IngestErrorSerializer(serializers.Serializer):
    index = serializers.IntegerField()
    errors = serializers.DictField(help_text="DRF field errors of that item.")


class IngestResultSerializer(serializers.Serializer):
    """201 when every item was stored or a duplicate, 207 when some were invalid, 400 when all were."""

    accepted = serializers.IntegerField()
    duplicates = serializers.IntegerField()
    errors = IngestErrorSerializer(many=True)


def window_parameter(default: str = "24h") -> OpenApiParameter:
    return OpenApiParameter("window", str, enum=["1h", "24h", "7d", "30d"], default=default)


ingest_schema = extend_schema(
    request={"application/json": OpenApiTypes.OBJECT},
    responses={201: IngestResultSerializer, 207: IngestResultSerializer, 400: IngestResultSerializer},
    description="One object or a list of up to 1,000.",
)
