"""The span table's daily partitions (PostgreSQL only): created ahead by beat, dropped whole by retention."""

from monitoring_site.lib.partitions import DailyPartitions

spans = DailyPartitions("traces_span", "start_time")
