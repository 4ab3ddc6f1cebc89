"""What the API's JSON parser adds over DRF's for the bad-input checks of issue 13 (depth, NUL,
lone surrogates): single events, 500-event batches, and batches of escaped emoji."""

import io
import json
import uuid

from bench._common import report, setup_django, time_calls


def _event(preview: str) -> dict:
    return {
        "event_id": str(uuid.uuid4()),
        "function": "summarise",
        "provider": "openai",
        "model": "gpt-4o-mini",
        "duration_ms": 812,
        "prompt_tokens": 1200,
        "completion_tokens": 150,
        "output_preview": preview,
        "tenant": "acme",
        "metadata": {"cached_tokens": 1024, "tags": ["a", "b"]},
    }


def main() -> None:
    setup_django()
    from rest_framework.parsers import JSONParser

    from monitoring_site.parsers import LimitedJSONParser

    bodies = {
        "one event": (json.dumps(_event("The report says ...")).encode(), 20_000),
        "500-event batch": (json.dumps([_event("The report says ...") for _ in range(500)]).encode(), 300),
        "500-event batch, escaped emoji": (json.dumps([_event("ok \U0001f600") for _ in range(500)]).encode(), 300),
    }
    for name, (body, repeat) in bodies.items():
        for label, parser in (("DRF JSONParser", JSONParser()), ("LimitedJSONParser", LimitedJSONParser())):
            report(f"{name}: {label}", time_calls(lambda p=parser, b=body: p.parse(io.BytesIO(b)), repeat), width=56)
