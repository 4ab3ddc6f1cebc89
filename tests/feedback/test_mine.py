"""Signed-in users of this site: the widget posts with their session and CSRF token."""

import json

import pytest
from django.test import Client

from feedback.models import Feedback

from .conftest import URL


@pytest.fixture
def uma_client(uma):
    client = Client(enforce_csrf_checks=True)
    client.force_login(uma)
    return client


def csrf_token(client) -> str:
    client.get("/feedback/mine/")
    return client.cookies["csrftoken"].value


def test_a_signed_in_user_posts_with_session_and_csrf(uma_client, uma):
    token = csrf_token(uma_client)
    body = json.dumps({"message": "Search is slow", "category": "bug"})
    response = uma_client.post(URL, body, content_type="application/json", headers={"X-CSRFToken": token})
    assert response.status_code == 201
    item = Feedback.objects.get()
    assert (item.user, item.site, item.status, item.email) == (uma, None, "pending", "uma@example.com")


def test_a_session_post_without_csrf_token_is_refused(uma_client):
    response = uma_client.post(URL, json.dumps({"message": "hi"}), content_type="application/json")
    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]
    assert not Feedback.objects.exists()


def test_an_anonymous_post_without_site_key_is_refused(db):
    response = Client().post(URL, json.dumps({"message": "hi"}), content_type="application/json")
    assert response.status_code == 403


def test_mine_lists_only_my_feedback_with_status(client_for, uma, mo, site):
    Feedback.objects.create(user=uma, message="<b>mine</b>", status="reviewed")
    Feedback.objects.create(user=uma, message="my spam", status="spam")
    Feedback.objects.create(user=mo, message="not mine")
    Feedback.objects.create(site=site, message="anonymous")
    html = client_for(uma).get("/feedback/mine/").text
    assert "&lt;b&gt;mine&lt;/b&gt;" in html and "Reviewed" in html
    assert "my spam" in html and "Spam" not in html
    assert "not mine" not in html and "anonymous" not in html
    assert 'src="/widget.js" data-session="true"' in html


def test_mine_requires_sign_in(client):
    response = client.get("/feedback/mine/")
    assert response.status_code == 302
    assert response["Location"].startswith("/feedback/login/")


def test_a_user_signs_in_on_the_user_login_page(client, uma):
    from conftest import PASSWORD

    response = client.post("/feedback/login/", {"username": "uma", "password": PASSWORD})
    assert response.status_code == 302 and response["Location"] == "/feedback/mine/"
    assert client.get("/feedback/mine/").status_code == 200
