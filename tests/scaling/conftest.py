"""The real topology for the scaling tests: a primary, its streaming replica and PgBouncer, made
once per session under var/scaling and removed at the end. Skipped on SQLite and where the
PostgreSQL 15 or PgBouncer binaries are missing, unless REQUIRE_SCALING_TESTS=true (CI)."""

import os

import pytest
from django.conf import settings

from tests.scaling import cluster as cluster_module


@pytest.fixture(scope="session")
def pg_cluster():
    reason = None if settings.IS_POSTGRES else "needs PostgreSQL (DATABASE_URL)"
    reason = reason or cluster_module.missing()
    if reason:
        if os.environ.get("REQUIRE_SCALING_TESTS") == "true" and settings.IS_POSTGRES:
            pytest.fail(f"scaling tests required but {reason}")
        pytest.skip(f"replica/PgBouncer tests: {reason}")
    made = cluster_module.make()
    try:
        yield made
    finally:
        made.stop()
