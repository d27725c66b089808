"""The bus's counters (Prometheus): what it stored, delivered and how often subscribers fell behind.

Counters, not log lines, on the hot path: a log line per signal would cost more than the signal.
"""

from prometheus_client import Counter

PUBLISHED = Counter(
    "alphintra_signal_bus_published_total", "Entries made durable, by topic kind.", ["kind", "outcome"]
)
DELIVERED = Counter(
    "alphintra_signal_bus_delivered_total", "Records sent to subscribers, by topic kind.", ["kind"]
)
CATCH_UP_READS = Counter(
    "alphintra_signal_bus_catch_up_reads_total",
    "Log reads by subscribers outside the shared window (slow or resuming subscribers).",
    ["kind"],
)
FELL_BEHIND_RETENTION = Counter(
    "alphintra_signal_bus_out_of_range_total",
    "Subscriptions ended because their offset left retention.",
    ["kind"],
)
