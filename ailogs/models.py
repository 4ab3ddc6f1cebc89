"""AI calls as ingested, their hourly rollups, and the model price table they are costed from."""

import fnmatch
from datetime import date

from django.db import models
from django.db.models import Sum, Value
from django.db.models.functions import Coalesce, Least
from django.utils import timezone

OUTPUT_PREVIEW_CHARS = 500
METADATA_MAX_BYTES = 8 * 1024
# Upper bounds enforced at ingest (ailogs.ingest) and applied again inside every SUM (capped_sum),
# so that no stored row, including one stored before the bounds existed, can overflow a sum.
MAX_DURATION_MS = 86_400_000  # one day
MAX_COST_USD = 1_000_000
MAX_TOKENS = 1_000_000_000


def capped_sum(field: str, cap: float) -> Sum:
    """SUM(LEAST(COALESCE(field, 0), cap)): two 1.7e308 values otherwise overflow SUM() in
    PostgreSQL ("value out of range") and turn every stats read into a 500. COALESCE first:
    PostgreSQL's LEAST ignores NULL, and an unpriced call must add 0, not the cap."""
    return Sum(Least(Coalesce(field, Value(0.0)), Value(float(cap))))


class Status(models.TextChoices):
    SUCCESS = "success"
    ERROR = "error"
    TIMEOUT = "timeout"


class CostSource(models.TextChoices):
    REPORTED = "reported", "reported by the client"
    COMPUTED = "computed", "computed from the price table"
    UNPRICED = "unpriced", "no price known for the model"


def utc_today() -> date:
    return timezone.now().date()


class AiCall(models.Model):
    """One call to a model. Written by COPY in batches (ailogs.ingest), never edited afterwards.

    On PostgreSQL the table is partitioned by day on `timestamp` (migration 0004), so retention
    drops whole days, its primary key is (id, timestamp), and event_id uniqueness lives in
    AiCallEventId (a partitioned table cannot hold a unique index on event_id alone).
    """

    event_id = models.UUIDField(null=True, blank=True, help_text="Client-chosen id; a repeat is a duplicate.")
    timestamp = models.DateTimeField(default=timezone.now)
    function = models.CharField(max_length=100)
    provider = models.CharField(max_length=50, blank=True)
    model = models.CharField(max_length=100, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.SUCCESS)
    duration_ms = models.FloatField()
    prompt_tokens = models.IntegerField(default=0)
    completion_tokens = models.IntegerField(default=0)
    total_tokens = models.IntegerField(default=0)
    cost_usd = models.FloatField(null=True, blank=True, help_text="Null when unpriced: never a silent $0.")
    cost_source = models.CharField(max_length=10, choices=CostSource.choices, default=CostSource.UNPRICED)
    input_hash = models.CharField(
        max_length=64, blank=True, help_text="SHA-256 of the input; the input is never stored."
    )
    output_preview = models.TextField(blank=True)
    error_message = models.TextField(blank=True)
    user_id = models.CharField(max_length=255, blank=True)
    session_id = models.CharField(max_length=255, blank=True)
    tenant = models.CharField(max_length=100, blank=True)
    actor_type = models.CharField(max_length=50, blank=True)
    trace_id = models.CharField(max_length=255, blank=True)
    metadata = models.JSONField(default=dict, blank=True)
    # Which API key sent the call (its name), for per-key cost alerts and budgets; db_default so
    # writers that do not know it (COPY with the older column list, demo data) still insert.
    api_key = models.CharField(max_length=100, blank=True, default="", db_default="")

    class Meta:
        verbose_name = "AI call"
        # Few on purpose: each secondary btree costs COPY speed (docs/performance.md: 3 btrees
        # halved it). Long windows are served by AiCallHourly; these serve short raw windows.
        indexes = [
            # window_stats / list / rollup of an hour, any filter (provider, tenant, status ride on it)
            models.Index(fields=["timestamp"], name="ailogs_call_ts"),
            # alerts and stats per model over recent minutes; list filtered by model
            models.Index(fields=["model", "timestamp"], name="ailogs_call_model_ts"),
            # success rate per function, list filtered by function
            models.Index(fields=["function", "timestamp"], name="ailogs_call_function_ts"),
            # top errors over long windows read the failed calls only (a few % of the rows, so
            # a small index that costs ingest almost nothing; a full scan of 30 days took ~1 s)
            models.Index(fields=["timestamp"], condition=~models.Q(status="success"), name="ailogs_call_failed_ts"),
        ]

    def __str__(self) -> str:
        return f"{self.function} {self.model} {self.status} at {self.timestamp:%Y-%m-%d %H:%M:%S}"

    @property
    def is_error(self) -> bool:
        return self.status != Status.SUCCESS


class AiCallEventId(models.Model):
    """event_ids received in the last AILOGS_DEDUP_DAYS days: a repeat of one is a duplicate.

    On PostgreSQL partitioned by the UTC `day` of receipt with primary key (event_id, day), so
    keys leave by dropping a day's partition (no DELETE, no WAL) and a key is claimed with
    ON CONFLICT on (event_id, today) after a NOT EXISTS over the days kept (insert_new_rows,
    `across_partitions`). Exact for any UUID a sender uses within that window; only two copies
    of one event in flight at the same instant across UTC midnight can both be stored.
    """

    across_partitions = True  # insert_new_rows: also look for the key in earlier days' partitions

    event_id = models.UUIDField(primary_key=True)
    day = models.DateField(default=utc_today, help_text="UTC day the event was first received.")

    class Meta:
        verbose_name = "AI call event id"

    def __str__(self) -> str:
        return str(self.event_id)


class AiCallHourly(models.Model):
    """Per hour (or per UTC day) x dimensions: sums and a mergeable duration histogram (LogHistogram JSON).

    Hour rows are rebuilt from raw rows by ailogs.rollup (idempotent); day rows are the sum of a
    whole day's hour rows, rebuilt with them, so a 30-day window reads ~30 rows per group instead
    of ~720. Both are kept after the raw rows are purged, so long-window stats and the Prometheus
    counters never scan, or lose, raw rows.
    """

    class Period(models.TextChoices):
        HOUR = "hour"
        DAY = "day"
        # Six hours (00, 06, 12, 18 UTC) of a rolled-up day, grains "all" and "tenant" only: the
        # 30-day charts' 6-hour points read one row per point, not six hour rows and histograms.
        SIX_HOURS = "6h"

    class Grain(models.TextChoices):
        """Which dimensions a row keeps; the others hold "" and are summed over.

        A query reads the coarsest grain that has its group and filters: 24 h by model reads
        24 x models x statuses rows, not every model x function x provider x tenant row.
        """

        FULL = "full"
        MODEL = "model"
        FUNCTION = "function"
        PROVIDER = "provider"
        TENANT = "tenant"
        ALL = "all"

    hour = models.DateTimeField(help_text="Start of the hour, of the six hours, or of the UTC day for day rows.")
    period = models.CharField(max_length=4, choices=Period.choices, default=Period.HOUR)
    grain = models.CharField(max_length=10, choices=Grain.choices, default=Grain.FULL)
    model = models.CharField(max_length=100, blank=True)
    function = models.CharField(max_length=100)
    provider = models.CharField(max_length=50, blank=True)
    tenant = models.CharField(max_length=100, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices)
    count = models.BigIntegerField()  # a day of 25k calls/s passes 2**31
    prompt_tokens = models.BigIntegerField(default=0)
    completion_tokens = models.BigIntegerField(default=0)
    total_tokens = models.BigIntegerField(default=0)
    cost_usd = models.FloatField(default=0.0)
    unpriced = models.BigIntegerField(default=0)
    duration_sum = models.FloatField(default=0.0)
    histogram = models.JSONField(default=dict)

    class Meta:
        verbose_name = "AI call rollup"
        constraints = [
            # Also the index of every stats query: one grain, one period, a range of hours or days.
            models.UniqueConstraint(
                fields=["grain", "period", "hour", "model", "function", "provider", "tenant", "status"],
                name="ailogs_rollup_grain_key",
            ),
        ]

    def __str__(self) -> str:
        when = f"{self.hour:%Y-%m-%d}" if self.period == self.Period.DAY else f"{self.hour:%Y-%m-%d %H}h"
        return f"{when} {self.model} {self.function} {self.status}: {self.count}"


class AiCallSketch(models.Model):
    """Per UTC day, over all tenants or for one: HyperLogLog sketches (ailogs.sketches) of the
    distinct users, sessions and input hashes, and the calls that carried an input hash.

    Built with the day's rollup rows and kept like them, so distinct counts over long windows
    (active sessions, daily active users, repeated inputs) read one row per day, approximately.
    """

    class Grain(models.TextChoices):
        ALL = "all"
        TENANT = "tenant"

    day = models.DateTimeField(help_text="00:00 UTC of the day.")
    grain = models.CharField(max_length=10, choices=Grain.choices)
    tenant = models.CharField(max_length=100, blank=True)
    hashed = models.BigIntegerField(default=0, help_text="Calls with an input hash.")
    users = models.BinaryField(help_text="zlib-compressed HyperLogLog registers of user_id.")
    sessions = models.BinaryField(help_text="zlib-compressed HyperLogLog registers of session_id.")
    inputs = models.BinaryField(help_text="zlib-compressed HyperLogLog registers of input_hash.")

    class Meta:
        verbose_name = "AI call distinct-count sketch"
        constraints = [
            # distinct counts over a range of days, all tenants or one; a rebuild replaces days
            models.UniqueConstraint(fields=["grain", "tenant", "day"], name="ailogs_sketch_key"),
        ]

    def __str__(self) -> str:
        return f"{self.day:%Y-%m-%d} {self.grain} {self.tenant}"


class SessionTotals(models.Model):
    """A session's sums over some UTC days, per tenant x session x user: what AiCallSessionDay
    keeps per day and AiCallSessionBlock per block of days (the sessions ranking adds them up)."""

    tenant = models.CharField(max_length=100, blank=True)
    session_id = models.CharField(max_length=255)
    user_id = models.CharField(max_length=255, blank=True)
    calls = models.BigIntegerField(default=0)
    errors = models.BigIntegerField(default=0)
    cost_usd = models.FloatField(default=0.0)
    total_tokens = models.BigIntegerField(default=0)
    first_seen = models.DateTimeField()
    last_seen = models.DateTimeField()

    class Meta:
        abstract = True


class AiCallSessionDay(SessionTotals):
    """Per UTC day x tenant x session x user: the session's calls, errors, cost, tokens, first and
    last call, and its distinct trace ids, for the sessions lists over long windows.

    Grouping 30 days of 5M raw calls by session took ~6 s; whole days read these rows instead (one
    per session and day) and only the partial days at a window's ends read raw calls. Built from
    the raw rows with the day's rollup rows and sketches (ailogs.rollup), rebuilt with them for late
    calls, and kept like them after retention purges the raw calls.
    """

    day = models.DateTimeField(help_text="00:00 UTC of the day.")
    traces = models.JSONField(
        default=list, help_text='The distinct trace ids of these calls ("" for calls without one).'
    )

    class Meta:
        verbose_name = "AI session day"
        constraints = [
            # Sessions over a range of days (a tenant or user filter is checked on its entries), and
            # the rows of a few session ids, looked up day by day (day IN (...) AND session_id IN
            # (...): one descent per day and id, 20 ms for 100 ids over 29 days of 56,000 sessions a
            # day, ~110 ms over 365 days, so the callers stay within raw retention). A rebuild
            # writes a day's rows in this order, so they are appended to the index; a second index
            # on (session_id, day) took every day's rows into all of its pages, 3 of the 30 s a
            # backfill of 5M calls took.
            models.UniqueConstraint(fields=["day", "session_id", "tenant", "user_id"], name="ailogs_session_day_key"),
        ]

    def __str__(self) -> str:
        return f"{self.day:%Y-%m-%d} {self.session_id}: {self.calls}"


class AiCallActorDay(models.Model):
    """Per UTC day x tenant x actor type: calls and cost, for the cost-by-actor-type chart over long
    windows (actor type is not an AiCallHourly dimension: it would multiply those rows). Built and
    kept like AiCallSessionDay."""

    day = models.DateTimeField(help_text="00:00 UTC of the day.")
    tenant = models.CharField(max_length=100, blank=True)
    actor_type = models.CharField(max_length=50, blank=True)
    calls = models.BigIntegerField(default=0)
    cost_usd = models.FloatField(default=0.0)

    class Meta:
        verbose_name = "AI actor-type day"
        constraints = [
            models.UniqueConstraint(fields=["day", "tenant", "actor_type"], name="ailogs_actor_day_key"),
        ]

    def __str__(self) -> str:
        return f"{self.day:%Y-%m-%d} {self.actor_type}: {self.cost_usd}"


class AiCallSessionBlock(SessionTotals):
    """The AiCallSessionDay rows of up to SESSION_BLOCK_DAYS UTC days summed per tenant x session x
    user (blocks start at multiples of SESSION_BLOCK_DAYS days since 1970-01-01), so a 30-day
    sessions ranking reads a few block rows per session and day rows only for the days outside
    the blocks. Exact (sums, MIN/MAX); no trace ids (they are read from the day rows of the few
    sessions kept). Built from the day rows by ailogs.rollup whenever one of its days is rebuilt,
    over the block's days that have ended (`days` of them: the current block grows a day at a
    time), and kept like them.
    """

    day = models.DateTimeField(help_text="00:00 UTC of the block's first day.")
    days = models.PositiveSmallIntegerField(help_text="The days from `day` on that the row sums.")

    class Meta:
        verbose_name = "AI session block"
        constraints = [
            models.UniqueConstraint(fields=["day", "tenant", "session_id", "user_id"], name="ailogs_session_block_key"),
        ]

    def __str__(self) -> str:
        return f"{self.day:%Y-%m-%d}+{SESSION_BLOCK_DAYS}d {self.session_id}: {self.calls}"


SESSION_BLOCK_DAYS = 8


class AiCallErrorDay(models.Model):
    """Per UTC day x tenant x function x model x error message: the failed calls (status not
    success) and the last one's time, for the top errors over long windows (30 days of failed
    calls took ~0.6 s to group), over all tenants or one. Built and kept like AiCallSessionDay."""

    day = models.DateTimeField(help_text="00:00 UTC of the day.")
    tenant = models.CharField(max_length=100, blank=True, default="")
    function = models.CharField(max_length=100)
    model = models.CharField(max_length=100, blank=True)
    error_message = models.TextField(blank=True)
    calls = models.BigIntegerField(default=0)
    last_seen = models.DateTimeField()

    class Meta:
        verbose_name = "AI error day"
        # no unique key: an error message has no length bound (a btree entry has one)
        indexes = [models.Index(fields=["day"], name="ailogs_error_day")]

    def __str__(self) -> str:
        return f"{self.day:%Y-%m-%d} {self.function} {self.model}: {self.calls}"


class RollupState(models.Model):
    """Singleton: the highest raw id the rollup has seen and when it ran (stats trust rollups up to then)."""

    last_id = models.BigIntegerField(default=0)
    ran_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"rolled up to id {self.last_id} at {self.ran_at}"


class ModelPrice(models.Model):
    """USD per million tokens for models matching `pattern` from `effective_from` on."""

    provider = models.CharField(max_length=50, blank=True, help_text="Blank matches any provider.")
    pattern = models.CharField(max_length=100, help_text="Model name, or a glob such as gpt-4o-mini-*.")
    effective_from = models.DateField(default=date(2024, 1, 1))
    input_per_mtok = models.DecimalField("input $/1M tokens", max_digits=12, decimal_places=6)
    output_per_mtok = models.DecimalField("output $/1M tokens", max_digits=12, decimal_places=6)
    cached_input_per_mtok = models.DecimalField(
        "cached input $/1M tokens", max_digits=12, decimal_places=6, null=True, blank=True
    )
    notes = models.CharField(max_length=200, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["provider", "pattern", "effective_from"], name="ailogs_price_version"),
        ]
        ordering = ["provider", "pattern", "-effective_from"]

    def __str__(self) -> str:
        return f"{self.provider or '*'}/{self.pattern} from {self.effective_from}"

    def matches(self, provider: str, model: str) -> bool:
        if self.provider and provider and self.provider.lower() != provider.lower():
            return False
        return fnmatch.fnmatchcase(model.lower(), self.pattern.lower())

    @property
    def specificity(self) -> tuple[int, int]:
        """Exact names beat globs; longer globs beat shorter ones; a named provider beats blank."""
        return (
            0 if "*" in self.pattern or "?" in self.pattern else 1,
            len(self.pattern.rstrip("*")) * 2 + bool(self.provider),
        )

    def cost(self, prompt_tokens: int, completion_tokens: int, cached_tokens: int = 0) -> float:
        cached = min(max(cached_tokens, 0), prompt_tokens)
        cached_rate = self.cached_input_per_mtok if self.cached_input_per_mtok is not None else self.input_per_mtok
        micro = (
            (prompt_tokens - cached) * float(self.input_per_mtok)
            + cached * float(cached_rate)
            + completion_tokens * float(self.output_per_mtok)
        )
        return round(micro / 1_000_000, 10)
