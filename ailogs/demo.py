"""seed_demo: realistic AI calls over the last N days (diurnal load, latency tails, error bursts)."""

import random
import uuid
from datetime import timedelta

from django.utils import timezone

from ailogs import rollup
from ailogs.ingest import ingest

# function -> [(provider, model, weight)], median latency (ms) comes from MODELS
FUNCTIONS = {
    "chat_reply": [("openai", "gpt-4o-mini", 6), ("anthropic", "claude-3-5-haiku-20241022", 2)],
    "summarise_document": [("openai", "gpt-4o-mini", 3), ("google", "gemini-2.5-flash", 2)],
    "classify_ticket": [("google", "gemini-2.5-flash", 1)],
    "extract_entities": [("mistral", "mistral-large-latest", 1)],
    "code_review": [("anthropic", "claude-sonnet-4-20250514", 1)],
    "rag_answer": [("openai", "gpt-4o", 3), ("openai", "gpt-4.1-mini", 1)],
    "translate": [("acme", "house-llm-7b", 1)],  # self-hosted: no price, shows up as unpriced
}
MODELS = {
    "gpt-4o-mini": 650,
    "claude-3-5-haiku-20241022": 900,
    "gemini-2.5-flash": 700,
    "mistral-large-latest": 1400,
    "claude-sonnet-4-20250514": 2600,
    "gpt-4o": 1600,
    "gpt-4.1-mini": 900,
    "house-llm-7b": 350,
}
FUNCTION_WEIGHTS = {
    "chat_reply": 40,
    "summarise_document": 15,
    "classify_ticket": 15,
    "extract_entities": 8,
    "code_review": 5,
    "rag_answer": 12,
    "translate": 5,
}
TENANTS = {"acme": 40, "globex": 25, "initech": 15, "umbrella": 12, "hooli": 8}
ERRORS = [
    "RateLimitError: 429 Too Many Requests",
    "APIError: 500 upstream error",
    "InvalidRequestError: context length exceeded",
]


def seed(days: int, events: int, stdout) -> None:
    rng = random.Random(20261123)
    now = timezone.now()
    bursts = [
        (now - timedelta(hours=rng.uniform(2, days * 24)), rng.choice(list(MODELS))) for _ in range(max(1, days // 3))
    ]
    prompts = [f"prompt template {i}" for i in range(200)]
    accepted = 0
    for start in range(0, events, 1000):
        batch = [_event(rng, now, days, bursts, prompts) for _ in range(min(1000, events - start))]
        accepted += ingest(batch)["accepted"]
    result = rollup.run()
    stdout.write(
        f"ailogs: {accepted} AI calls over {days} day(s), {len(bursts)} error burst(s), {result['hours']} hourly rollup(s)\n"
    )


def _moment(rng: random.Random, now, days: int):
    """More calls in the working day than at night."""
    while True:
        moment = now - timedelta(seconds=rng.uniform(60, days * 86400))
        if rng.random() < (1.0 if 8 <= moment.hour < 20 else 0.35):
            return moment


def _event(rng: random.Random, now, days: int, bursts, prompts) -> dict:
    function = rng.choices(list(FUNCTION_WEIGHTS), weights=list(FUNCTION_WEIGHTS.values()))[0]
    options = FUNCTIONS[function]
    provider, model, _ = rng.choices(options, weights=[o[2] for o in options])[0]
    moment = _moment(rng, now, days)
    in_burst = any(m == model and timedelta(0) <= moment - at < timedelta(minutes=40) for at, m in bursts)
    status = _status(rng, 0.35 if in_burst else 0.015)
    duration = rng.lognormvariate(0, 0.5) * MODELS[model] * (rng.uniform(4, 12) if rng.random() < 0.02 else 1)
    prompt_tokens = int(rng.lognormvariate(6.5, 0.8))
    completion_tokens = 0 if status != "success" else int(rng.lognormvariate(5, 0.7))
    return {
        "event_id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
        "timestamp": moment.isoformat(),
        "function": function,
        "provider": provider,
        "model": model,
        "status": status,
        "duration_ms": round(30_000.0 if status == "timeout" else duration, 2),
        "prompt_tokens": prompt_tokens,
        "completion_tokens": completion_tokens,
        "input": prompts[min(int(rng.paretovariate(1.2)) - 1, len(prompts) - 1)]
        if rng.random() < 0.5
        else f"unique {rng.random()}",
        "output_preview": "" if status != "success" else "Sure, here is what I found ...",
        "error_message": rng.choice(ERRORS)
        if status == "error"
        else ("Timed out after 30 s" if status == "timeout" else ""),
        "tenant": rng.choices(list(TENANTS), weights=list(TENANTS.values()))[0],
        "actor_type": rng.choices(["user", "agent", "system"], weights=[6, 3, 1])[0],
        "user_id": f"user-{rng.randint(1, 400)}",
        "session_id": f"sess-{rng.randint(1, 3000)}",
        "trace_id": uuid.UUID(int=rng.getrandbits(128), version=4).hex,
        "metadata": {"env": "demo"},
    }


def _status(rng: random.Random, error_rate: float) -> str:
    roll = rng.random()
    if roll < error_rate * 0.8:
        return "error"
    if roll < error_rate:
        return "timeout"
    return "success"
