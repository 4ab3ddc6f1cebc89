import random
from datetime import timedelta

import pytest
from django.utils import timezone

from metrics.ingest import store


@pytest.fixture
def now():
    return timezone.now()


@pytest.fixture
def samples(db):
    """samples(name, values, start, spacing, tags) stores values spaced evenly from start."""

    def make(name, values, start, spacing=timedelta(seconds=1), tags=None):
        rows = [
            {
                "name": name,
                "type": "gauge",
                "value": float(v),
                "unit": "",
                "tags": dict(tags or {}),
                "source": "test",
                "route": "",
                "timestamp": start + spacing * i,
                "event_id": None,
            }
            for i, v in enumerate(values)
        ]
        store(rows)
        return values

    return make


@pytest.fixture
def rng():
    return random.Random(11)
