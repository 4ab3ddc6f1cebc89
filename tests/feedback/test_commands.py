from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from feedback.models import Feedback, FeedbackSite


def test_create_feedback_site_prints_the_key_last(db):
    out = StringIO()
    call_command("create_feedback_site", "Shop", "--origins", "https://a.example,https://B.example:443/", stdout=out)
    site = FeedbackSite.objects.get(name="Shop")
    assert out.getvalue().strip().splitlines()[-1] == site.public_key
    assert site.public_key.startswith("pk_") and len(site.public_key) > 20
    assert site.origins == ["https://a.example", "https://b.example"]


def test_create_feedback_site_prints_a_ready_to_paste_tag(db, settings):
    settings.SITE_URL = "https://monitoring.example.com/"
    out = StringIO()
    call_command("create_feedback_site", "Shop", "--origins", "https://a.example", stdout=out)
    key = FeedbackSite.objects.get(name="Shop").public_key
    tag = f'<script src="https://monitoring.example.com/widget.js" data-site-key="{key}" async></script>'
    assert tag in out.getvalue().splitlines()[-2]


@pytest.mark.parametrize("origins", ["", "ftp://a.example", "https://a.example/path", "not a url"])
def test_create_feedback_site_rejects_bad_origins(db, origins):
    with pytest.raises(CommandError):
        call_command("create_feedback_site", "Shop", "--origins", origins, stdout=StringIO())
    assert not FeedbackSite.objects.exists()


def test_create_feedback_site_refuses_a_duplicate_name(db):
    call_command("create_feedback_site", "Shop", "--origins", "https://a.example", stdout=StringIO())
    with pytest.raises(CommandError, match="already exists"):
        call_command("create_feedback_site", "Shop", "--origins", "https://a.example", stdout=StringIO())


def test_every_site_gets_its_own_key(db):
    keys = {FeedbackSite.objects.create(name=f"s{i}").public_key for i in range(5)}
    assert len(keys) == 5


def test_seed_demo_creates_a_site_and_varied_feedback_once(db):
    out = StringIO()
    call_command("seed_demo", "--days", "3", "--events", "1000", stdout=out)
    site = FeedbackSite.objects.get(name="Demo storefront")
    items = Feedback.objects.filter(site=site)
    assert items.count() >= 20
    assert {"bug", "feature", "question", "general"} <= set(items.values_list("category", flat=True))
    assert "Demo storefront" in out.getvalue()
    count = items.count()
    call_command("seed_demo", "--days", "3", "--events", "1000", stdout=StringIO())
    assert Feedback.objects.filter(site=site).count() == count


def test_migrations_match_the_models(db):
    call_command("makemigrations", "feedback", "--check", "--dry-run", stdout=StringIO())
