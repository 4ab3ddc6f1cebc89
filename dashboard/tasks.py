from celery import shared_task

from dashboard import ranges
from dashboard.sections import TABS


@shared_task(ignore_result=True)
def warm_overview() -> int:
    """Recompute the default overview (24 h, all tenants) so the day's first look is not the
    one that waits for the queries; returns how many sections were computed."""
    window = ranges.parse({})
    sections = TABS["overview"].sections
    for section in sections:
        section.data(window, force=True)
    return len(sections)
