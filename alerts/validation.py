"""Alert-rule checks shared by the API serializer and the model's clean() (admin forms).

`rule_errors(values)` takes the rule's field values and returns {field: message}; empty when the
rule is sound. Kept free of Django and DRF so both layers raise their own error types from it.
"""

import math
import re

from alerts import catalog
from alerts.models import GROUP_BY_KEYS

METRIC_NAME = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")  # SPEC section 3 (metric names)
SPEC_AGGREGATIONS = ("avg", "sum", "min", "max", "count", "p50", "p95", "p99", "last")
THRESHOLD_LIMIT = 1e15  # larger than any rate, count, duration or byte total we record; finite
MAX_FILTER_VALUE = 200


def rule_errors(values: dict) -> dict[str, str]:
    errors: dict[str, str] = {}
    metric = values.get("metric") or ""
    metric_error = _metric_error(metric)
    if metric_error:
        errors["metric"] = metric_error
    else:
        group_by_error = _group_by_error(metric, values.get("group_by"), values.get("filters"))
        if group_by_error:
            errors["group_by"] = group_by_error
        errors.update(_budget_errors(values))
        aggregation_error = _aggregation_error(metric, values.get("aggregation") or "")
        if aggregation_error:
            errors["aggregation"] = aggregation_error
        filters_error = _filters_error(metric, values.get("filters"))
        if filters_error:
            errors["filters"] = filters_error
    for field in ("warning_threshold", "critical_threshold", "resolve_threshold"):
        value = values.get(field)
        if value is not None and not (isinstance(value, int | float) and math.isfinite(value)):
            errors[field] = "Use a finite number."
        elif value is not None and abs(value) > THRESHOLD_LIMIT:
            errors[field] = f"Use a number between -{THRESHOLD_LIMIT:.0e} and {THRESHOLD_LIMIT:.0e}."
    warning, critical = values.get("warning_threshold"), values.get("critical_threshold")
    if warning is None and critical is None:
        errors.setdefault("warning_threshold", "Set a warning or a critical threshold (or both).")
    elif (
        warning is not None and critical is not None and not errors.keys() & {"warning_threshold", "critical_threshold"}
    ):
        comparator = values.get("comparator")
        if comparator in ("gt", "gte") and warning > critical:
            errors["warning_threshold"] = (
                f"The warning threshold must be the milder one: with {comparator} it must be <= the critical "
                f"threshold ({critical:g})."
            )
        elif comparator in ("lt", "lte") and warning < critical:
            errors["warning_threshold"] = (
                f"The warning threshold must be the milder one: with {comparator} it must be >= the critical "
                f"threshold ({critical:g})."
            )
    return errors


def _metric_error(metric: str) -> str:
    if metric in catalog.CATALOG:
        return ""
    if metric.startswith(catalog.METRIC_PREFIX):
        name = metric[len(catalog.METRIC_PREFIX) :]
        if METRIC_NAME.fullmatch(name):
            return ""
        return f"{name!r} is not a metric name: use letters, digits, _ and :, not starting with a digit."
    keys = ", ".join(sorted(catalog.CATALOG))
    return f"Unknown metric {metric!r}: use one of {keys}, or metric:<name>."


def _aggregation_error(metric: str, aggregation: str) -> str:
    allowed = ", ".join(SPEC_AGGREGATIONS)
    if metric.startswith(catalog.METRIC_PREFIX):
        if not aggregation:
            return f"Required for metric:<name> rules: use one of {allowed}."
    elif aggregation and metric not in catalog.METRIC_BACKED:
        backed = ", ".join(sorted(catalog.METRIC_BACKED))
        return f"{metric} has its own aggregation; leave this empty (only metric:<name> and {backed} take one)."
    if aggregation and aggregation not in SPEC_AGGREGATIONS:
        return f"Use one of {allowed}."
    return ""


def _filters_error(metric: str, filters) -> str:
    if filters is None or filters == {}:
        return ""
    if not isinstance(filters, dict):
        return 'Expected an object, e.g. {"model": "gpt-4o"}.'
    allowed = catalog.filter_keys(metric)
    for key, value in filters.items():
        if key not in allowed:
            shown = ", ".join(allowed) if allowed else "none"
            return f"{metric} cannot filter on {key!r}: allowed keys are {shown}."
        if key == "tags":
            if not isinstance(value, dict) or not all(
                isinstance(k, str) and isinstance(v, str) and k and len(v) <= MAX_FILTER_VALUE for k, v in value.items()
            ):
                return 'tags must be an object of strings to strings, e.g. {"queue": "celery"}.'
        elif not isinstance(value, str) or len(value) > MAX_FILTER_VALUE:
            return f"{key} must be a string of at most {MAX_FILTER_VALUE} characters."
    return ""


def _group_by_error(metric: str, group_by, filters) -> str:
    if group_by is None or group_by == []:
        return ""
    allowed = ", ".join(GROUP_BY_KEYS)
    if metric not in catalog.AI_PICKS:
        return f"Only AI rules (ai_*) can group; {metric} is measured as a whole."
    if not isinstance(group_by, list) or not all(isinstance(k, str) for k in group_by):
        return f'Expected a list, e.g. ["tenant"]; any of {allowed}.'
    unknown = [k for k in group_by if k not in GROUP_BY_KEYS]
    if unknown:
        return f"Cannot group by {unknown[0]!r}: use any of {allowed}."
    if len(set(group_by)) != len(group_by):
        return "Name each key once."
    filtered = [k for k in group_by if isinstance(filters, dict) and filters.get(k)]
    if filtered:
        return f"{filtered[0]} is also a filter: a rule filtered to one {filtered[0]} has one group."
    return ""


def _budget_errors(values: dict) -> dict[str, str]:
    kind = values.get("kind") or "threshold"
    period, amount = values.get("budget_period") or "", values.get("budget_usd")
    if kind != "budget":
        errors = {}
        if period:
            errors["budget_period"] = "Only budget rules have a period; leave this empty or set kind to budget."
        if amount is not None:
            errors["budget_usd"] = "Only budget rules have a budget; leave this empty or set kind to budget."
        return errors
    errors = {}
    if values.get("metric") != "ai_cost_usd":
        errors["metric"] = "A budget rule watches ai_cost_usd."
    if period not in ("day", "month"):
        errors["budget_period"] = "Required for budget rules: day or month (UTC)."
    if not (isinstance(amount, int | float) and math.isfinite(amount) and 0 < amount <= THRESHOLD_LIMIT):
        errors["budget_usd"] = "Required for budget rules: the spend per period in USD, more than 0."
    if values.get("comparator") not in (None, "gt", "gte"):
        errors["comparator"] = "A budget rule alerts when spend exceeds a share of the budget: use gt or gte."
    return errors
