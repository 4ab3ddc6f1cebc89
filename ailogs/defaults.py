"""setup_defaults: load the shipped model prices (ailogs/data/model_prices.json).

Adds missing (provider, pattern, effective_from) rows only: rows already present, and so every
price edited in the admin, are left as they are. Running it twice changes nothing.
"""

import json
from datetime import date
from decimal import Decimal
from pathlib import Path

from ailogs.models import ModelPrice
from ailogs.pricing import clear_cache

PRICES_FILE = Path(__file__).parent / "data" / "model_prices.json"


def shipped_prices() -> list[dict]:
    return json.loads(PRICES_FILE.read_text())["prices"]


def install(stdout) -> None:
    added = 0
    for entry in shipped_prices():
        _, created = ModelPrice.objects.get_or_create(
            provider=entry["provider"],
            pattern=entry["pattern"],
            effective_from=date.fromisoformat(entry["from"]),
            defaults={
                "input_per_mtok": Decimal(str(entry["input"])),
                "output_per_mtok": Decimal(str(entry["output"])),
                "cached_input_per_mtok": None if entry["cached"] is None else Decimal(str(entry["cached"])),
                "notes": "shipped list price",
            },
        )
        added += created
    clear_cache()
    stdout.write(f"ailogs: {added} model price(s) added, {len(shipped_prices()) - added} already present\n")
