"""Personas shared by every test: an Admin, a Moderator, an end User, an outsider, and API keys.

alice is an Admin, mo a Moderator, uma an end User (not staff), and charlie is staff with no role:
"charlie gets 403". `api_client("ailogs:write")` returns a DRF client holding a key with that scope.
"""

import pytest
from django.contrib.auth.models import Group
from rest_framework.test import APIClient

from monitoring_site.api_keys import key_cache
from monitoring_site.models import ApiKey
from monitoring_site.roles import ADMIN, MODERATOR, USER, setup_roles

PASSWORD = "correct horse battery staple"


@pytest.fixture(autouse=True)
def _fresh_caches():
    """Each test starts with empty caches (pyproject's `env` makes tests speak plain HTTP)."""
    key_cache.clear()
    from django.core.cache import cache

    try:
        cache.clear()
    except Exception:
        pass
    yield
    key_cache.clear()
    # A test that sent beat_init started this process announcing itself as a beat every minute:
    # stop it, or every later test would see one more live beat.
    from monitoring_site import beats

    beats.stop_announcing()


@pytest.fixture
def roles(db):
    setup_roles()
    return {name: Group.objects.get(name=name) for name in (ADMIN, MODERATOR, USER)}


def _user(django_user_model, roles, username, role, staff):
    user = django_user_model.objects.create_user(username, f"{username}@example.com", PASSWORD, is_staff=staff)
    if role:
        user.groups.add(roles[role])
    return user


@pytest.fixture
def alice(django_user_model, roles):
    return _user(django_user_model, roles, "alice", ADMIN, staff=True)


@pytest.fixture
def mo(django_user_model, roles):
    return _user(django_user_model, roles, "mo", MODERATOR, staff=True)


@pytest.fixture
def uma(django_user_model, roles):
    return _user(django_user_model, roles, "uma", USER, staff=False)


@pytest.fixture
def charlie(django_user_model, roles):
    return _user(django_user_model, roles, "charlie", None, staff=True)


@pytest.fixture
def client_for(client):
    """client_for(user) returns the Django test client logged in as that user."""

    def make(user):
        client.force_login(user)
        return client

    return make


@pytest.fixture
def api_client(db):
    """api_client("scope", ...) returns an APIClient sending a fresh key with those scopes."""

    def make(*scopes: str, **fields) -> APIClient:
        key, raw = ApiKey.issue(f"test-{'-'.join(scopes) or 'none'}", list(scopes), **fields)
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
        client.key = key
        client.raw_key = raw
        return client

    return make


@pytest.fixture
def celery_worker(transactional_db):
    """A real Celery worker (solo pool, in a thread) consuming our queues on the configured broker."""
    import celery.contrib.testing.tasks  # noqa: F401  (registers celery.ping, which start_worker expects)
    from celery.contrib.testing.worker import start_worker

    from monitoring_site.celery import app
    from monitoring_site.queues import QUEUES

    try:
        app.control.purge()
    except Exception:
        pass
    with start_worker(
        app,
        pool="solo",
        concurrency=1,
        perform_ping_check=False,
        shutdown_timeout=10,
        loglevel="WARNING",
        queues=list(QUEUES),
    ):
        yield app


def wait_for(predicate, timeout: float = 15.0, interval: float = 0.1):
    """Poll until predicate() is truthy (a worker finishing a task); return its value or fail."""
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    pytest.fail(f"condition not met within {timeout} s")


CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = __import__("pathlib").Path(__file__).parent / "test-artifacts"


@pytest.fixture(scope="session")
def browser():
    """Debian's chromium driven by Playwright. Skipped where chromium is absent, unless
    REQUIRE_BROWSER_TESTS=true (CI sets it), in which case a missing browser fails the run."""
    import os

    if not os.path.exists(CHROMIUM):
        if os.environ.get("REQUIRE_BROWSER_TESTS") == "true":
            pytest.fail(f"{CHROMIUM} is missing: apt-get install -y chromium")
        pytest.skip(f"{CHROMIUM} not installed (apt-get install -y chromium)")
    # Playwright's sync API runs an event loop in this thread; Django's ORM calls from the test
    # body are still synchronous, so allow them.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-dev-shm-usage"],
        )
        yield instance
        instance.close()


@pytest.fixture
def page(browser):
    """A fresh browser page; console errors are collected in page.console_errors."""
    context = browser.new_context(viewport={"width": 1366, "height": 900})
    page = context.new_page()
    page.console_errors = []
    page.on("console", lambda msg: msg.type == "error" and page.console_errors.append(msg.text))
    page.on("pageerror", lambda exc: page.console_errors.append(str(exc)))
    yield page
    context.close()
