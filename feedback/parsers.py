from django.conf import settings

from monitoring_site.parsers import LimitedJSONParser


class FeedbackJSONParser(LimitedJSONParser):
    """The widget's bodies are small: cap them at FEEDBACK_MAX_BODY_BYTES (16 KB by default)."""

    def max_bytes(self) -> int:
        return settings.FEEDBACK_MAX_BODY_BYTES
