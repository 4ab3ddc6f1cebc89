"""Link feedback to the AI call it is about (trace_id), wherever the ailogs admin lists calls.

Found at run time instead of hard-coded: whichever ailogs model with a `trace_id` field is
registered in the admin gets the link, and that admin's own permission check decides who sees it.
"""

from urllib.parse import urlencode

from django.contrib import admin
from django.urls import NoReverseMatch, reverse

AILOGS_APP = "ailogs"


def _ailogs_admin():
    for model, model_admin in admin.site._registry.items():
        if model._meta.app_label == AILOGS_APP and any(f.name == "trace_id" for f in model._meta.fields):
            return model_admin
    return None


def can_view_ai_logs(request) -> bool:
    model_admin = _ailogs_admin()
    return model_admin is not None and model_admin.has_view_permission(request)


def trace_url(trace_id: str) -> str | None:
    """Return the admin URL listing the AI calls of this trace, or None while no ailogs admin exists."""
    model_admin = _ailogs_admin()
    if model_admin is None or not trace_id:
        return None
    opts = model_admin.model._meta
    try:
        changelist = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
    except NoReverseMatch:
        return None
    return f"{changelist}?{urlencode({'trace_id': trace_id})}"


def trace_page_url(trace_id: str) -> str | None:
    """The trace page (traces app) of this trace id, or None where that app is not installed."""
    try:
        return reverse("admin:traces_trace", kwargs={"trace_id": trace_id})
    except NoReverseMatch:
        return None
