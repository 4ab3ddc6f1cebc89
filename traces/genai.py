"""GenAI semantic conventions (`gen_ai.*`) to an AI-call event of POST /api/v1/ai-logs/.

Each field reads the first attribute present, current names first, then the older ones still
emitted by instrumentations in use (docs/tracing.md has the table):
- model: gen_ai.response.model, gen_ai.request.model
- provider: gen_ai.provider.name (semconv >= 1.37), gen_ai.system (older)
- tokens: gen_ai.usage.input_tokens / output_tokens, older gen_ai.usage.prompt_tokens /
  completion_tokens; total from gen_ai.usage.total_tokens or llm.usage.total_tokens (OpenLLMetry)
- cached input tokens: gen_ai.usage.cache_read.input_tokens, gen_ai.usage.cached_tokens
- a cost the instrumentation computed (OpenLIT's gen_ai.usage.cost) is kept as reported
"""

PREFIX = "gen_ai."
MODEL = ("gen_ai.response.model", "gen_ai.request.model")
PROVIDER = ("gen_ai.provider.name", "gen_ai.system")
INPUT_TOKENS = ("gen_ai.usage.input_tokens", "gen_ai.usage.prompt_tokens")
OUTPUT_TOKENS = ("gen_ai.usage.output_tokens", "gen_ai.usage.completion_tokens")
TOTAL_TOKENS = ("gen_ai.usage.total_tokens", "llm.usage.total_tokens")
CACHED_TOKENS = ("gen_ai.usage.cache_read.input_tokens", "gen_ai.usage.cached_tokens")
COST = ("gen_ai.usage.cost",)
FUNCTION = ("aimon.function",)  # set by our own client; otherwise the span name
# Set by our own client (clients/python) for the AI-log fields OpenTelemetry has no name for.
OWN = {"aimon.actor_type": "actor_type", "aimon.input_hash": "input_hash", "aimon.output_preview": "output_preview"}
METADATA_PREFIX = "aimon.metadata."
FUNCTION_CHARS = 100
ERROR_STATUS = 2  # OTLP Status.STATUS_CODE_ERROR


def is_genai(attributes: dict) -> bool:
    return any(name.startswith(PREFIX) for name in attributes)


def _first(attributes: dict, names: tuple[str, ...]):
    for name in names:
        found = attributes.get(name)
        if found is not None:
            return found
    return None


def status(row: dict) -> str:
    """error.type (semconv) or an ERROR span status marks a failed call; timeouts are told apart."""
    error_type = row["attributes"].get("error.type")
    if row["status_code"] != ERROR_STATUS and not error_type:
        return "success"
    return "timeout" if "timeout" in str(error_type or row["status_message"]).lower() else "error"


def _error_message(row: dict) -> str:
    if row["status_message"]:
        return row["status_message"]
    for event in row["events"]:
        text = event["attributes"].get("exception.message") or event["attributes"].get("exception.type")
        if text:
            return str(text)
    return str(row["attributes"].get("error.type") or "")


def event(row: dict, event_id: str) -> dict:
    """The AI-call event for a GenAI span row (traces.ingest); ailogs validates it like any other."""
    attributes = row["attributes"]
    call_status = status(row)
    metadata = {k[len(METADATA_PREFIX) :]: v for k, v in attributes.items() if k.startswith(METADATA_PREFIX)}
    metadata.update({"span_id": row["span_id"], "service": row["service_name"]})
    if row["parent_span_id"]:
        metadata["parent_span_id"] = row["parent_span_id"]
    operation = attributes.get("gen_ai.operation.name")
    if operation is not None:
        metadata["operation"] = operation
    cached = _first(attributes, CACHED_TOKENS)
    if cached is not None:
        metadata["cached_tokens"] = cached
    item = {
        "event_id": event_id,
        "timestamp": row["end_time"].isoformat(),  # like our client: a call is logged when it ends
        "function": str(_first(attributes, FUNCTION) or row["name"])[:FUNCTION_CHARS],
        "provider": _first(attributes, PROVIDER),
        "model": _first(attributes, MODEL),
        "status": call_status,
        "duration_ms": row["duration_ms"],
        "prompt_tokens": _first(attributes, INPUT_TOKENS),
        "completion_tokens": _first(attributes, OUTPUT_TOKENS),
        "total_tokens": _first(attributes, TOTAL_TOKENS),
        "cost_usd": _first(attributes, COST),
        "user_id": row["user_id"],
        "session_id": row["session_id"],
        "tenant": row["tenant"],
        "trace_id": row["trace_id"],
        "metadata": metadata,
        **{field: attributes.get(name) for name, field in OWN.items()},
    }
    if call_status != "success":
        item["error_message"] = _error_message(row)
    return {name: value for name, value in item.items() if value is not None}
