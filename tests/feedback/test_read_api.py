"""GET /api/v1/feedback/ for `feedback:read` keys and Admin/Moderator sessions (SPEC scopes)."""

import pytest

from feedback.models import Feedback

pytestmark = pytest.mark.django_db
URL = "/api/v1/feedback/"


@pytest.fixture
def items(site):
    make = lambda **kw: Feedback.objects.create(site=site, message=kw.pop("message", "hello"), **kw)  # noqa: E731
    return [
        make(message="wrong answer", category="bug", priority="high"),
        make(message="dark mode please", category="feature"),
        make(message="cheap pills", status="spam", spam_reason="links"),
    ]


def test_a_feedback_read_key_lists_feedback_without_spam_newest_first(api_client, items):
    response = api_client("feedback:read").get(URL)
    assert response.status_code == 200
    rows = response.json()["results"]
    assert [r["message"] for r in rows] == ["dark mode please", "wrong answer"]
    assert rows[1]["site"] == items[0].site.name and rows[1]["priority"] == "high"
    assert "notes" not in rows[0] and "client_address" not in rows[0]


def test_filters_narrow_the_list_and_bad_values_are_400(api_client, items):
    client = api_client("feedback:read")
    assert [r["message"] for r in client.get(URL, {"category": "bug"}).json()["results"]] == ["wrong answer"]
    assert [r["message"] for r in client.get(URL, {"status": "spam"}).json()["results"]] == ["cheap pills"]
    response = client.get(URL, {"priority": "urgent"})
    assert response.status_code == 400 and "priority" in response.json()


def test_a_key_without_the_scope_gets_403_and_cannot_post(api_client, items, site):
    client = api_client("ailogs:read")
    assert client.get(URL).status_code == 403
    posted = client.post(URL, {"site_key": site.public_key, "message": "x"}, format="json")
    assert posted.status_code == 403


def test_moderators_read_by_session_and_users_do_not(client_for, mo, uma, items):
    assert len(client_for(mo).get(URL).json()["results"]) == 2
    response = client_for(uma).get(URL)  # a signed-in User gets the widget's (empty) token only
    assert "results" not in response.json()
