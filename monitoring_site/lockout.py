"""The answer to a locked-out login (django-axes): 429 with Retry-After, like every other 429."""

import math

from axes.helpers import get_cool_off, get_lockout_message
from django.conf import settings
from django.http import HttpRequest, HttpResponse


def lockout_response(
    request: HttpRequest, original_response: HttpResponse | None = None, credentials: dict | None = None
) -> HttpResponse:
    """Answer AXES_HTTP_RESPONSE_CODE with the cool-off in Retry-After (seconds, rounded up).

    The cool-off counts from the last failure, so it is the longest wait: a client that honours
    it is never refused again for the same lock.
    """
    response = HttpResponse(get_lockout_message(), status=settings.AXES_HTTP_RESPONSE_CODE, content_type="text/plain")
    cool_off = get_cool_off(request)
    if cool_off:
        response["Retry-After"] = str(math.ceil(cool_off.total_seconds()))
    return response
