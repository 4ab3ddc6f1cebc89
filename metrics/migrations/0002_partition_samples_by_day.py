"""Turn metrics_metricsample into a table partitioned by day, on PostgreSQL only.

The table is empty when this runs (created by 0001). A partitioned table's primary key must
include the partition key, hence PRIMARY KEY (id, timestamp); `id` stays a bigint with a sequence
default (identity columns on partitioned tables need PostgreSQL 17). SQLite keeps a plain table.
"""

from django.db import migrations

CREATE = """
DROP TABLE metrics_metricsample;
CREATE TABLE metrics_metricsample (
    id bigserial NOT NULL,
    name varchar(200) NOT NULL,
    type varchar(16) NOT NULL,
    value double precision NOT NULL,
    unit varchar(32) NOT NULL,
    tags jsonb NOT NULL,
    source varchar(100) NOT NULL,
    route varchar(200) NOT NULL,
    "timestamp" timestamp with time zone NOT NULL,
    event_id uuid NULL,
    PRIMARY KEY (id, "timestamp")
) PARTITION BY RANGE ("timestamp");
CREATE INDEX metrics_sample_name_ts ON metrics_metricsample (name, "timestamp");
CREATE TABLE metrics_metricsample_default PARTITION OF metrics_metricsample DEFAULT;
"""


def partition(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    from django.utils import timezone

    from metrics import partitions

    schema_editor.execute(CREATE)
    partitions.ensure_partitions(timezone.now().date(), days_back=31, days_ahead=7)


class Migration(migrations.Migration):
    dependencies = [("metrics", "0001_initial")]

    operations = [migrations.RunPython(partition, migrations.RunPython.noop)]
