"""Public status pages: /status-page/<slug>/ (HTML, no JavaScript) and /status-page/<slug>.json.

No login, cacheable (shared caches may keep them for STATUS_PAGE_CACHE_SECONDS). Only what an
Admin marked public is shown: components under their public names, public incidents under their
public titles with their public updates. Never a URL, host, slug or internal name.
"""

import logging
from datetime import datetime

from django.conf import settings
from django.core.cache import cache
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from incidents.models import Incident, StatusPage
from monitoring_site.replica import replica_reads

logger = logging.getLogger(__name__)
DAYS = 90
LABELS = {"up": "Operational", "down": "Outage", "unknown": "No data"}


def page_data(page: StatusPage, now: datetime | None = None) -> dict:
    from checks.queries import daily_uptime

    now = now or timezone.now()
    components = []
    for component in page.components.select_related("check_item", "monitor"):
        subject = component.subject
        days = daily_uptime(subject, DAYS, now)
        known = [u for _, u in days if u is not None]
        components.append(
            {
                "name": component.public_name,
                "status": _public_status(subject.get_status(now)),
                "uptime_90d": round(sum(known) / len(known), 3) if known else None,
                "days": [{"date": d.isoformat(), "uptime": u} for d, u in days],
            }
        )
    incidents = _incidents(now) if page.show_incidents else []
    statuses = {c["status"] for c in components}
    overall = "outage" if "down" in statuses else ("incident" if incidents else "operational")
    return {
        "title": page.title,
        "description": page.description,
        "status": overall,
        "updated_at": now.isoformat(),
        "components": components,
        "incidents": incidents,
    }


def _public_status(status: str) -> str:
    return {"up": "up", "grace": "up", "down": "down"}.get(status, "unknown")


def _incidents(now: datetime) -> list[dict]:
    current = Incident.objects.filter(public=True).exclude(status=Incident.Status.RESOLVED).order_by("-created_at")
    return [
        {
            "title": incident.shown_title,
            "status": incident.status,
            "started_at": incident.created_at.isoformat(),
            "updates": [
                {"at": u.created_at.isoformat(), "status": u.status, "body": u.body}
                for u in incident.updates.filter(public=True).order_by("-created_at")
            ],
        }
        for incident in current[:20]
    ]


def _cached(slug: str) -> dict:
    key = f"status-page:{slug}"
    try:
        data = cache.get(key)
    except Exception as exc:  # the page must work while Redis is down
        logger.warning("status page cache unavailable: %s", exc)
        data = None
    if data is not None:
        return data
    with replica_reads():  # public and cached for a minute anyway: a few seconds of lag is fine
        page = StatusPage.objects.filter(slug=slug).first()
        if page is None:
            raise Http404("No status page has this address.")
        data = page_data(page)
    try:
        cache.set(key, data, settings.STATUS_PAGE_CACHE_SECONDS)
    except Exception as exc:
        logger.warning("status page cache unavailable: %s", exc)
    return data


def _minute(iso: str) -> str:
    return iso[:16].replace("T", " ")


def _cacheable(response: HttpResponse) -> HttpResponse:
    response["Cache-Control"] = f"public, max-age={settings.STATUS_PAGE_CACHE_SECONDS}"
    return response


@require_GET
def page_html(request: HttpRequest, slug: str) -> HttpResponse:
    try:
        data = _cached(slug)
    except Http404:
        return HttpResponse("No status page has this address.\n", status=404, content_type="text/plain")
    for component in data["components"]:
        component["label"] = LABELS[component["status"]]
    data["shown_updated_at"] = _minute(data["updated_at"])
    for incident in data["incidents"]:
        incident["shown_at"] = _minute(incident["started_at"])
        for update in incident["updates"]:
            update["shown_at"] = _minute(update["at"])
    return _cacheable(render(request, "incidents/status_page.html", {"page": data}))


@require_GET
def page_json(request: HttpRequest, slug: str) -> HttpResponse:
    try:
        data = _cached(slug)
    except Http404:
        return JsonResponse({"detail": "No status page has this address."}, status=404)
    return _cacheable(JsonResponse(data))
