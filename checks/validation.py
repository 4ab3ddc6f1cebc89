"""Monitor settings checks shared by the API serializer and the admin form (one set of rules)."""

from monitoring_site.lib import outbound

MIN_INTERVAL, MAX_INTERVAL = 30, 86400
MAX_TIMEOUT = 30.0


def monitor_errors(url: str, interval: int | None, timeout: float | None) -> dict[str, str]:
    """Field -> message for what would be refused; the URL passes the SSRF guard (again at connect)."""
    errors = {}
    try:
        outbound.check_url(url or "")
    except outbound.BlockedURL as exc:
        errors["url"] = f"This URL is not allowed: {exc}."
    if interval is not None and not MIN_INTERVAL <= interval <= MAX_INTERVAL:
        errors["interval_seconds"] = f"Use {MIN_INTERVAL} to {MAX_INTERVAL} seconds."
    if timeout is not None and not 0 < timeout <= MAX_TIMEOUT:
        errors["timeout_seconds"] = f"Use more than 0 and at most {MAX_TIMEOUT:g} seconds."
    return errors
