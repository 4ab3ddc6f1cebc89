"""OpenAPI description of our authentication, so /api/schema/ documents the Bearer keys."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension


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
