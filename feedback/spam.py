"""Bot traps for the public widget: honeypot, render token age, link stuffing, exact duplicates.

A trapped submission still gets a normal 201 (so bots learn nothing) but is stored as spam,
which the alert queries and the triage queue leave out.
"""

import re
from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.utils import timezone

from feedback.models import Feedback, hash_message

_SALT = "feedback.render-token"
_LINK = re.compile(r"(https?://|www\.)", re.IGNORECASE)
Reason = Feedback.SpamReason


def render_token(site_key: str) -> str:
    """Return a signed timestamp the widget fetches when it opens and sends back on submit."""
    return signing.TimestampSigner(salt=_SALT).sign(site_key)


def token_age(token: str, site_key: str) -> float | None:
    """Seconds since the token was issued for this site, or None when it is forged, foreign or expired."""
    signer = signing.TimestampSigner(salt=_SALT)
    try:
        value = signer.unsign(token, max_age=settings.FEEDBACK_TOKEN_MAX_AGE_SECONDS)
        issued = signing.b62_decode(token.rsplit(":", 2)[-2])
    except (signing.BadSignature, ValueError):
        return None
    if value != site_key:
        return None
    return timezone.now().timestamp() - issued


def _token_reason(token: str, site_key: str) -> str:
    age = token_age(token, site_key) if token else None
    if age is None:
        return Reason.NO_TOKEN
    return Reason.TOO_FAST if age < settings.FEEDBACK_MIN_SUBMIT_SECONDS else ""


def _is_duplicate(message: str, site, user) -> bool:
    since = timezone.now() - timedelta(minutes=settings.FEEDBACK_DUPLICATE_WINDOW_MINUTES)
    recent = Feedback.objects.filter(message_hash=hash_message(message), created_at__gte=since, site=site)
    if site is None:
        recent = recent.filter(user=user)
    return recent.exists()


def spam_reason(data: dict, site, user, check_token: bool) -> str:
    """Return why a submission looks automated ("" when it looks human). Cheapest checks first."""
    if data.get("website"):
        return Reason.HONEYPOT
    token = data.get("token", "")
    # A token that is sent is always checked (the widget always sends one); a post without one
    # follows the SPEC's field list and is trapped only where FEEDBACK_REQUIRE_TOKEN is on.
    if check_token and (token or settings.FEEDBACK_REQUIRE_TOKEN):
        reason = _token_reason(token, site.public_key)
        if reason:
            return reason
    if len(_LINK.findall(data["message"])) > settings.FEEDBACK_MAX_LINKS:
        return Reason.LINKS
    if _is_duplicate(data["message"], site, user):
        return Reason.DUPLICATE
    return ""
