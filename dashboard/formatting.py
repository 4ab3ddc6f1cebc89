"""Numbers as the dashboard shows them: units, short forms, and changes against the last period."""

# Below this share of the current value the previous period is no base for a percentage: a week
# that follows a nearly empty one would read "+127,395 %", which says nothing but "new".
MIN_BASE_SHARE = 0.05


def number(value: float | None, unit: str = "", digits: int = 1) -> str:
    if value is None:
        return "–"
    if unit == "ms" and abs(value) >= 1000:
        return f"{value / 1000:.2f} s"
    if unit == "$":
        return f"${value:,.2f}" if abs(value) < 1000 else f"${value:,.0f}"
    if unit == "%":
        # Uptime lives in the last decimals: 99.95 % must not round up to 100 %.
        return f"{value:.{3 if 99 <= value < 100 else 2}f} %"
    text = _short(value, digits)
    return f"{text} {unit}".strip()


def _short(value: float, digits: int) -> str:
    # Thousands stay exact up to 9,999; above that the short form is easier to read on a card.
    for limit, unit, suffix in ((1e9, 1e9, "B"), (1e6, 1e6, "M"), (1e4, 1e3, "k")):
        if abs(value) >= limit:
            return f"{value / unit:.{digits}f}{suffix}"
    if float(value).is_integer():
        return f"{int(value):,}"
    return f"{value:,.{digits}f}"


def change(current: float | None, previous: float | None, unit: str = "") -> tuple[float | None, str]:
    """Return (change, label): percentage points for rates, relative percent otherwise."""
    if current is None or previous is None:
        return None, "no earlier data"
    if unit == "%":
        delta = current - previous
        return delta, f"{delta:+.2f} pp"
    if previous == 0 and not current:
        return 0.0, "±0 %"
    if abs(previous) < MIN_BASE_SHARE * abs(current):
        return None, "new"
    delta = (current - previous) / previous * 100
    return delta, f"{delta:+.1f} %"


def card(key: str, label: str, current, previous, unit: str = "", better: str = "lower") -> dict:
    """A KPI card; `trend` says whether the change is good news given which direction is better."""
    delta, delta_label = change(current, previous, unit)
    if delta is not None and abs(delta) < 0.05:
        delta = 0.0  # what reads "+0.0 %" is no change: no arrow, no colour
    trend = "flat"  # the arrow shows the direction; the colour (trend) whether that is good news
    if delta and better != "none":
        trend = "good" if (delta < 0) == (better == "lower") else "bad"
    return {
        "key": key,
        "label": label,
        "value": current,
        "display": number(current, unit),
        "change": delta,
        "change_display": delta_label,
        "previous_display": number(previous, unit),
        "trend": trend,
        "direction": "up" if delta and delta > 0 else ("down" if delta and delta < 0 else ""),
    }
