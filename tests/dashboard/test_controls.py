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
