"""Link feedback to the AI call it is about (trace_id), wherever the ailogs admin lists calls.

Found at run time instead of hard-coded: whichever ailogs model with a `trace_id` field is
registered in the admin gets the link, so this keeps working if that app renames its model.
"""

from urllib.parse import urlencode

from django.contrib import admin
from django.urls import NoReverseMatch, reverse


def _ailogs_model():
    for model in admin.site._registry:
        if model._meta.app_label == "ailogs" and any(f.name == "trace_id" for f in model._meta.fields):
            return model
    return None


def can_view_ai_logs(user) -> bool:
    model = _ailogs_model()
    return model is not None and user.has_perm(f"ailogs.view_{model._meta.model_name}")


def trace_url(trace_id: str) -> str | None:
    """Return the admin URL listing the AI calls of this trace, or None while no ailogs admin exists."""
    model = _ailogs_model()
    if model is None or not trace_id:
        return None
    try:
        changelist = reverse(f"admin:ailogs_{model._meta.model_name}_changelist")
    except NoReverseMatch:
        return None
    return f"{changelist}?{urlencode({'trace_id': trace_id})}"
