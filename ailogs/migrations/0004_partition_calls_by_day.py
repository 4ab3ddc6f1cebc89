"""Partition ailogs_aicall by day on `timestamp`, and ailogs_aicalleventid by the day received,
on PostgreSQL only (SQLite keeps plain tables).

Unlike metric samples the call table may already hold rows: they are copied into the new
partitioned table (ids kept, so the rollup's high-water mark stays valid), and their event ids
become keys received today, so a repeat of any stored event is still recognised for
AILOGS_DEDUP_DAYS. A partitioned table's primary key must include the partition key, hence
PRIMARY KEY (id, timestamp); `id` is a bigint with a sequence default (identity columns on
partitioned tables need PostgreSQL 17). Indexes are built after the copy, which is faster.
"""

from django.db import migrations

CALLS = """
ALTER TABLE ailogs_aicall RENAME TO ailogs_aicall_unpartitioned;
CREATE TABLE ailogs_aicall (
    id bigint NOT NULL,
    event_id uuid NULL,
    "timestamp" timestamp with time zone NOT NULL,
    function varchar(100) NOT NULL,
    provider varchar(50) NOT NULL,
    model varchar(100) NOT NULL,
    status varchar(10) NOT NULL,
    duration_ms double precision NOT NULL,
    prompt_tokens integer NOT NULL,
    completion_tokens integer NOT NULL,
    total_tokens integer NOT NULL,
    cost_usd double precision NULL,
    cost_source varchar(10) NOT NULL,
    input_hash varchar(64) NOT NULL,
    output_preview text NOT NULL,
    error_message text NOT NULL,
    user_id varchar(255) NOT NULL,
    session_id varchar(255) NOT NULL,
    tenant varchar(100) NOT NULL,
    actor_type varchar(50) NOT NULL,
    trace_id varchar(255) NOT NULL,
    metadata jsonb NOT NULL,
    PRIMARY KEY (id, "timestamp")
) PARTITION BY RANGE ("timestamp");
CREATE TABLE ailogs_aicall_default PARTITION OF ailogs_aicall DEFAULT;
"""

FILL = """
INSERT INTO ailogs_aicall SELECT id, event_id, "timestamp", function, provider, model, status, duration_ms,
    prompt_tokens, completion_tokens, total_tokens, cost_usd, cost_source, input_hash, output_preview,
    error_message, user_id, session_id, tenant, actor_type, trace_id, metadata
    FROM ailogs_aicall_unpartitioned;
INSERT INTO ailogs_aicalleventid (event_id) SELECT DISTINCT event_id FROM ailogs_aicall_unpartitioned
    WHERE event_id IS NOT NULL;
DROP TABLE ailogs_aicall_unpartitioned;
CREATE SEQUENCE ailogs_aicall_id_seq OWNED BY ailogs_aicall.id;
ALTER TABLE ailogs_aicall ALTER COLUMN id SET DEFAULT nextval('ailogs_aicall_id_seq');
SELECT setval('ailogs_aicall_id_seq', COALESCE((SELECT max(id) FROM ailogs_aicall), 0) + 1, false);
CREATE INDEX ailogs_call_ts ON ailogs_aicall ("timestamp");
CREATE INDEX ailogs_call_model_ts ON ailogs_aicall (model, "timestamp");
CREATE INDEX ailogs_call_function_ts ON ailogs_aicall (function, "timestamp");
"""

EVENT_IDS = """
DROP TABLE ailogs_aicalleventid;
CREATE TABLE ailogs_aicalleventid (
    event_id uuid NOT NULL,
    day date NOT NULL DEFAULT ((now() AT TIME ZONE 'UTC')::date),
    PRIMARY KEY (event_id, day)
) PARTITION BY RANGE (day);
CREATE TABLE ailogs_aicalleventid_default PARTITION OF ailogs_aicalleventid DEFAULT;
"""


def partition(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    from django.conf import settings
    from django.utils import timezone

    from ailogs import partitions

    today = timezone.now().date()
    schema_editor.execute(EVENT_IDS)
    schema_editor.execute(CALLS)
    with schema_editor.connection.cursor() as cursor:
        cursor.execute('SELECT min("timestamp") FROM ailogs_aicall_unpartitioned')
        oldest = cursor.fetchone()[0]
    days_back = settings.RETENTION_AI_LOGS_DAYS + 1
    if oldest is not None:
        days_back = max(days_back, (today - oldest.date()).days)
    partitions.CALLS.ensure(today, days_back, settings.AILOGS_PARTITIONS_AHEAD_DAYS)
    partitions.EVENT_IDS.ensure(today, settings.AILOGS_DEDUP_DAYS, 1)
    schema_editor.execute(FILL)


class Migration(migrations.Migration):
    # One transaction: a failure leaves the unpartitioned table as it was.
    atomic = True

    dependencies = [("ailogs", "0003_event_ids_apart")]

    operations = [migrations.RunPython(partition, migrations.RunPython.noop)]
