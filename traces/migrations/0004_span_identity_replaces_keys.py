"""A span is unique per (trace_id, span_id, start_time) in its own table, and traces_spankey goes.

The key table held one row per stored span for SPANS_RETENTION_DAYS, under one btree over all of
them: every export inserted 512 random keys into it, and the insert slowed as it grew (2.3x per
export at 10M keys than at 140k, docs/performance/traces.md). The unique constraint includes the
partition column, so on PostgreSQL each day's partition checks it with its own index, the size
of one day; a repeated export carries the same start times and meets them there. Its first
column serves the trace page, so the plain trace_id index goes too.

Upgrade cost: the unique index is built over every retained span (writes to traces_span wait
meanwhile; existing rows are unique already, their keys saw to that), then the key table is
dropped whole.
"""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("traces", "0003_root_span_session_index")]

    operations = [
        migrations.AddConstraint(
            model_name="span",
            constraint=models.UniqueConstraint(
                fields=("trace_id", "span_id", "start_time"), name="traces_span_identity"
            ),
        ),
        migrations.RemoveIndex(model_name="span", name="traces_span_trace"),
        migrations.RemoveField(model_name="span", name="key"),
        migrations.DeleteModel(name="SpanKey"),
    ]
