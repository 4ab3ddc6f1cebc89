"""Rows the dashboard tests insert, through the owning apps' models."""

import random
from datetime import timedelta

import pytest
from django.apps import apps
from django.utils import timezone


def needs(app: str, model: str):
    """Skip a test until the app owning `model` has landed in this branch."""
    return pytest.mark.skipif(not _has(app, model), reason=f"waits for {app}.{model}")


def _has(app: str, model: str) -> bool:
    try:
        apps.get_model(app, model)
    except LookupError:
        return False
    return True


def insert_ai_calls(n: int = 40, minutes_ago: int = 30, seed: int = 7, at=None, **fields) -> list[dict]:
    """Insert AI calls spread over `minutes_ago` minutes before `at` (now); return them."""
    from ailogs.models import AiCall

    rng = random.Random(seed)
    now = at or timezone.now()
    rows = []
    for i in range(n):
        prompt, completion = rng.randint(10, 500), rng.randint(10, 300)
        row = {
            "timestamp": now - timedelta(minutes=minutes_ago * (i + 1) / (n + 1)),
            "function": rng.choice(["summarize", "classify", "chat"]),
            "provider": "openai",
            "model": rng.choice(["gpt-4o", "gpt-4o-mini"]),
            "status": "error" if i % 10 == 0 else "success",
            "duration_ms": round(rng.uniform(50, 2500), 1),
            "prompt_tokens": prompt,
            "completion_tokens": completion,
            "total_tokens": prompt + completion,
            "cost_usd": round((prompt + completion) * 0.00001, 6),
            "cost_source": "computed",
            "session_id": f"s{i % 7}",
            "user_id": f"u{i % 5}",
            "tenant": "acme" if i % 2 else "globex",
            "error_message": "rate limited" if i % 10 == 0 else "",
            **fields,
        }
        rows.append(row)
    AiCall.objects.bulk_create([AiCall(**row) for row in rows])
    return rows
