"""Bots get the same 201 as people, but their feedback is stored as spam and never counts."""

import time_machine
from django.utils import timezone

from feedback import queries
from feedback.models import Feedback
from feedback.spam import render_token

from .conftest import old_token

HUMAN = {"status": "pending"}


def stored(response) -> Feedback:
    assert response.status_code == 201
    body = response.json()
    assert body["status"] == "pending"  # looks the same to the bot
    return Feedback.objects.get(pk=body["id"])


def test_a_human_submission_is_pending(widget_post):
    item = stored(widget_post())
    assert (item.status, item.spam_reason) == ("pending", "")


def test_honeypot_filled_is_spam(widget_post):
    item = stored(widget_post(website="http://buy-now.example"))
    assert (item.status, item.spam_reason) == ("spam", "honeypot")


def test_submitting_right_after_render_is_spam(widget_post, site, settings):
    settings.FEEDBACK_MIN_SUBMIT_SECONDS = 2
    item = stored(widget_post(token=render_token(site.public_key)))
    assert (item.status, item.spam_reason) == ("spam", "too_fast")


def test_submitting_after_the_minimum_time_is_accepted(widget_post, site, settings):
    settings.FEEDBACK_MIN_SUBMIT_SECONDS = 2
    item = stored(widget_post(token=old_token(site.public_key, seconds=3)))
    assert item.status == "pending"


def test_missing_forged_foreign_or_expired_tokens_are_spam(widget_post, site, settings):
    forged = old_token(site.public_key)[:-3] + "abc"
    foreign = old_token("pk_someone_else")
    with time_machine.travel(timezone.now() - timezone.timedelta(days=2), tick=False):
        expired = render_token(site.public_key)
    for i, token in enumerate([forged, foreign, expired]):
        item = stored(widget_post(token=token, message=f"message {i}"))
        assert (item.status, item.spam_reason) == ("spam", "no_token"), token


def test_a_post_with_only_the_spec_fields_is_accepted_by_default(widget_post):
    assert stored(widget_post(token=None)).status == "pending"


def test_requiring_tokens_makes_token_less_posts_spam(widget_post, settings):
    settings.FEEDBACK_REQUIRE_TOKEN = True
    for i, token in enumerate([None, ""]):
        item = stored(widget_post(token=token, message=f"no token {i}"))
        assert (item.status, item.spam_reason) == ("spam", "no_token")


def test_link_stuffed_messages_are_spam(widget_post):
    links = " ".join(f"https://cheap{i}.example" for i in range(4))
    item = stored(widget_post(message=f"Great deals {links}"))
    assert (item.status, item.spam_reason) == ("spam", "links")


def test_a_few_links_are_fine(widget_post):
    assert stored(widget_post(message="Broken: https://shop.example/a and www.shop.example/b")).status == "pending"


def test_an_exact_duplicate_within_ten_minutes_is_spam(widget_post):
    first = stored(widget_post(message="The bot ignored my question."))
    again = stored(widget_post(message="The  bot ignored my QUESTION."))
    assert first.status == "pending"
    assert (again.status, again.spam_reason) == ("spam", "duplicate")


def test_the_same_message_after_ten_minutes_is_not_a_duplicate(widget_post):
    with time_machine.travel(timezone.now() - timezone.timedelta(minutes=11)):
        stored(widget_post(message="Still broken."))
    assert stored(widget_post(message="Still broken.")).status == "pending"


def test_spam_never_counts_towards_alerts_or_metrics(widget_post):
    stored(widget_post(website="x", priority="high"))
    stored(widget_post(message="real", priority="high"))
    assert queries.high_priority_pending() == 1
    assert (
        queries.counts_by_category(
            timezone.now() - timezone.timedelta(hours=1), timezone.now() + timezone.timedelta(seconds=1)
        )["bug"]
        == 1
    )
