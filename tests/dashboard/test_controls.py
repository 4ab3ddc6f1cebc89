import pytest
from django.urls import reverse

from dashboard.models import RenderTiming


@pytest.mark.django_db
@pytest.mark.parametrize("params", [{"range": "2y"}, {"tenant": "x" * 101}, {"tenant": "a b"}])
def test_it_rejects_bad_controls_with_400(client_for, alice, params):
    client = client_for(alice)
    assert client.get("/admin/", params).status_code == 400
    response = client.get(reverse("admin:dashboard-data", kwargs={"tab": "overview"}), params)
    assert response.status_code == 400
    assert "detail" in response.json()


@pytest.mark.django_db
def test_it_records_the_render_time_of_each_page(client_for, alice):
    response = client_for(alice).get("/admin/", {"range": "7d"})
    assert response["Server-Timing"].startswith("render;dur=")
    assert RenderTiming.objects.filter(page="overview").count() == 1


def test_it_colours_changes_by_whether_they_are_good_news():
    from dashboard.formatting import card

    latency_up = card("l", "Latency", 200, 100, "ms")
    assert (latency_up["direction"], latency_up["trend"], latency_up["change_display"]) == ("up", "bad", "+100.0 %")
    sessions_down = card("s", "Sessions", 50, 100, better="higher")
    assert (sessions_down["direction"], sessions_down["trend"]) == ("down", "bad")
    tokens_down = card("t", "Tokens", 50, 100, better="none")
    assert (tokens_down["direction"], tokens_down["trend"]) == ("down", "flat")
    rate = card("e", "Error rate", 1.5, 2.0, "%")
    assert (rate["trend"], rate["change_display"]) == ("good", "-0.50 pp")
    assert card("x", "X", 5, None)["change_display"] == "no earlier data"


def test_a_nearly_empty_previous_period_reads_new_not_a_huge_percentage():
    from dashboard.formatting import card

    # The 7-day overview of the demo once read "+127,395 %" tokens against a near-empty week.
    tokens = card("t", "Tokens", 25_479_000, 20_000, better="none")
    assert (tokens["change_display"], tokens["direction"], tokens["previous_display"]) == ("new", "", "20.0k")
    assert card("c", "Cost", 12.5, 0)["change_display"] == "new"
    assert card("c", "Cost", 0, 0)["change_display"] == "±0 %"
    assert card("c", "Cost", 300, 100)["change_display"] == "+200.0 %"
    assert card("c", "Cost", 100, 300)["change_display"] == "-66.7 %"


def test_it_shortens_large_numbers_without_changing_them():
    from dashboard.formatting import number

    assert [number(v) for v in (7, 9999, 23_300, 233_000, 25_100_000, 2_000_000_000)] == [
        "7",
        "9,999",
        "23.3k",
        "233.0k",
        "25.1M",
        "2.0B",
    ]
    assert [number(v, "ms") for v in (664.66, 1790)] == ["664.7 ms", "1.79 s"]
    assert [number(v, "%") for v in (2.4, 99.861, 100)] == ["2.40 %", "99.861 %", "100.00 %"]
    assert number(49.754, "$") == "$49.75"


def test_it_shows_no_arrow_for_a_change_that_rounds_to_zero():
    from dashboard.formatting import card

    steady = card("d", "DB round trip", 50.01, 50.0, "ms")
    assert (steady["direction"], steady["trend"]) == ("", "flat")


@pytest.mark.django_db
def test_it_answers_404_for_an_unknown_tab_and_keeps_the_target_admin_reachable(client_for, alice):
    client = client_for(alice)
    assert client.get("/admin/dashboard/billing/").status_code == 404
    assert client.get("/admin/dashboard/billing/data/").status_code == 404
    assert client.get("/admin/dashboard/target/").status_code == 200


@pytest.mark.django_db
def test_daily_charts_show_quiet_days_as_zero():
    from datetime import timedelta

    from django.utils import timezone

    from dashboard import ranges
    from dashboard.panels.usage import daily
    from monitoring_site.models import AuditEvent

    now = timezone.now()
    AuditEvent.objects.create(kind=AuditEvent.Kind.EXPORT, actor_label="a", created_at=now - timedelta(days=3))
    window = ranges.parse({"range": "7d"})
    exports = next(c for c in daily(window)["charts"] if c["id"] == "exports")
    assert len(exports["labels"]) in (7, 8) and sorted(exports["series"][0]["data"])[-2:] == [0, 1]
    assert not exports["empty"]
