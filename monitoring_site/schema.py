"""OpenAPI description of our authentication, so /api/schema/ documents the Bearer keys."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.utils import OpenApiParameter, PolymorphicProxySerializer, extend_schema
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


def one_or_many(name: str, item: type[serializers.Serializer]) -> PolymorphicProxySerializer:
    """An ingest body: one `item` object, or a list of them (oneOf in the schema)."""
    return PolymorphicProxySerializer(
        component_name=name,
        serializers=[item(), item(many=True, min_length=1, max_length=1000)],
        resource_type_field_name=None,
        many=False,
    )


def ingest_schema(name: str, item: type[serializers.Serializer]):
    """extend_schema of an ingest POST: one `item` or a list of up to 1,000, answered per item."""
    return extend_schema(
        request=one_or_many(name, item),
        responses={201: IngestResultSerializer, 207: IngestResultSerializer, 400: IngestResultSerializer},
        description="One object or a list of up to 1,000. Valid items are stored even when others fail (207).",
    )


# --- The error answers every operation can give (monitoring_site.api's one JSON error shape) ---
_DETAIL = {
    "type": "object",
    "properties": {"detail": {"type": "string"}},
    "required": ["detail"],
    "description": '{"detail": "..."}: what went wrong, in words.',
}
_FIELD_ERRORS = {
    "type": "object",
    "description": 'DRF field errors {"field": ["message", ...]} (nested for nested fields), or {"detail": "..."} '
    "for a body that is not valid JSON, nests too deeply or holds a NUL or lone surrogate.",
}
_RETRY_AFTER = {"Retry-After": {"schema": {"type": "integer"}, "description": "Seconds to wait before retrying."}}


def _answer(description: str, schema: dict, headers: dict | None = None) -> dict:
    answer: dict = {"description": description, "content": {"application/json": {"schema": schema}}}
    if headers:
        answer["headers"] = headers
    return answer


def document_error_responses(result: dict, generator, request, public) -> dict:
    """Postprocessing hook: add the 4xx/5xx answers every /api/v1/ operation may give.

    Without them the schema promised only the success codes, so a client generator (or
    schemathesis) could not know that 400 carries field errors and 429/503 carry Retry-After.
    """
    for path, operations in result.get("paths", {}).items():
        if not path.startswith("/api/v1/"):
            continue
        for operation in operations.values():
            responses = operation.setdefault("responses", {})
            keyed = any("ServiceApiKey" in requirement for requirement in operation.get("security", []))
            answers = {
                "400": _answer("Invalid input: the message names the field.", _FIELD_ERRORS),
                "403": _answer("The key lacks the scope, or the user the role.", _DETAIL),
                "429": _answer("Too many requests.", _DETAIL, _RETRY_AFTER),
                "503": _answer("Database unreachable; nothing was stored.", _DETAIL, _RETRY_AFTER),
            }
            if keyed:
                answers["401"] = _answer("Missing or invalid key (or no signed-in user).", _DETAIL)
            if "{" in path:
                answers["404"] = _answer("No such object.", _DETAIL)
            if any(parameter.get("name") == "cursor" for parameter in operation.get("parameters", [])):
                answers["404"] = _answer("Invalid cursor (DRF's cursor pagination answers 404).", _DETAIL)
            if "requestBody" in operation:
                answers["413"] = _answer("Body larger than the limit.", _DETAIL)
                answers["415"] = _answer("Not application/json.", _DETAIL)
            for code, answer in answers.items():
                documented = responses.get(code)
                if documented is None:
                    responses[code] = answer
                elif code == "400":
                    # An ingest 400 has its own body; a body the parser refuses still gets {"detail"}.
                    schema = documented.get("content", {}).get("application/json", {}).get("schema")
                    if schema is not None:
                        documented["content"]["application/json"]["schema"] = {"anyOf": [schema, _DETAIL]}
            operation["responses"] = dict(sorted(responses.items()))
            for parameter in operation.get("parameters", []):
                if parameter.get("in") == "query" and not parameter.get("required") and parameter["name"] not in STRICT:
                    parameter["allowEmptyValue"] = True
    return result


# The house convention for optional query filters: an empty one (`?status=`, as an HTML form sends
# it) means "no filter". These few parameters are the exceptions, where an empty value is a 400
# (or, for DRF's cursor, a 404).
STRICT = frozenset({"window", "page_size", "cursor"})
