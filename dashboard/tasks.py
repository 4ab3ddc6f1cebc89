from celery import shared_task

from dashboard import ranges
from dashboard.sections import TABS
from monitoring_site.replica import replica_reads


@shared_task(ignore_result=True)
@replica_reads()
def warm_overview() -> int:
    """Recompute the default overview (24 h, all tenants) so the day's first look is not the
    one that waits for the queries; returns how many sections were computed."""
    window = ranges.parse({})
    sections = TABS["overview"].sections
    for section in sections:
        section.data(window, force=True)
    return len(sections)


@shared_task(ignore_result=True)
@replica_reads()
def warm_all() -> int:
    """Recompute every tab and range (all tenants) so no first view waits for the long-range
    queries (up to seconds each over millions of rows; docs/performance/dashboard.md). Runs well
    inside the cache's keep time, so views are served from the cache and refreshed behind it.
    Needs a shared cache (Redis) to help the web processes; with the local-memory cache each
    process keeps its own copy."""
    computed = 0
    for key in ranges.RANGES:
        window = ranges.parse({"range": key})
        for tab in TABS.values():
            for section in tab.sections:
                section.data(window, force=True)
                computed += 1
    return computed
