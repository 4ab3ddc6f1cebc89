"""seed_demo: a demo feedback site and a few weeks of realistic, varied feedback."""

import random
from datetime import timedelta

from django.apps import apps
from django.utils import timezone

from feedback.models import Feedback, FeedbackSite, hash_message

DEMO_SITE = "Demo storefront"
MESSAGES = [
    ("bug", "high", "The chat assistant answered in Spanish although my browser is set to English."),
    ("bug", "high", "Checkout fails with 'payment session expired' right after the assistant suggested a coupon."),
    ("bug", "medium", "The summary of my order history cut off mid-sentence."),
    ("bug", "medium", "Search suggestions show products that are out of stock."),
    ("bug", "low", "The feedback button covers the 'Back to top' link on my phone."),
    ("feature", "medium", "Could the assistant remember my shoe size between visits?"),
    ("feature", "low", "Please add a dark mode to the help centre."),
    ("feature", "medium", "Export my conversation with the assistant as PDF."),
    ("question", "medium", "Is my chat history used to train the AI model?"),
    ("question", "low", "How do I change the language of the assistant?"),
    ("general", "low", "The new product recommendations are spot on, thanks!"),
    ("general", "medium", "Answers got noticeably slower this week."),
]
ORIGINS = "http://localhost:8000\nhttp://127.0.0.1:8000"


def seed(days: int, events: int, stdout) -> None:
    site, created = FeedbackSite.objects.get_or_create(name=DEMO_SITE, defaults={"allowed_origins": ORIGINS})
    if site.feedback_set.exists():
        stdout.write(f"feedback: demo site {site.public_key} already has feedback; left as is")
        return
    count = max(20, min(300, events // 500))
    Feedback.objects.bulk_create(_items(site, count, random.Random(5), _failed_traces()))
    _backdate(site, days, random.Random(6))
    _give_some_to_the_demo_user(site)
    stdout.write(f"feedback: demo site {site.name!r} key {site.public_key}, {count} feedback items")


def _failed_traces() -> list[str]:
    """Trace ids of failed demo AI calls (seeded before us), so bug reports link to real calls."""
    try:
        model = apps.get_model("ailogs", "AiCall")
    except LookupError:
        return []
    calls = model.objects.exclude(status="success").exclude(trace_id="").order_by()
    return list(calls.values_list("trace_id", flat=True)[:200])


def _items(site: FeedbackSite, count: int, rng: random.Random, traces: list[str]) -> list[Feedback]:
    items = []
    for _ in range(count):
        category, priority, message = rng.choice(MESSAGES)
        status = rng.choices(["pending", "reviewed", "resolved", "spam"], weights=[5, 3, 3, 1])[0]
        item = Feedback(
            site=site,
            category=category,
            priority=priority,
            status=status,
            message=message
            if status != "spam"
            else "Cheap followers at http://spam.example http://spam.example/2 http://x.example http://y.example",
            spam_reason="links" if status == "spam" else "",
            external_user_id=f"cust-{rng.randint(1000, 9999)}",
            page_url=f"http://localhost:8000/shop/item/{rng.randint(1, 400)}",
            user_agent="Mozilla/5.0 (X11; Linux x86_64) Chrome/130.0",
            viewport=rng.choice(["1366x900", "390x844", "1920x1080"]),
            trace_id=rng.choice(traces) if traces and category == "bug" else "",
            metadata={"language": "en-US"},
        )
        item.message_hash = hash_message(item.message)  # bulk_create skips save()
        items.append(item)
    return items


def _backdate(site: FeedbackSite, days: int, rng: random.Random) -> None:
    # auto_now_add ignores given values on create, so spread the timestamps afterwards.
    now = timezone.now()
    for item in Feedback.objects.filter(site=site).only("id"):
        when = now - timedelta(minutes=rng.randint(0, max(1, days) * 24 * 60))
        Feedback.objects.filter(pk=item.pk).update(created_at=when, updated_at=when)


def _give_some_to_the_demo_user(site: FeedbackSite) -> None:
    """The demo's end user (not staff) sent three of them: /feedback/mine/ is not empty on first sign-in."""
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.filter(is_staff=False, is_active=True).order_by("pk").first()
    if user is None:
        return
    mine = site.feedback_set.exclude(status="spam").order_by("pk").values_list("pk", flat=True)[:3]
    Feedback.objects.filter(pk__in=list(mine)).update(user=user)
