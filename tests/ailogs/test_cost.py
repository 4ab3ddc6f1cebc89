from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from ailogs.defaults import install, shipped_prices
from ailogs.models import AiCall, ModelPrice
from ailogs.pricing import clear_cache
from tests.ailogs.helpers import event, iso, price

URL = "/api/v1/ai-logs/"


@pytest.fixture
def writer(api_client):
    return api_client("ailogs:write")


def test_it_computes_cost_from_the_price_table(writer):
    price(inp="0.15", out="0.60")
    writer.post(URL, event(prompt_tokens=1_000_000, completion_tokens=500_000), format="json")
    call = AiCall.objects.get()
    assert call.cost_source == "computed"
    assert call.cost_usd == pytest.approx(0.15 + 0.30)


def test_it_charges_cached_input_at_the_cached_rate(writer):
    price(inp="2.00", out="8.00", cached="0.50")
    writer.post(
        URL, event(prompt_tokens=1_000_000, completion_tokens=0, metadata={"cached_tokens": 400_000}), format="json"
    )
    assert AiCall.objects.get().cost_usd == pytest.approx(0.6 * 2.0 + 0.4 * 0.5)


def test_it_keeps_a_reported_cost(writer):
    price()
    writer.post(URL, event(cost_usd=0.0123), format="json")
    call = AiCall.objects.get()
    assert (call.cost_source, call.cost_usd) == ("reported", 0.0123)


def test_it_marks_unknown_models_unpriced_not_free(writer):
    price()
    writer.post(URL, [event(model="house-llm-7b"), event(model="")], format="json")
    assert list(AiCall.objects.values_list("cost_source", "cost_usd")) == [("unpriced", None)] * 2


def test_it_uses_the_price_in_force_at_the_event_time(writer):
    price(pattern="o3", effective_from="2020-01-01", inp="10", out="40")
    price(pattern="o3", effective_from=str((timezone.now() - timedelta(days=2)).date()), inp="2", out="8")
    old = event(
        model="o3", prompt_tokens=1_000_000, completion_tokens=0, timestamp=iso(timezone.now() - timedelta(days=5))
    )
    new = event(model="o3", prompt_tokens=1_000_000, completion_tokens=0)
    writer.post(URL, [old, new], format="json")
    assert sorted(AiCall.objects.values_list("cost_usd", flat=True)) == [2.0, 10.0]


def test_it_prefers_the_most_specific_pattern(writer):
    price(pattern="gpt-4o*", inp="2.5", out="10")
    price(pattern="gpt-4o-mini*", inp="0.15", out="0.6")
    writer.post(URL, event(model="gpt-4o-mini-2024-07-18", prompt_tokens=1_000_000, completion_tokens=0), format="json")
    assert AiCall.objects.get().cost_usd == pytest.approx(0.15)


def test_it_reprices_computed_and_unpriced_costs_but_not_reported_ones(writer):
    writer.post(
        URL,
        [event(model="gpt-4o-mini", prompt_tokens=1_000_000, completion_tokens=0), event(cost_usd=9.99)],
        format="json",
    )
    assert AiCall.objects.filter(cost_source="unpriced").count() == 1
    price(inp="0.15", out="0.6")
    out = StringIO()
    call_command("reprice", "--since", str((timezone.now() - timedelta(days=1)).date()), stdout=out)
    assert "1 call(s) changed" in out.getvalue()
    assert sorted(AiCall.objects.values_list("cost_source", "cost_usd")) == [
        ("computed", pytest.approx(0.15)),
        ("reported", 9.99),
    ]
    ModelPrice.objects.update(input_per_mtok="0.30")
    call_command("reprice", "--since", "2000-01-01", stdout=StringIO())
    assert AiCall.objects.get(cost_source="computed").cost_usd == pytest.approx(0.30)
    assert AiCall.objects.get(cost_source="reported").cost_usd == 9.99


def test_reprice_refuses_a_bad_date():
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="not an ISO 8601 date"):
        call_command("reprice", "--since", "last week", stdout=StringIO())


@pytest.mark.django_db
def test_setup_defaults_loads_prices_once_and_keeps_admin_edits():
    out = StringIO()
    install(out)
    assert ModelPrice.objects.count() == len(shipped_prices())
    edited = ModelPrice.objects.get(pattern="gpt-4o-mini*")
    edited.input_per_mtok = "0.99"
    edited.save()
    install(StringIO())
    assert ModelPrice.objects.count() == len(shipped_prices())
    assert str(ModelPrice.objects.get(pattern="gpt-4o-mini*").input_per_mtok).startswith("0.99")


@pytest.mark.django_db
def test_shipped_prices_cover_the_common_providers():
    install(StringIO())
    clear_cache()
    from ailogs.pricing import price_book

    now = timezone.now()
    for provider, model in [
        ("openai", "gpt-4o"),
        ("openai", "gpt-4.1-mini"),
        ("anthropic", "claude-sonnet-4-20250514"),
        ("google", "gemini-2.5-flash"),
        ("mistral", "mistral-large-latest"),
    ]:
        assert price_book().price_at(provider, model, now) is not None, model
