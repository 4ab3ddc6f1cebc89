"""Dates as a monitoring tool shows them: ISO order, 24-hour UTC, short enough for a list column.

Django's English "Dec. 2, 2026, 3:06 p.m." is twice as wide and sorts badly by eye; every time
in this site is UTC (TIME_ZONE), as the dashboard says.
"""

DATETIME_FORMAT = "Y-m-d H:i"
SHORT_DATETIME_FORMAT = "Y-m-d H:i"
DATE_FORMAT = "Y-m-d"
SHORT_DATE_FORMAT = "Y-m-d"
TIME_FORMAT = "H:i"
MONTH_DAY_FORMAT = "M j"
YEAR_MONTH_FORMAT = "M Y"
