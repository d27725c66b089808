from pathlib import Path
from typing import ClassVar, Literal

from pydantic import Field

from services.mesh.settings import ServiceSettings


class PredictorSettings(ServiceSettings):
    """The predictor service's settings (`ALPHINTRA_PREDICTOR__*`).

    The onnxruntime defaults come from measurements on a shared 2-core machine
    (/work/shared/PREDICTOR-NOTES.md): one intra-op thread per session, spinning off
    (spinning threads gave an 11 ms p99 when cores are shared), sequential execution
    (tree ensembles have no parallel branches worth a thread pool), every graph optimisation.
    """

    service_name: ClassVar[str] = "predictor"

    # where models come from until the trainer's registry lands: <name>/<version>/model.onnx,
    # optional <name>/<version>/reference.json and <name>/aliases.json (see services/predictor/README.md)
    model_directory: Path | None = None
    # what to load at start: comma-separated `name` (its production alias, else its newest version),
    # `name@alias` or `name:version`; "*" is every model in model_directory, "" none
    serve_models: str = "*"
    # how often the directory source looks for moved aliases
    alias_poll_seconds: float = Field(1.0, gt=0.0, le=3600.0)

    # onnxruntime session options
    intra_op_threads: int = Field(1, ge=0, le=64)
    inter_op_threads: int = Field(1, ge=0, le=64)
    allow_spinning: bool = False
    execution_mode: Literal["sequential", "parallel"] = "sequential"
    graph_optimization: Literal["disabled", "basic", "extended", "all"] = "all"
    # runs on zero rows (batch 1 and a full batch) a version must pass before it takes traffic
    warmup_runs: int = Field(3, ge=1, le=100)

    # dynamic batching: rows per onnxruntime call, and how long a lone request may wait for company
    # (0 = greedy: whatever is queued when the loop gets to it; a timer only adds latency at low load)
    max_batch_rows: int = Field(256, ge=1, le=65_536)
    max_batch_delay_ms: float = Field(0.0, ge=0.0, le=1_000.0)
    # rows queued per version before Predict answers RESOURCE_EXHAUSTED
    max_queued_rows: int = Field(65_536, ge=1)
    # "inline" runs onnxruntime on the event loop (fastest for models that take well under
    # 0.5 ms per batch); "thread" hands each batch to a worker thread
    inference_mode: Literal["inline", "thread"] = "inline"
    # requests a stream may have in flight before the server stops reading it (flow control)
    stream_window: int = Field(64, ge=1, le=10_000)

    # safety: consecutive failed batches that open a version's circuit, and for how long
    breaker_failures: int = Field(5, ge=1, le=1_000)
    breaker_open_seconds: float = Field(10.0, gt=0.0, le=3600.0)

    # drift: rows kept per version (the window is the last hour or the last this many rows)
    drift_window_seconds: float = Field(3600.0, gt=0.0)
    drift_window_rows: int = Field(100_000, ge=100)
    # how often drift is computed for the metrics and alerts; 0 turns the periodic check off
    drift_check_seconds: float = Field(60.0, ge=0.0)
    # a feature whose PSI reaches this raises an alert (a log event and a metric)
    drift_alert_psi: float = Field(0.25, gt=0.0)
    # a drift report needs at least this many rows in its window
    drift_min_rows: int = Field(100, ge=1)

    # --- the trainer's model registry (registry models are served per owner as "<owner>/<model>") ---
    # the trainer's gRPC address; unset serves no registry model
    trainer_address: str | None = None
    # the content-addressed store the trainer writes (same path as its artifacts_root); unset (or a
    # digest missing there) downloads the artifact with DownloadModelArtifact into model_cache_directory
    artifacts_root: Path | None = None
    model_cache_directory: Path = Path(".run/predictor-models")
    # Redis pub/sub channel of alias changes (the trainer's registry_alias_channel)
    registry_alias_channel: str = "alphintra.registry.aliases"
    # the registry's reference distributions carry no training row count; the KS p-value assumes this many
    registry_reference_rows: int = Field(10_000, ge=1)
    # how long the alias listener waits before reconnecting to Redis after losing it
    registry_reconnect_seconds: float = Field(1.0, gt=0.0, le=60.0)
    # deadline of one registry call
    registry_timeout_seconds: float = Field(30.0, gt=0.0, le=600.0)

    # --- live deployments ---
    # the signal bus (bars in, signals out) and the workflow service (a model's feature spec, compiled
    # from the workflow version in the model version's lineage)
    signal_bus_address: str | None = None
    workflow_address: str | None = None
    # running deployments per owner, by plan tier (RESOURCE_EXHAUSTED beyond)
    deployment_limit_basic: int = Field(2, ge=0)
    deployment_limit_pro: int = Field(10, ge=0)
    deployment_limit_premium: int = Field(50, ge=0)
    # the feature cache (latest vector and streaming state per deployment and symbol) in Redis
    feature_cache_prefix: str = "alphintra.predictor.features"
    feature_cache_ttl_seconds: int = Field(7 * 24 * 3600, ge=60)
    # a deployment whose bar stream broke resubscribes after this long
    deployment_retry_seconds: float = Field(1.0, gt=0.0, le=300.0)
