"""CORS for the widget endpoint: answered only for origins some active feedback site allows.

django-cors-headers asks this receiver about every request outside CORS_URLS_REGEX too, so it
returns early for other paths without touching the database. The POST itself is checked again
against the one site its key names (feedback.api), because a script can forge Origin.
"""

from django.conf import settings
from django.db import DatabaseError

from feedback.models import FeedbackSite


def _is_widget_path(request) -> bool:
    return request.path_info == settings.FEEDBACK_API_PATH


def allow_site_origins(sender, request, **kwargs) -> bool:
    origin = request.headers.get("Origin", "")
    if not origin or not _is_widget_path(request):
        return False
    try:
        sites = list(FeedbackSite.objects.filter(is_active=True).only("allowed_origins"))
    except DatabaseError:
        # No CORS headers; the view itself then answers 503 + Retry-After (a 500 from inside the
        # CORS middleware would be the only 500 of a database outage).
        return False
    return any(site.allows_origin(origin) for site in sites)
