"""What one valid event costs the database: exactly one statement, no transaction block.

Guards the single-event path (SPEC 3 ingest, docs/performance/ailogs.md): a per-request
SELECT, UPDATE of a shared row, savepoint or price lookup would show up here first.
"""

import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext, override_settings

from ailogs.models import AiCall
from tests.ailogs.helpers import event, price

URL = "/api/v1/ai-logs/"
# Outside a test transaction, as in a web process (a test transaction would add savepoints).
pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="the measured path (SQLite checks keys first)"),
]


@pytest.fixture
def writer(api_client):
    client = api_client("ailogs:write")
    price()
    client.post(URL, event(), format="json")  # warm the key and price caches, as a live worker has them
    return client


def test_a_valid_event_is_one_insert_and_nothing_else(writer):
    with CaptureQueriesContext(connection) as queries:
        response = writer.post(URL, event(event_id=str(uuid.uuid4())), format="json")
    assert response.status_code == 201
    statements = [q["sql"] for q in queries.captured_queries]
    # one statement: claims the event_id and inserts the call (WITH claimed AS (INSERT ...) INSERT ...)
    assert len(statements) == 1 and 'INSERT INTO "ailogs_aicall"' in statements[0], statements


@override_settings(AILOGS_SYNCHRONOUS_COMMIT=False)
def test_opt_in_asynchronous_commit_applies_to_the_ingest_transaction_only(writer):
    with CaptureQueriesContext(connection) as queries:
        response = writer.post(URL, event(event_id=str(uuid.uuid4())), format="json")
    assert response.status_code == 201
    statements = [q["sql"] for q in queries.captured_queries]
    assert statements[:2] == ["BEGIN", "SET LOCAL synchronous_commit TO OFF"], statements
    assert 'INSERT INTO "ailogs_aicall"' in statements[2] and statements[3:] == ["COMMIT"], statements
    assert AiCall.objects.count() == 2
    with connection.cursor() as cursor:
        cursor.execute("SHOW synchronous_commit")
        assert cursor.fetchone()[0] == "on"
