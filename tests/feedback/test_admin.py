"""Triage in the admin: who may do what, bulk actions, escaping, the needs-attention marker."""

import pytest

from feedback.models import Feedback, FeedbackSite

XSS = '<script>alert("x")</script><img src=x onerror=alert(1)>"><svg onload=alert(2)>'


@pytest.fixture
def item(site):
    return Feedback.objects.create(site=site, message="Wrong answer", category="bug", priority="high", trace_id="tr-1")


def changelist(client):
    return client.get("/admin/feedback/feedback/")


def test_moderator_sees_the_triage_list(client_for, mo, item):
    response = changelist(client_for(mo))
    assert response.status_code == 200
    assert "Wrong answer" in response.text
    assert "needs attention" in response.text


def test_xss_payload_is_stored_verbatim_and_shown_escaped(widget_post, client_for, mo):
    response = widget_post(message=XSS)
    pk = response.json()["id"]
    assert Feedback.objects.get(pk=pk).message == XSS
    client = client_for(mo)
    for url in ("/admin/feedback/feedback/", f"/admin/feedback/feedback/{pk}/change/"):
        html = client.get(url).text
        assert "<script>alert" not in html and "<img src=x" not in html and "<svg onload" not in html, url
        assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html, url


def test_moderator_changes_status_priority_assignee_and_notes(client_for, mo, item):
    response = client_for(mo).post(
        f"/admin/feedback/feedback/{item.pk}/change/",
        {"category": "bug", "status": "reviewed", "priority": "low", "assignee": mo.pk, "notes": "Seen it"},
    )
    assert response.status_code == 302, response.text[:2000]
    item.refresh_from_db()
    assert (item.status, item.priority, item.assignee, item.notes) == ("reviewed", "low", mo, "Seen it")


@pytest.mark.parametrize(
    ("action", "field", "value"),
    [
        ("mark_reviewed", "status", "reviewed"),
        ("mark_resolved", "status", "resolved"),
        ("mark_spam", "status", "spam"),
        ("set_priority_low", "priority", "low"),
        ("set_priority_medium", "priority", "medium"),
        ("set_priority_high", "priority", "high"),
    ],
)
def test_bulk_actions(client_for, mo, site, action, field, value):
    items = [Feedback.objects.create(site=site, message=f"m{i}", priority="medium") for i in range(3)]
    response = client_for(mo).post(
        "/admin/feedback/feedback/", {"action": action, "_selected_action": [i.pk for i in items[:2]]}
    )
    assert response.status_code == 302
    values = [getattr(Feedback.objects.get(pk=i.pk), field) for i in items]
    assert values[:2] == [value, value]
    assert getattr(items[2], field) == values[2]


def test_assign_to_me(client_for, mo, item):
    client_for(mo).post("/admin/feedback/feedback/", {"action": "assign_to_me", "_selected_action": [item.pk]})
    item.refresh_from_db()
    assert item.assignee == mo


def test_filters_and_search_work(client_for, mo, site, item):
    other = FeedbackSite.objects.create(name="Blog", allowed_origins="https://blog.example")
    Feedback.objects.create(site=other, message="Love it", category="general", priority="low", status="resolved")
    client = client_for(mo)
    for query in (
        "status=pending",
        "category=bug",
        "priority=high",
        f"site__id__exact={site.pk}",
        "attention=yes",
        "q=Wrong",
    ):
        html = client.get(f"/admin/feedback/feedback/?{query}").text
        assert "Wrong answer" in html and "Love it" not in html, query


def test_moderator_cannot_add_or_delete_feedback(client_for, mo, item):
    client = client_for(mo)
    assert client.get("/admin/feedback/feedback/add/").status_code == 403
    assert client.get(f"/admin/feedback/feedback/{item.pk}/delete/").status_code == 403


def test_moderator_cannot_manage_sites_or_see_other_apps(client_for, mo, site):
    client = client_for(mo)
    assert client.get("/admin/feedback/feedbacksite/").status_code == 403
    assert client.get("/admin/feedback/feedbacksite/add/").status_code == 403
    assert client.get("/admin/monitoring_site/apikey/").status_code == 403
    index = client.get("/admin/").text
    assert "/admin/feedback/feedback/" in index
    assert "/admin/feedback/feedbacksite/" not in index


def test_user_cannot_reach_the_admin(client_for, uma, item):
    client = client_for(uma)
    for url in ("/admin/", "/admin/feedback/feedback/", f"/admin/feedback/feedback/{item.pk}/change/"):
        response = client.get(url)
        assert response.status_code == 302 and "/admin/login/" in response["Location"], url


def test_staff_without_role_cannot_triage(client_for, charlie, item):
    assert changelist(client_for(charlie)).status_code == 403


def test_admin_manages_sites(client_for, alice):
    client = client_for(alice)
    response = client.post(
        "/admin/feedback/feedbacksite/add/",
        {"name": "Docs", "allowed_origins": "https://docs.example/\nHTTP://Docs.Example:8080", "is_active": "on"},
    )
    assert response.status_code == 302
    site = FeedbackSite.objects.get(name="Docs")
    assert site.public_key.startswith("pk_")
    assert site.origins == ["http://docs.example:8080", "https://docs.example"]
    assert site.public_key in client.get(f"/admin/feedback/feedbacksite/{site.pk}/change/").text


def test_admin_gets_a_clear_error_for_a_bad_origin(client_for, alice):
    response = client_for(alice).post(
        "/admin/feedback/feedbacksite/add/", {"name": "Bad", "allowed_origins": "https://x.example/path"}
    )
    assert response.status_code == 200
    assert "must be an origin only" in response.text
    assert not FeedbackSite.objects.filter(name="Bad").exists()


def test_moderators_get_no_links_to_pages_they_may_not_open(client_for, mo, item):
    html = client_for(mo).get(f"/admin/feedback/feedback/{item.pk}/change/").text
    assert "tr-1" in html
    assert "trace_id=tr-1" not in html  # AI logs are Admin-only
    assert "/admin/feedback/feedbacksite/" not in html  # so are feedback sites


def test_the_widget_is_on_admin_pages_for_signed_in_users(client_for, mo, item):
    html = changelist(client_for(mo)).text
    assert 'src="/widget.js" data-session="true"' in html
    assert "AI Monitoring" in html  # branding of MonitoringAdminSite kept


def test_the_login_page_has_no_widget(client):
    assert "widget.js" not in client.get("/admin/login/").text


def test_admins_get_a_link_from_the_trace_id_to_the_ai_calls(client_for, alice, item, monkeypatch):
    from feedback import links

    if links._ailogs_admin() is None:  # before the ailogs admin exists, stand in with a model that has trace_id
        monkeypatch.setattr(links, "AILOGS_APP", "feedback")
    client = client_for(alice)
    html = client.get(f"/admin/feedback/feedback/{item.pk}/change/").text
    url = links.trace_url("tr-1")
    assert f'href="{url}"' in html
    assert "?trace_id=tr-1" in url
    assert client.get(url).status_code == 200  # the target admin accepts the filter
