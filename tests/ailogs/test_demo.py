from io import StringIO

import pytest
from django.utils import timezone

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
    today = timezone.now().replace(hour=0, minute=0, second=0, microsecond=0)
    before_today = AiCall.objects.filter(timestamp__lt=today).count()
    for grain in AiCallHourly.Grain.values:
        rows = AiCallHourly.objects.filter(grain=grain)
        assert sum(rows.filter(period="hour").values_list("count", flat=True)) == 1500, grain
        # every ended day also has day rows, summing to the same calls
        assert sum(rows.filter(period="day").values_list("count", flat=True)) == before_today, grain
