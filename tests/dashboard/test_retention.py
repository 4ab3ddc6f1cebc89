from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from dashboard.models import RenderTiming


@pytest.mark.django_db
def test_it_purges_render_timings_older_than_the_retention(settings):
    now = timezone.now()
    RenderTiming.objects.create(page="ai", duration_ms=10, recorded_at=now - timedelta(days=61))
    RenderTiming.objects.create(page="ai", duration_ms=20, recorded_at=now - timedelta(days=59))
    out = StringIO()
    call_command("purge_expired", stdout=out)
    assert list(RenderTiming.objects.values_list("duration_ms", flat=True)) == [20]
    assert "dashboard render timings" in out.getvalue()
