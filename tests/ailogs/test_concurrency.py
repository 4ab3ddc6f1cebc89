import threading

import pytest
from django.db import connection
from rest_framework.test import APIClient

from ailogs.models import AiCall
from monitoring_site.models import ApiKey
from tests.ailogs.helpers import with_id


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_identical_batches_store_each_event_once():
    _, raw = ApiKey.issue("race", ["ailogs:write"])
    batch = [with_id() for _ in range(200)]
    start = threading.Barrier(2)
    bodies = []

    def send():
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
        start.wait()
        try:
            bodies.append(client.post("/api/v1/ai-logs/", batch, format="json").json())
        finally:
            connection.close()

    threads = [threading.Thread(target=send) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert AiCall.objects.count() == 200
    assert sorted(b["accepted"] for b in bodies) == [0, 200] or sum(b["accepted"] for b in bodies) == 200
    assert sum(b["accepted"] + b["duplicates"] for b in bodies) == 400
