"""Without DATABASE_REPLICA_URL nothing changes: every read and write stays on the one database."""

import pytest
from django.conf import settings
from django.db import router

from ailogs.models import AiCall
from monitoring_site.models import ApiKey
from monitoring_site.replica import ReplicaRouter, replica_reads


@pytest.mark.skipif("replica" in settings.DATABASES, reason="DATABASE_REPLICA_URL is set")
def test_without_a_replica_reads_in_a_read_only_scope_stay_on_the_primary(client, db):
    with replica_reads():
        assert router.db_for_read(AiCall) == "default"
    assert "replica" not in client.get("/api/health").json()["services"]


def test_sign_in_data_and_writes_never_go_to_the_replica():
    replica_router = ReplicaRouter()
    with replica_reads():
        assert replica_router.db_for_read(ApiKey) == "default"  # a revoked key is refused at once
        assert replica_router.db_for_write(AiCall) == "default"
    assert not replica_router.allow_migrate("replica", "ailogs")
