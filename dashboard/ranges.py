"""The time range and tenant a dashboard page shows, parsed from the query string."""

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.utils import timezone

# Range -> (span, chart bucket). Buckets keep charts near 50-170 points and line up with the
# hourly rollups for the long ranges.
RANGES = {
    "1h": (timedelta(hours=1), timedelta(minutes=1)),
    "24h": (timedelta(hours=24), timedelta(minutes=15)),
    "7d": (timedelta(days=7), timedelta(hours=1)),
    "30d": (timedelta(days=30), timedelta(hours=6)),
}
DEFAULT_RANGE = "24h"
TENANT_PATTERN = re.compile(r"^[\w.:@-]{1,100}$")


class BadRange(ValueError):
    pass


@dataclass(frozen=True)
class Window:
    key: str
    since: datetime
    until: datetime
    bucket: timedelta
    tenant: str = ""

    @property
    def span(self) -> timedelta:
        return self.until - self.since

    @property
    def previous(self) -> "Window":
        """The period of equal length just before this one (for the KPI changes)."""
        return Window(self.key, self.since - self.span, self.since, self.bucket, self.tenant)

    def ending(self, until: datetime) -> "Window":
        """The same range and tenant, ending at `until`."""
        return Window(self.key, until - self.span, until, self.bucket, self.tenant)

    @property
    def minutes(self) -> float:
        return self.span.total_seconds() / 60

    def bucket_starts(self) -> list[datetime]:
        step = self.bucket.total_seconds()
        first = int(self.since.timestamp() // step * step)
        return [datetime.fromtimestamp(t, tz=UTC) for t in range(first, int(self.until.timestamp()), int(step))]

    def ai_filters(self) -> dict | None:
        return {"tenant": self.tenant} if self.tenant else None


def parse(params, now: datetime | None = None) -> Window:
    """Return the Window for ?range=&tenant=, or raise BadRange with a message for the user."""
    key = params.get("range") or DEFAULT_RANGE
    if key not in RANGES:
        raise BadRange(f"range must be one of {', '.join(RANGES)}")
    tenant = (params.get("tenant") or "").strip()
    if tenant and not TENANT_PATTERN.match(tenant):
        raise BadRange("tenant may hold up to 100 letters, digits and . : @ _ -")
    span, bucket = RANGES[key]
    until = now or timezone.now()
    return Window(key, until - span, until, bucket, tenant)
