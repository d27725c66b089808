"""The bus's counters (Prometheus): what it stored, delivered and how often subscribers fell behind.

Counters, not log lines, on the hot path: a log line per signal would cost more than the signal.
"""

from prometheus_client import Counter, Gauge

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
SUBSCRIBER_LAG = Gauge(
    "alphintra_signal_bus_subscriber_lag_entries",
    "Entries in the shared window a subscriber has not been sent yet (the window's size when it is "
    "behind the window), by topic kind and subscribing user; the last polled subscription of a user",
    ["kind", "subscriber"],
)
