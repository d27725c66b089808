"""The predictor's Prometheus metrics, bound once per model version.

Binding labels costs a dictionary lookup under a lock; at thousands of predictions a second
that adds up, so every served version holds its own pre-bound children (`VersionMetrics`)
and removes them when it is unloaded. Latency percentiles (p50/p95/p99) come from the
histograms (`histogram_quantile` in PromQL); throughput is the rate of the row counter.
"""

from __future__ import annotations

import contextlib

from prometheus_client import Counter, Gauge, Histogram

from services.mesh.metrics import LATENCY_BUCKETS

BATCH_ROW_BUCKETS = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 4096, 16384)
QUEUE_DELAY_BUCKETS = (0.00001, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.05, 0.25)
VERSION_LABELS = ("model", "version")

BATCH_ROWS = Histogram(
    "alphintra_predictor_batch_rows",
    "Rows per onnxruntime call (dynamic batching).",
    VERSION_LABELS,
    buckets=BATCH_ROW_BUCKETS,
)
QUEUE_DELAY = Histogram(
    "alphintra_predictor_queue_delay_seconds",
    "Time a request waited in the batching queue before its onnxruntime call began.",
    VERSION_LABELS,
    buckets=QUEUE_DELAY_BUCKETS,
)
INFERENCE_SECONDS = Histogram(
    "alphintra_predictor_inference_seconds",
    "Duration of one onnxruntime call (one batch).",
    VERSION_LABELS,
    buckets=QUEUE_DELAY_BUCKETS,
)
REQUEST_SECONDS = Histogram(
    "alphintra_predictor_request_seconds",
    "Time from a prediction request's arrival to its result, per model version (p50/p95/p99 source).",
    VERSION_LABELS,
    buckets=LATENCY_BUCKETS,
)
ROWS = Counter(
    "alphintra_predictor_rows_total",
    "Rows predicted, per model version: throughput is its rate.",
    VERSION_LABELS,
)
REQUESTS = Counter(
    "alphintra_predictor_requests_total",
    "Prediction requests answered, per model version and how the version was chosen "
    "(version, alias, split, default, fallback): the A/B arms' traffic.",
    [*VERSION_LABELS, "route"],
)
ERRORS = Counter(
    "alphintra_predictor_errors_total",
    "Prediction requests that failed, per model version and reason (inference, overloaded, invalid).",
    [*VERSION_LABELS, "reason"],
)
FALLBACKS = Counter(
    "alphintra_predictor_fallbacks_total",
    "Requests the fallback version served because the chosen version failed or its circuit was open.",
    VERSION_LABELS,
)
BREAKER_OPEN = Gauge(
    "alphintra_predictor_circuit_open",
    "1 while a version's circuit breaker is open (its traffic goes to the fallback).",
    VERSION_LABELS,
)
VERSION_READY = Gauge(
    "alphintra_predictor_version_ready",
    "1 when a version is loaded, warmed and serving.",
    VERSION_LABELS,
)
FEATURE_PSI = Gauge(
    "alphintra_predictor_feature_psi",
    "Population stability index of a feature over the drift window against its training reference.",
    [*VERSION_LABELS, "feature"],
)
FEATURE_KS = Gauge(
    "alphintra_predictor_feature_ks_statistic",
    "Kolmogorov–Smirnov statistic of a feature over the drift window against its training reference.",
    [*VERSION_LABELS, "feature"],
)
DRIFT_LEVEL = Gauge(
    "alphintra_predictor_drift_level",
    "Worst drift level among a version's features (1 none, 2 moderate, 3 significant).",
    VERSION_LABELS,
)
DRIFT_ALERTS = Counter(
    "alphintra_predictor_drift_alerts_total",
    "Drift checks in which a feature's PSI passed the alert threshold.",
    [*VERSION_LABELS, "feature"],
)

ROUTES = ("version", "alias", "split", "default", "fallback")


class VersionMetrics:
    """The children of every per-version metric, bound once."""

    def __init__(self, model_name: str, version: int) -> None:
        self.labels = (model_name, str(version))
        self.batch_rows = BATCH_ROWS.labels(*self.labels)
        self.queue_delay = QUEUE_DELAY.labels(*self.labels)
        self.inference_seconds = INFERENCE_SECONDS.labels(*self.labels)
        self.request_seconds = REQUEST_SECONDS.labels(*self.labels)
        self.rows = ROWS.labels(*self.labels)
        self.requests = {route: REQUESTS.labels(*self.labels, route) for route in ROUTES}
        self.inference_errors = ERRORS.labels(*self.labels, "inference")
        self.overloaded = ERRORS.labels(*self.labels, "overloaded")
        self.fallbacks = FALLBACKS.labels(*self.labels)
        self.breaker_open = BREAKER_OPEN.labels(*self.labels)
        self.ready = VERSION_READY.labels(*self.labels)

    def remove(self, feature_names: tuple[str, ...]) -> None:
        """Forget this version's series once it is unloaded (label sets would otherwise pile up)."""
        for metric in (BATCH_ROWS, QUEUE_DELAY, INFERENCE_SECONDS, REQUEST_SECONDS, ROWS, FALLBACKS):
            _remove(metric, self.labels)
        for metric in (BREAKER_OPEN, VERSION_READY, DRIFT_LEVEL):
            _remove(metric, self.labels)
        for route in ROUTES:
            _remove(REQUESTS, (*self.labels, route))
        for reason in ("inference", "overloaded"):
            _remove(ERRORS, (*self.labels, reason))
        for feature in feature_names:
            for metric in (FEATURE_PSI, FEATURE_KS, DRIFT_ALERTS):
                _remove(metric, (*self.labels, feature))


def _remove(metric: Counter | Gauge | Histogram, labels: tuple[str, ...]) -> None:
    with contextlib.suppress(KeyError):
        metric.remove(*labels)
