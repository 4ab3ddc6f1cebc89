from io import StringIO

import pytest

from ailogs.defaults import install
from ailogs.models import AiCall, AiCallHourly


@pytest.mark.django_db
def test_seed_demo_fills_realistic_calls_and_rollups():
    install(StringIO())
    out = StringIO()
    from ailogs.demo import seed

    seed(days=3, events=1500, stdout=out)
    assert "1500 AI calls" in out.getvalue()
    assert AiCall.objects.count() == 1500
    assert AiCall.objects.values("model").distinct().count() >= 6
    assert AiCall.objects.values("tenant").distinct().count() >= 4
    assert AiCall.objects.exclude(status="success").exists()
    assert (
        AiCall.objects.filter(cost_source="computed").exists()
        and AiCall.objects.filter(cost_source="unpriced").exists()
    )
    for grain in AiCallHourly.Grain.values:
        assert sum(AiCallHourly.objects.filter(grain=grain).values_list("count", flat=True)) == 1500, grain
