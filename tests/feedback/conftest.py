"""Feedback fixtures: a site allowed on https://shop.example, and a widget-like poster."""

import json
from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from feedback.models import FeedbackSite
from feedback.spam import render_token

ORIGIN = "https://shop.example"
URL = "/api/v1/feedback/"


@pytest.fixture(autouse=True)
def _rate_limit_cache_up():
    """A test that simulated a cache outage must not leave the fail-open window to the next test."""
    from feedback import ratelimit

    ratelimit._cache_down_until = 0.0


@pytest.fixture
def site(db):
    return FeedbackSite.objects.create(name="Shop", allowed_origins=f"{ORIGIN}\nhttp://localhost:3000")


def old_token(site_key: str, seconds: float = 30) -> str:
    """A render token issued `seconds` ago, as from a widget opened a while before submitting."""
    with time_machine.travel(timezone.now() - timedelta(seconds=seconds), tick=False):
        return render_token(site_key)


@pytest.fixture
def widget_post(site):
    """widget_post(**fields) posts like the widget from ORIGIN: no cookies, JSON, a 30 s old token."""
    client = Client()

    def post(origin: str = ORIGIN, client=client, headers=None, **fields):
        body = {
            "site_key": site.public_key,
            "message": "The answer was wrong.",
            "category": "bug",
            "token": old_token(site.public_key),
        }
        body.update(fields)
        body = {k: v for k, v in body.items() if v is not None}
        headers = {**({"Origin": origin} if origin else {}), **(headers or {})}
        return client.post(URL, json.dumps(body), content_type="application/json", headers=headers)

    return post
