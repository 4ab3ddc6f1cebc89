"""Who sees what: Admin everything, Moderator only feedback and alerts, on the server."""

import pytest
from django.urls import reverse

ADMIN_ONLY_TABS = ["ai", "system", "usage"]
SHARED_TABS = ["feedback", "alerts"]


@pytest.mark.django_db
@pytest.mark.parametrize("tab", ADMIN_ONLY_TABS)
def test_it_answers_403_to_a_moderator_on_ai_and_metrics_pages(client_for, mo, tab):
    client = client_for(mo)
    assert client.get(reverse("admin:dashboard-tab", kwargs={"tab": tab})).status_code == 403
    assert client.get(reverse("admin:dashboard-data", kwargs={"tab": tab})).status_code == 403


@pytest.mark.django_db
@pytest.mark.parametrize("tab", SHARED_TABS)
def test_it_lets_a_moderator_see_feedback_and_alerts(client_for, mo, tab):
    client = client_for(mo)
    assert client.get(reverse("admin:dashboard-tab", kwargs={"tab": tab})).status_code == 200
    assert client.get(reverse("admin:dashboard-data", kwargs={"tab": tab})).status_code == 200


@pytest.mark.django_db
def test_it_shows_a_moderator_only_feedback_and_alerts_panels_on_the_overview(client_for, mo):
    client = client_for(mo)
    sections = client.get(reverse("admin:dashboard-data", kwargs={"tab": "overview"})).json()["sections"]
    assert [s["key"] for s in sections] == ["feedback_kpis", "alerts_kpis"]
    html = client.get("/admin/").content.decode()
    assert 'data-section="alerts_kpis"' in html
    assert 'data-section="ai_kpis"' not in html
    assert 'data-section="health"' not in html


@pytest.mark.django_db
def test_it_shows_an_admin_every_panel(client_for, alice):
    client = client_for(alice)
    keys = [
        s["key"] for s in client.get(reverse("admin:dashboard-data", kwargs={"tab": "overview"})).json()["sections"]
    ]
    assert keys == ["ai_kpis", "traffic_kpis", "feedback_kpis", "alerts_kpis", "targets", "health"]
    for tab in ADMIN_ONLY_TABS + SHARED_TABS:
        assert client.get(reverse("admin:dashboard-tab", kwargs={"tab": tab})).status_code == 200


@pytest.mark.django_db
def test_it_answers_403_to_staff_without_a_role(client_for, charlie):
    client = client_for(charlie)
    for tab in ADMIN_ONLY_TABS + SHARED_TABS + ["overview"]:
        assert client.get(reverse("admin:dashboard-data", kwargs={"tab": tab})).status_code == 403


@pytest.mark.django_db
def test_it_sends_anonymous_visitors_and_end_users_to_the_login(client, client_for, uma):
    url = reverse("admin:dashboard-tab", kwargs={"tab": "ai"})
    assert client.get(url).status_code == 302
    assert client_for(uma).get(url).status_code == 302
