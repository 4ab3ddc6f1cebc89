from io import StringIO

import pytest

from ailogs.models import AiCall
from traces.demo import seed
from traces.models import Span

pytestmark = pytest.mark.django_db


def test_seed_demo_makes_traces_in_sessions_with_priced_ai_calls():
    out = StringIO()
    seed(days=3, events=400, stdout=out)
    assert "0 refused" in out.getvalue()
    roots = Span.objects.filter(parent_span_id="")
    assert roots.count() == 20
    assert AiCall.objects.exclude(trace_id="").exclude(session_id="").exists()
    assert AiCall.objects.exclude(session_id="").values("session_id").distinct().count() == 7  # 3 runs each
    root_ids = set(roots.values_list("span_id", flat=True))
    assert set(Span.objects.exclude(parent_span_id="").values_list("parent_span_id", flat=True)) <= root_ids
