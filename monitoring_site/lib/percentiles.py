"""Exact percentiles in the database: percentile_cont on PostgreSQL, the same interpolation in
Python on SQLite. Shared by ailogs stats, metrics summaries, the dashboard and alert evaluators.
"""

from collections import defaultdict

from django.contrib.postgres.fields import ArrayField
from django.db import connection
from django.db.models import Aggregate, FloatField

DEFAULT_QUANTILES = (0.5, 0.95, 0.99)


class PercentilesCont(Aggregate):
    """percentile_cont(ARRAY[...]) WITHIN GROUP (ORDER BY expr): all quantiles from one sort."""

    function = "percentile_cont"
    template = "%(function)s(%(quantiles)s) WITHIN GROUP (ORDER BY %(expressions)s)"

    def __init__(self, expression, quantiles=DEFAULT_QUANTILES, **extra):
        literal = "ARRAY[" + ",".join(repr(float(q)) for q in quantiles) + "]::float8[]"
        super().__init__(expression, quantiles=literal, output_field=ArrayField(FloatField()), **extra)


def interpolate(sorted_values: list[float], q: float) -> float | None:
    """percentile_cont's definition: linear interpolation between the closest ranks."""
    if not sorted_values:
        return None
    position = q * (len(sorted_values) - 1)
    lower = int(position)
    upper = min(lower + 1, len(sorted_values) - 1)
    fraction = position - lower
    return sorted_values[lower] + (sorted_values[upper] - sorted_values[lower]) * fraction


def percentiles(queryset, field: str, quantiles=DEFAULT_QUANTILES) -> list[float | None]:
    """Return the quantiles of `field` over the queryset."""
    if connection.vendor == "postgresql":
        result = queryset.aggregate(_p=PercentilesCont(field, quantiles))["_p"]
        return list(result) if result else [None] * len(quantiles)
    values = list(queryset.order_by(field).values_list(field, flat=True))
    values = [float(v) for v in values if v is not None]
    return [interpolate(values, q) for q in quantiles]


def grouped_percentiles(queryset, group_field: str, field: str, quantiles=DEFAULT_QUANTILES) -> dict:
    """Return {group value: [quantiles...]} of `field` per `group_field`."""
    if connection.vendor == "postgresql":
        rows = queryset.order_by().values(group_field).annotate(_p=PercentilesCont(field, quantiles))
        return {row[group_field]: list(row["_p"] or [None] * len(quantiles)) for row in rows}
    groups: dict = defaultdict(list)
    for group, value in queryset.order_by(group_field, field).values_list(group_field, field):
        if value is not None:
            groups[group].append(float(value))
    return {group: [interpolate(values, q) for q in quantiles] for group, values in groups.items()}
