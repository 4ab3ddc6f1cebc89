"""Pick the price in force for a model at a moment, and cost an event with it.

The price table is small and read at most once a minute per process, so ingest costs no query
per event (and no Redis). Admin edits reach every process within PRICE_CACHE_SECONDS.
"""

import threading
import time
from datetime import datetime

from django.conf import settings

from ailogs.models import CostSource, ModelPrice


class PriceBook:
    def __init__(self, prices: list[ModelPrice]) -> None:
        # Most recent version first, so the first match with effective_from <= day wins per pattern.
        self.prices = sorted(prices, key=lambda p: p.effective_from, reverse=True)
        self._memo: dict[tuple[str, str], list[ModelPrice]] = {}
        self._at: dict[tuple, ModelPrice | None] = {}

    def candidates(self, provider: str, model: str) -> list[ModelPrice]:
        key = (provider, model)
        if key not in self._memo:
            matching = [p for p in self.prices if p.matches(provider, model)]
            self._memo[key] = sorted(matching, key=lambda p: p.specificity, reverse=True)
        return self._memo[key]

    def price_at(self, provider: str, model: str, when: datetime) -> ModelPrice | None:
        """The most specific pattern that has a version in force on that day, at that version."""
        day = when.date()
        for price in self.candidates(provider, model):
            if price.effective_from <= day:
                # Stable sort over newest-first versions: this is the newest version in force.
                return price
        return None

    def cost(self, provider: str, model: str, when: datetime, prompt: int, completion: int, cached: int = 0):
        """Return (cost_usd or None, cost_source)."""
        if not model:
            return None, CostSource.UNPRICED
        key = (provider, model, when.date())
        if key not in self._at:  # a batch is mostly a few models on one day: decide once
            self._at[key] = self.price_at(provider, model, when)
        price = self._at[key]
        if price is None:
            return None, CostSource.UNPRICED
        return price.cost(prompt, completion, cached), CostSource.COMPUTED


_lock = threading.Lock()
_cached: tuple[float, PriceBook] | None = None


def price_book() -> PriceBook:
    global _cached
    entry = _cached
    if entry is None or time.monotonic() - entry[0] > settings.AILOGS_PRICE_CACHE_SECONDS:
        book = PriceBook(list(ModelPrice.objects.all()))
        with _lock:
            _cached = entry = (time.monotonic(), book)
    return entry[1]


def clear_cache() -> None:
    global _cached
    _cached = None
