import platform
import sys

import celery
import django
from django.contrib.auth.views import redirect_to_login
from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.db.migrations.executor import MigrationExecutor
from django.http import HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from django.views.defaults import page_not_found
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from monitoring_site import health
from monitoring_site.api import is_connection_error
from monitoring_site.api_keys import IsServiceKey
from monitoring_site.queues import queue_depths
from monitoring_site.roles import is_admin


@never_cache
@require_GET
def api_health(request):
    body, status = health.full_health()
    return JsonResponse(body, status=status)


@never_cache
@require_GET
def healthz(request):
    if "live" in request.GET:
        return JsonResponse({"status": "ok", "uptimeSeconds": health.uptime_seconds()})
    body, status = health.readiness()
    return JsonResponse(body, status=status)


@never_cache
@require_GET
def status(request):
    """Detailed runtime status for Admins."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    if not is_admin(request.user):
        return JsonResponse({"detail": "Admin role required."}, status=403)
    return JsonResponse(
        {
            "version": _versions(),
            "health": health.full_health()[0],
            "pending_migrations": _pending_migrations(),
            "queue_depth": _safe(queue_depths),
            "scheduled_runs": _scheduled_runs(),
            "row_counts": _row_counts(),
        }
    )


def _safe(func):
    try:
        return func()
    except Exception as exc:
        return {"error": f"{type(exc).__name__}: {exc}"[:200]}


def _versions() -> dict:
    database = connection.vendor
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SHOW server_version")
            database = f"postgresql {cursor.fetchone()[0]}"
    elif connection.vendor == "sqlite":
        import sqlite3

        database = f"sqlite {sqlite3.sqlite_version}"
    from django.conf import settings

    return {
        "app": settings.VERSION,
        "python": sys.version.split()[0],
        "django": django.get_version(),
        "celery": celery.__version__,
        "database": database,
        "platform": platform.platform(),
    }


def _pending_migrations() -> list[str]:
    executor = MigrationExecutor(connections[DEFAULT_DB_ALIAS])
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    return [f"{migration.app_label}.{migration.name}" for migration, _ in plan]


def _scheduled_runs() -> list[dict]:
    from django_celery_beat.models import PeriodicTask

    return [
        {
            "name": t.name,
            "task": t.task,
            "enabled": t.enabled,
            "last_run_at": t.last_run_at,
            "total_run_count": t.total_run_count,
        }
        for t in PeriodicTask.objects.order_by("name")
    ]


def _row_counts() -> dict[str, int]:
    from django.apps import apps

    counts = {}
    for app_label in ("monitoring_site", "ailogs", "metrics", "feedback", "alerts"):
        for model in apps.get_app_config(app_label).get_models():
            counts[model._meta.label] = _estimated_count(model)
    return counts


def _estimated_count(model) -> int:
    """Exact for small tables; PostgreSQL's estimate for big ones (COUNT(*) on 5M rows is slow)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT reltuples::bigint FROM pg_class WHERE relname = %s", [model._meta.db_table])
            row = cursor.fetchone()
        if row and row[0] > 100_000:
            return row[0]
    return model._base_manager.count()


def not_found(request, exception=None):
    """handler404: JSON under /api/ (clients parse it), Django's page elsewhere."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": "Not found."}, status=404)
    return page_not_found(request, exception)


def server_error(request):
    """handler500: a lost database connection anywhere in the stack becomes 503 + Retry-After."""
    exc = sys.exc_info()[1]
    if exc is not None and is_connection_error(exc):
        from django.conf import settings

        if request.path.startswith("/api/"):
            response = JsonResponse({"detail": "Database unavailable; retry later."}, status=503)
        else:
            response = HttpResponse(
                "Service temporarily unavailable; retry later.", status=503, content_type="text/plain"
            )
        response["Retry-After"] = str(settings.DB_UNAVAILABLE_RETRY_AFTER)
        return response
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": "Internal server error."}, status=500)
    return HttpResponse("Internal server error.", status=500, content_type="text/plain")


class AuthCheckSerializer(serializers.Serializer):
    name = serializers.CharField()
    key = serializers.CharField(help_text="Prefix and last four characters.")
    scopes = serializers.ListField(child=serializers.CharField())
    expires_at = serializers.DateTimeField(allow_null=True)


class AuthCheckView(APIView):
    """Which key is this, and what may it do? Any valid key may ask."""

    permission_classes = [IsServiceKey]

    @extend_schema(responses=AuthCheckSerializer)
    def get(self, request):
        key = request.auth
        return Response({"name": key.name, "key": key.display, "scopes": key.scopes, "expires_at": key.expires_at})
