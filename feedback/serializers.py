import json
import re

from rest_framework import serializers

from feedback.models import Feedback

# C0 controls except tab/newline/CR, DEL, zero-width and bidi-override characters: invisible
# text that hides content from moderators or reorders it on screen.
_INVISIBLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff]")
MAX_METADATA_BYTES = 4096


def strip_invisible(value: str) -> str:
    return _INVISIBLE.sub("", value)


class FeedbackInSerializer(serializers.Serializer):
    """What the widget (or any client) may send to POST /api/v1/feedback/ (SPEC section 4)."""

    site_key = serializers.CharField(max_length=64, required=False, allow_blank=True)
    # trim_whitespace=False: the limits hold for the text as sent (validate_* strips it afterwards).
    message = serializers.CharField(max_length=5000, trim_whitespace=False)
    category = serializers.ChoiceField(choices=Feedback.Category.choices, default=Feedback.Category.GENERAL)
    priority = serializers.ChoiceField(choices=Feedback.Priority.choices, default=Feedback.Priority.MEDIUM)
    email = serializers.EmailField(max_length=254, required=False, allow_blank=True, default="")
    page_url = serializers.URLField(max_length=2000, required=False, allow_blank=True, default="")
    user_id = serializers.CharField(max_length=128, required=False, allow_blank=True, default="", trim_whitespace=False)
    trace_id = serializers.RegexField(
        r"^[A-Za-z0-9._:-]{1,255}$",
        required=False,
        allow_blank=True,
        default="",
        error_messages={"invalid": "Use 1-255 letters, digits, '.', '_', ':' or '-'."},
    )
    viewport = serializers.RegexField(
        r"^\d{1,5}x\d{1,5}$",
        required=False,
        allow_blank=True,
        default="",
        error_messages={"invalid": "Use WIDTHxHEIGHT in pixels, e.g. 1280x800."},
    )
    metadata = serializers.DictField(required=False, default=dict)
    website = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=2000, trim_whitespace=False
    )
    token = serializers.CharField(required=False, allow_blank=True, default="", max_length=200)

    def validate_message(self, value: str) -> str:
        value = strip_invisible(value).strip()
        if not value:
            raise serializers.ValidationError("Write a message (1 to 5,000 characters).")
        return value

    def validate_user_id(self, value: str) -> str:
        return strip_invisible(value).strip()

    def validate_page_url(self, value: str) -> str:
        if value and not value.lower().startswith(("http://", "https://")):
            raise serializers.ValidationError("Only http and https page URLs are accepted.")
        return value

    def validate_metadata(self, value: dict) -> dict:
        if len(json.dumps(value)) > MAX_METADATA_BYTES:
            raise serializers.ValidationError(f"Metadata must be at most {MAX_METADATA_BYTES} bytes of JSON.")
        return value


class FeedbackOutSerializer(serializers.ModelSerializer):
    """What `feedback:read` keys and staff see; internal notes and client addresses stay out."""

    site = serializers.CharField(source="site.name", default=None)
    user_id = serializers.CharField(source="external_user_id")
    assignee = serializers.CharField(source="assignee.username", default=None)

    class Meta:
        model = Feedback
        fields = [
            "id",
            "site",
            "message",
            "category",
            "priority",
            "status",
            "email",
            "page_url",
            "user_id",
            "trace_id",
            "metadata",
            "assignee",
            "created_at",
            "updated_at",
        ]
