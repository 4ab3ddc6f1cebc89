"""Every /api/v1/ operation, driven by schemathesis from our own OpenAPI schema (issue 13).

The operations come from /api/schema/, so a new endpoint is covered as soon as it is routed.
Each request carries a key with exactly the scope its view requires (read from the view's
`required_scopes`, so new scopes need no change here); OPERATION_SETUP holds the few operations
that need more than a key (the public feedback endpoint needs a site key and an allowed Origin).

Checks: no 5xx, and status code, content type, headers and body as the schema documents them.
Bounded by MAX_EXAMPLES per operation so the whole run stays well under 3 minutes in CI.
"""

import json
import os

import pytest
import schemathesis
from django.urls import resolve
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.specs.openapi.checks import ignored_auth, positive_data_acceptance

from feedback.models import FeedbackSite
from monitoring_site.models import SCOPES, ApiKey

# 25 per operation keeps the whole run near 30 s (SQLite) to 60 s (PostgreSQL) on the 2-core CI machine;
# SCHEMATHESIS_MAX_EXAMPLES=500 digs deeper locally.
MAX_EXAMPLES = int(os.environ.get("SCHEMATHESIS_MAX_EXAMPLES", "25"))
# The default run (make test, CI) draws the same examples every time, so it never fails by chance;
# a deeper run with SCHEMATHESIS_MAX_EXAMPLES draws new ones.
DERANDOMIZE = "SCHEMATHESIS_MAX_EXAMPLES" not in os.environ
# ignored_auth: we replace the generated credentials with a real key after generation, which this
# check cannot see (401/403 have their own tests). positive_data_acceptance: a schema cannot say
# everything a valid body must be (an alert rule's metric must exist in the catalog, a feedback
# site key must be a real one), so a schema-valid body may still earn a 400 that names the field.
EXCLUDED_CHECKS = [ignored_auth, positive_data_acceptance]
ORIGIN = "https://shop.example"


def _feedback_post(case, context: dict) -> None:
    """Post as the widget would: a real site key (when the body has one) and its allowed Origin."""
    case.headers = {**(case.headers or {}), "Origin": ORIGIN}
    site_key = case.body.get("site_key", "") if isinstance(case.body, dict) else None
    if isinstance(site_key, str) and len(site_key) <= 64:  # not the part a negative case broke on purpose
        case.body["site_key"] = context["site"].public_key
    case.headers.pop("Authorization", None)  # service keys may not post feedback (a 403 by design)


OPERATION_SETUP = {"POST /api/v1/feedback/": _feedback_post}


def required_scope(method: str, path: str) -> str | None:
    """The scope the view behind `path` requires for `method` (None: no key needed)."""
    match = resolve(path.replace("{id}", "1"))
    view = getattr(match.func, "view_class", None) or getattr(match.func, "cls", None)
    scopes = getattr(view, "required_scopes", None) or {}
    return scopes.get(method.upper())


@pytest.fixture
def api_context(transactional_db, settings):
    settings.FEEDBACK_RATE_PER_MINUTE = settings.FEEDBACK_RATE_PER_DAY = 10**6
    settings.FEEDBACK_SITE_RATE_PER_MINUTE = 10**6
    settings.API_RATE_LIMIT_PER_MINUTE = 10**6
    keys: dict[str, str] = {}

    def key_for(scope: str) -> str:
        if scope not in keys:
            keys[scope] = ApiKey.issue(f"schemathesis-{scope}", [scope])[1]
        return keys[scope]

    return {"key_for": key_for, "site": FeedbackSite.objects.create(name="Shop", allowed_origins=ORIGIN)}


def _operations() -> dict:
    """{"POST /api/v1/ai-logs/": APIOperation} for every /api/v1/ operation of the schema /api/schema/ serves."""
    from drf_spectacular.generators import SchemaGenerator
    from drf_spectacular.renderers import OpenApiJsonRenderer

    document = json.loads(OpenApiJsonRenderer().render(SchemaGenerator().get_schema(request=None, public=True)))
    schema = schemathesis.openapi.from_dict(document).include(path_regex="^/api/v1/")
    return {operation.label: operation for operation in (result.ok() for result in schema.get_all_operations())}


OPERATIONS = _operations()


@pytest.mark.parametrize("label", sorted(OPERATIONS))
def test_every_operation_answers_as_documented_and_never_5xx(label, live_server, api_context):
    operation = OPERATIONS[label]
    # A keyed operation whose view names no scope (e.g. auth/check) takes any key: the first scope's.
    keyed = any("ServiceApiKey" in requirement for requirement in operation.definition.raw.get("security", []))
    scope = required_scope(operation.method, operation.path) or (SCOPES[0] if keyed else None)
    setup = OPERATION_SETUP.get(label)
    cases = operation.as_strategy(GenerationMode.POSITIVE) | operation.as_strategy(GenerationMode.NEGATIVE)

    @given(case=cases)
    @settings(
        max_examples=MAX_EXAMPLES,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        database=None,
        derandomize=DERANDOMIZE,
    )
    def run(case):
        if scope:
            case.headers = {**(case.headers or {}), "Authorization": f"Bearer {api_context['key_for'](scope)}"}
        if setup:
            setup(case, api_context)
        case.call_and_validate(base_url=live_server.url, excluded_checks=EXCLUDED_CHECKS)

    run()
