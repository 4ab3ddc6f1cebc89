import pytest
from django.test import Client

from feedback.models import Feedback

from .conftest import ORIGIN, URL


@pytest.mark.parametrize(
    ("fields", "field", "text"),
    [
        ({"message": ""}, "message", "blank"),
        ({"message": None}, "message", "required"),
        ({"message": "   \u200b\u200b  "}, "message", "Write a message"),
        ({"message": "x" * 5001}, "message", "5000"),
        ({"message": 42 * [1]}, "message", "valid string"),
        ({"category": "rant"}, "category", "not a valid choice"),
        ({"priority": "urgent"}, "priority", "not a valid choice"),
        ({"email": "not-an-email"}, "email", "valid email"),
        ({"email": "a" * 250 + "@x.example"}, "email", "254"),
        ({"page_url": "javascript:alert(1)"}, "page_url", "valid URL"),
        ({"page_url": "ftp://files.example/x"}, "page_url", "http and https"),
        ({"page_url": "https://shop.example/" + "a" * 2000}, "page_url", "2000"),
        ({"user_id": "u" * 129}, "user_id", "128"),
        ({"trace_id": "has spaces"}, "trace_id", "letters, digits"),
        ({"viewport": "wide"}, "viewport", "WIDTHxHEIGHT"),
        ({"metadata": ["not", "a", "dict"]}, "metadata", "dictionary"),
        ({"metadata": {"blob": "x" * 5000}}, "metadata", "4096"),
    ],
)
def test_it_rejects_bad_fields_with_a_clear_400(widget_post, fields, field, text):
    response = widget_post(**fields)
    assert response.status_code == 400
    errors = response.json()
    assert field in errors, errors
    assert text.lower() in " ".join(errors[field]).lower()
    assert not Feedback.objects.exists()


def test_it_rejects_nul_characters_naming_the_field(widget_post):
    response = widget_post(message="a\x00b")
    assert response.status_code == 400
    assert "NUL" in response.json()["detail"] and "message" in response.json()["detail"]
    assert not Feedback.objects.exists()


def test_it_rejects_malformed_json(site):
    response = Client().post(URL, "{not json", content_type="application/json", HTTP_ORIGIN=ORIGIN)
    assert response.status_code == 400
    assert "JSON parse error" in response.json()["detail"]


def test_it_rejects_a_json_array_body(site):
    response = Client().post(URL, "[]", content_type="application/json", HTTP_ORIGIN=ORIGIN)
    assert response.status_code == 403  # no site key in it


def test_it_rejects_form_encoded_bodies(site):
    response = Client().post(URL, {"site_key": site.public_key, "message": "hi"}, HTTP_ORIGIN=ORIGIN)
    assert response.status_code == 415


def test_it_rejects_bodies_over_the_limit(widget_post, settings):
    settings.FEEDBACK_MAX_BODY_BYTES = 2048
    response = widget_post(message="x" * 3000)
    assert response.status_code == 413
    assert "2048" in response.json()["detail"]


def test_it_strips_invisible_characters_and_keeps_the_rest(widget_post):
    response = widget_post(message="  Wrong\u200b answer\u202e here\n  ", email="", page_url="", trace_id="")
    assert response.status_code == 201
    assert Feedback.objects.get().message == "Wrong answer here"


def test_it_stores_every_field(widget_post):
    response = widget_post(
        message="Slow",
        category="question",
        priority="high",
        email="ann@example.com",
        page_url="https://shop.example/cart?x=1",
        user_id="cust-1",
        trace_id="tr-123",
        viewport="390x844",
        metadata={"plan": "pro"},
        headers={"User-Agent": "TestAgent/1.0"},
    )
    assert response.status_code == 201
    item = Feedback.objects.get()
    assert (item.category, item.priority, item.status) == ("question", "high", "pending")
    assert (item.email, item.page_url, item.external_user_id) == (
        "ann@example.com",
        "https://shop.example/cart?x=1",
        "cust-1",
    )
    assert (item.trace_id, item.viewport, item.metadata) == ("tr-123", "390x844", {"plan": "pro"})
    assert item.client_address == "127.0.0.1"
    assert item.user_agent == "TestAgent/1.0"
    assert item.site.name == "Shop"


def test_category_and_priority_have_defaults(widget_post):
    assert widget_post(category=None).status_code == 201
    item = Feedback.objects.get()
    assert (item.category, item.priority) == ("general", "medium")
