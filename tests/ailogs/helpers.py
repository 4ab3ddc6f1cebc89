import uuid
from datetime import UTC, datetime
from decimal import Decimal

from ailogs.models import ModelPrice
from ailogs.pricing import clear_cache


def event(**fields) -> dict:
    base = {
        "function": "summarise",
        "model": "gpt-4o-mini",
        "provider": "openai",
        "duration_ms": 120.5,
        "prompt_tokens": 100,
        "completion_tokens": 20,
    }
    return {**base, **fields}


def with_id(**fields) -> dict:
    return event(event_id=str(uuid.uuid4()), **fields)


def price(
    pattern="gpt-4o-mini*", provider="openai", effective_from="2024-01-01", inp="0.15", out="0.60", cached=None
) -> ModelPrice:
    row = ModelPrice.objects.create(
        pattern=pattern,
        provider=provider,
        effective_from=datetime.fromisoformat(effective_from).date(),
        input_per_mtok=Decimal(inp),
        output_per_mtok=Decimal(out),
        cached_input_per_mtok=None if cached is None else Decimal(cached),
    )
    clear_cache()
    return row


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat()
