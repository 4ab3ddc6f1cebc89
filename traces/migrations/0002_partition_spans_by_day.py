"""Turn traces_span into a table partitioned by day on start_time, on PostgreSQL only.

The table is empty when this runs (created by 0001). A partitioned table's primary key must
include the partition key, hence PRIMARY KEY (id, start_time); (trace_id, span_id) uniqueness
lives in traces_spankey. SQLite keeps a plain table. Same scheme as metrics 0002.
"""

from django.db import migrations

CREATE = """
DROP TABLE traces_span;
CREATE TABLE traces_span (
    id bigserial NOT NULL,
    key varchar(48) NOT NULL,
    trace_id varchar(32) NOT NULL,
    span_id varchar(16) NOT NULL,
    parent_span_id varchar(16) NOT NULL,
    name varchar(500) NOT NULL,
    kind smallint NOT NULL,
    start_time timestamp with time zone NOT NULL,
    end_time timestamp with time zone NOT NULL,
    duration_ms double precision NOT NULL,
    status_code smallint NOT NULL,
    status_message text NOT NULL,
    service_name varchar(200) NOT NULL,
    scope varchar(200) NOT NULL,
    session_id varchar(255) NOT NULL,
    tenant varchar(100) NOT NULL,
    user_id varchar(255) NOT NULL,
    is_genai boolean NOT NULL,
    attributes jsonb NOT NULL,
    resource_attributes jsonb NOT NULL,
    events jsonb NOT NULL,
    PRIMARY KEY (id, start_time)
) PARTITION BY RANGE (start_time);
CREATE INDEX traces_span_trace ON traces_span (trace_id);
CREATE INDEX traces_span_root_start ON traces_span (start_time) WHERE parent_span_id = '';
CREATE TABLE traces_span_default PARTITION OF traces_span DEFAULT;
-- keys are looked up whole (ON CONFLICT), never by prefix: the LIKE index only slows ingest
DROP INDEX IF EXISTS traces_spankey_key_5ef35ce7_like;
"""


def partition(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    from django.utils import timezone

    from traces.partitions import spans

    schema_editor.execute(CREATE)
    spans.ensure(timezone.now().date(), days_back=31, days_ahead=7)


class Migration(migrations.Migration):
    dependencies = [("traces", "0001_initial")]

    operations = [migrations.RunPython(partition, migrations.RunPython.noop)]
