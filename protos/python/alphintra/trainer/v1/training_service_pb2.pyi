import datetime

from alphintra.strategy.v1 import backtest_pb2 as _backtest_pb2
from alphintra.strategy.v1 import optimization_pb2 as _optimization_pb2
from alphintra.strategy.v1 import strategy_spec_pb2 as _strategy_spec_pb2
from alphintra.strategy.v1 import training_pb2 as _training_pb2
from google.api import annotations_pb2 as _annotations_pb2
from google.api import field_behavior_pb2 as _field_behavior_pb2
from google.protobuf import duration_pb2 as _duration_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.rpc import status_pb2 as _status_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class JobKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    JOB_KIND_UNSPECIFIED: _ClassVar[JobKind]
    JOB_KIND_BACKTEST: _ClassVar[JobKind]
    JOB_KIND_OPTIMIZATION: _ClassVar[JobKind]
    JOB_KIND_TRAINING: _ClassVar[JobKind]
    JOB_KIND_RETRAINING: _ClassVar[JobKind]

class JobState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    JOB_STATE_UNSPECIFIED: _ClassVar[JobState]
    JOB_STATE_QUEUED: _ClassVar[JobState]
    JOB_STATE_RUNNING: _ClassVar[JobState]
    JOB_STATE_SUCCEEDED: _ClassVar[JobState]
    JOB_STATE_FAILED: _ClassVar[JobState]
    JOB_STATE_CANCELLED: _ClassVar[JobState]

class LogLevel(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    LOG_LEVEL_UNSPECIFIED: _ClassVar[LogLevel]
    LOG_LEVEL_DEBUG: _ClassVar[LogLevel]
    LOG_LEVEL_INFO: _ClassVar[LogLevel]
    LOG_LEVEL_WARNING: _ClassVar[LogLevel]
    LOG_LEVEL_ERROR: _ClassVar[LogLevel]
JOB_KIND_UNSPECIFIED: JobKind
JOB_KIND_BACKTEST: JobKind
JOB_KIND_OPTIMIZATION: JobKind
JOB_KIND_TRAINING: JobKind
JOB_KIND_RETRAINING: JobKind
JOB_STATE_UNSPECIFIED: JobState
JOB_STATE_QUEUED: JobState
JOB_STATE_RUNNING: JobState
JOB_STATE_SUCCEEDED: JobState
JOB_STATE_FAILED: JobState
JOB_STATE_CANCELLED: JobState
LOG_LEVEL_UNSPECIFIED: LogLevel
LOG_LEVEL_DEBUG: LogLevel
LOG_LEVEL_INFO: LogLevel
LOG_LEVEL_WARNING: LogLevel
LOG_LEVEL_ERROR: LogLevel

class BacktestJobConfig(_message.Message):
    __slots__ = ("spec", "dataset_id", "backtest", "backtest_id")
    SPEC_FIELD_NUMBER: _ClassVar[int]
    DATASET_ID_FIELD_NUMBER: _ClassVar[int]
    BACKTEST_FIELD_NUMBER: _ClassVar[int]
    BACKTEST_ID_FIELD_NUMBER: _ClassVar[int]
    spec: _strategy_spec_pb2.StrategySpec
    dataset_id: str
    backtest: _backtest_pb2.BacktestConfig
    backtest_id: str
    def __init__(self, spec: _Optional[_Union[_strategy_spec_pb2.StrategySpec, _Mapping]] = ..., dataset_id: _Optional[str] = ..., backtest: _Optional[_Union[_backtest_pb2.BacktestConfig, _Mapping]] = ..., backtest_id: _Optional[str] = ...) -> None: ...

class OptimizationJobConfig(_message.Message):
    __slots__ = ("spec", "dataset_id", "backtest", "optimization")
    SPEC_FIELD_NUMBER: _ClassVar[int]
    DATASET_ID_FIELD_NUMBER: _ClassVar[int]
    BACKTEST_FIELD_NUMBER: _ClassVar[int]
    OPTIMIZATION_FIELD_NUMBER: _ClassVar[int]
    spec: _strategy_spec_pb2.StrategySpec
    dataset_id: str
    backtest: _backtest_pb2.BacktestConfig
    optimization: _optimization_pb2.OptimizationConfig
    def __init__(self, spec: _Optional[_Union[_strategy_spec_pb2.StrategySpec, _Mapping]] = ..., dataset_id: _Optional[str] = ..., backtest: _Optional[_Union[_backtest_pb2.BacktestConfig, _Mapping]] = ..., optimization: _Optional[_Union[_optimization_pb2.OptimizationConfig, _Mapping]] = ...) -> None: ...

class TrainingJobConfig(_message.Message):
    __slots__ = ("spec", "dataset_id", "training", "backtest")
    SPEC_FIELD_NUMBER: _ClassVar[int]
    DATASET_ID_FIELD_NUMBER: _ClassVar[int]
    TRAINING_FIELD_NUMBER: _ClassVar[int]
    BACKTEST_FIELD_NUMBER: _ClassVar[int]
    spec: _strategy_spec_pb2.StrategySpec
    dataset_id: str
    training: _training_pb2.TrainingConfig
    backtest: _backtest_pb2.BacktestConfig
    def __init__(self, spec: _Optional[_Union[_strategy_spec_pb2.StrategySpec, _Mapping]] = ..., dataset_id: _Optional[str] = ..., training: _Optional[_Union[_training_pb2.TrainingConfig, _Mapping]] = ..., backtest: _Optional[_Union[_backtest_pb2.BacktestConfig, _Mapping]] = ...) -> None: ...

class RetrainingJobConfig(_message.Message):
    __slots__ = ("model_name", "alias", "dataset_id", "promotion_margin", "holdout_fraction")
    MODEL_NAME_FIELD_NUMBER: _ClassVar[int]
    ALIAS_FIELD_NUMBER: _ClassVar[int]
    DATASET_ID_FIELD_NUMBER: _ClassVar[int]
    PROMOTION_MARGIN_FIELD_NUMBER: _ClassVar[int]
    HOLDOUT_FRACTION_FIELD_NUMBER: _ClassVar[int]
    model_name: str
    alias: str
    dataset_id: str
    promotion_margin: float
    holdout_fraction: float
    def __init__(self, model_name: _Optional[str] = ..., alias: _Optional[str] = ..., dataset_id: _Optional[str] = ..., promotion_margin: _Optional[float] = ..., holdout_fraction: _Optional[float] = ...) -> None: ...

class JobConfig(_message.Message):
    __slots__ = ("backtest", "optimization", "training", "retraining")
    BACKTEST_FIELD_NUMBER: _ClassVar[int]
    OPTIMIZATION_FIELD_NUMBER: _ClassVar[int]
    TRAINING_FIELD_NUMBER: _ClassVar[int]
    RETRAINING_FIELD_NUMBER: _ClassVar[int]
    backtest: BacktestJobConfig
    optimization: OptimizationJobConfig
    training: TrainingJobConfig
    retraining: RetrainingJobConfig
    def __init__(self, backtest: _Optional[_Union[BacktestJobConfig, _Mapping]] = ..., optimization: _Optional[_Union[OptimizationJobConfig, _Mapping]] = ..., training: _Optional[_Union[TrainingJobConfig, _Mapping]] = ..., retraining: _Optional[_Union[RetrainingJobConfig, _Mapping]] = ...) -> None: ...

class BacktestJobResult(_message.Message):
    __slots__ = ("result", "backtest_id")
    RESULT_FIELD_NUMBER: _ClassVar[int]
    BACKTEST_ID_FIELD_NUMBER: _ClassVar[int]
    result: _backtest_pb2.BacktestResult
    backtest_id: str
    def __init__(self, result: _Optional[_Union[_backtest_pb2.BacktestResult, _Mapping]] = ..., backtest_id: _Optional[str] = ...) -> None: ...

class RetrainingJobResult(_message.Message):
    __slots__ = ("training", "baseline_version", "baseline_holdout_metric", "candidate_holdout_metric", "promoted", "reason")
    TRAINING_FIELD_NUMBER: _ClassVar[int]
    BASELINE_VERSION_FIELD_NUMBER: _ClassVar[int]
    BASELINE_HOLDOUT_METRIC_FIELD_NUMBER: _ClassVar[int]
    CANDIDATE_HOLDOUT_METRIC_FIELD_NUMBER: _ClassVar[int]
    PROMOTED_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    training: _training_pb2.TrainingResult
    baseline_version: int
    baseline_holdout_metric: float
    candidate_holdout_metric: float
    promoted: bool
    reason: str
    def __init__(self, training: _Optional[_Union[_training_pb2.TrainingResult, _Mapping]] = ..., baseline_version: _Optional[int] = ..., baseline_holdout_metric: _Optional[float] = ..., candidate_holdout_metric: _Optional[float] = ..., promoted: _Optional[bool] = ..., reason: _Optional[str] = ...) -> None: ...

class JobResult(_message.Message):
    __slots__ = ("backtest", "optimization", "training", "retraining")
    BACKTEST_FIELD_NUMBER: _ClassVar[int]
    OPTIMIZATION_FIELD_NUMBER: _ClassVar[int]
    TRAINING_FIELD_NUMBER: _ClassVar[int]
    RETRAINING_FIELD_NUMBER: _ClassVar[int]
    backtest: BacktestJobResult
    optimization: _optimization_pb2.OptimizationResult
    training: _training_pb2.TrainingResult
    retraining: RetrainingJobResult
    def __init__(self, backtest: _Optional[_Union[BacktestJobResult, _Mapping]] = ..., optimization: _Optional[_Union[_optimization_pb2.OptimizationResult, _Mapping]] = ..., training: _Optional[_Union[_training_pb2.TrainingResult, _Mapping]] = ..., retraining: _Optional[_Union[RetrainingJobResult, _Mapping]] = ...) -> None: ...

class Job(_message.Message):
    __slots__ = ("name", "id", "owner_id", "display_name", "kind", "config", "state", "timeout", "memory_limit_bytes", "attempts", "max_attempts", "progress_fraction", "error", "cpu_seconds", "result", "workflow_id", "workflow_version", "experiment_id", "run_id", "worker_id", "create_time", "start_time", "end_time", "update_time")
    NAME_FIELD_NUMBER: _ClassVar[int]
    ID_FIELD_NUMBER: _ClassVar[int]
    OWNER_ID_FIELD_NUMBER: _ClassVar[int]
    DISPLAY_NAME_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    CONFIG_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    TIMEOUT_FIELD_NUMBER: _ClassVar[int]
    MEMORY_LIMIT_BYTES_FIELD_NUMBER: _ClassVar[int]
    ATTEMPTS_FIELD_NUMBER: _ClassVar[int]
    MAX_ATTEMPTS_FIELD_NUMBER: _ClassVar[int]
    PROGRESS_FRACTION_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    CPU_SECONDS_FIELD_NUMBER: _ClassVar[int]
    RESULT_FIELD_NUMBER: _ClassVar[int]
    WORKFLOW_ID_FIELD_NUMBER: _ClassVar[int]
    WORKFLOW_VERSION_FIELD_NUMBER: _ClassVar[int]
    EXPERIMENT_ID_FIELD_NUMBER: _ClassVar[int]
    RUN_ID_FIELD_NUMBER: _ClassVar[int]
    WORKER_ID_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    END_TIME_FIELD_NUMBER: _ClassVar[int]
    UPDATE_TIME_FIELD_NUMBER: _ClassVar[int]
    name: str
    id: str
    owner_id: str
    display_name: str
    kind: JobKind
    config: JobConfig
    state: JobState
    timeout: _duration_pb2.Duration
    memory_limit_bytes: int
    attempts: int
    max_attempts: int
    progress_fraction: float
    error: _status_pb2.Status
    cpu_seconds: float
    result: JobResult
    workflow_id: str
    workflow_version: int
    experiment_id: str
    run_id: str
    worker_id: str
    create_time: _timestamp_pb2.Timestamp
    start_time: _timestamp_pb2.Timestamp
    end_time: _timestamp_pb2.Timestamp
    update_time: _timestamp_pb2.Timestamp
    def __init__(self, name: _Optional[str] = ..., id: _Optional[str] = ..., owner_id: _Optional[str] = ..., display_name: _Optional[str] = ..., kind: _Optional[_Union[JobKind, str]] = ..., config: _Optional[_Union[JobConfig, _Mapping]] = ..., state: _Optional[_Union[JobState, str]] = ..., timeout: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., memory_limit_bytes: _Optional[int] = ..., attempts: _Optional[int] = ..., max_attempts: _Optional[int] = ..., progress_fraction: _Optional[float] = ..., error: _Optional[_Union[_status_pb2.Status, _Mapping]] = ..., cpu_seconds: _Optional[float] = ..., result: _Optional[_Union[JobResult, _Mapping]] = ..., workflow_id: _Optional[str] = ..., workflow_version: _Optional[int] = ..., experiment_id: _Optional[str] = ..., run_id: _Optional[str] = ..., worker_id: _Optional[str] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., start_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., end_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., update_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class JobStateChange(_message.Message):
    __slots__ = ("previous_state", "state", "message", "error")
    PREVIOUS_STATE_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    previous_state: JobState
    state: JobState
    message: str
    error: _status_pb2.Status
    def __init__(self, previous_state: _Optional[_Union[JobState, str]] = ..., state: _Optional[_Union[JobState, str]] = ..., message: _Optional[str] = ..., error: _Optional[_Union[_status_pb2.Status, _Mapping]] = ...) -> None: ...

class JobProgress(_message.Message):
    __slots__ = ("fraction", "eta", "message")
    FRACTION_FIELD_NUMBER: _ClassVar[int]
    ETA_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    fraction: float
    eta: _duration_pb2.Duration
    message: str
    def __init__(self, fraction: _Optional[float] = ..., eta: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., message: _Optional[str] = ...) -> None: ...

class JobLogLine(_message.Message):
    __slots__ = ("level", "message", "attempt")
    LEVEL_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    ATTEMPT_FIELD_NUMBER: _ClassVar[int]
    level: LogLevel
    message: str
    attempt: int
    def __init__(self, level: _Optional[_Union[LogLevel, str]] = ..., message: _Optional[str] = ..., attempt: _Optional[int] = ...) -> None: ...

class JobMetric(_message.Message):
    __slots__ = ("name", "step", "trial", "value")
    NAME_FIELD_NUMBER: _ClassVar[int]
    STEP_FIELD_NUMBER: _ClassVar[int]
    TRIAL_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    name: str
    step: int
    trial: int
    value: float
    def __init__(self, name: _Optional[str] = ..., step: _Optional[int] = ..., trial: _Optional[int] = ..., value: _Optional[float] = ...) -> None: ...

class JobEvent(_message.Message):
    __slots__ = ("sequence", "time", "state_change", "progress", "log_line", "metric")
    SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    TIME_FIELD_NUMBER: _ClassVar[int]
    STATE_CHANGE_FIELD_NUMBER: _ClassVar[int]
    PROGRESS_FIELD_NUMBER: _ClassVar[int]
    LOG_LINE_FIELD_NUMBER: _ClassVar[int]
    METRIC_FIELD_NUMBER: _ClassVar[int]
    sequence: int
    time: _timestamp_pb2.Timestamp
    state_change: JobStateChange
    progress: JobProgress
    log_line: JobLogLine
    metric: JobMetric
    def __init__(self, sequence: _Optional[int] = ..., time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., state_change: _Optional[_Union[JobStateChange, _Mapping]] = ..., progress: _Optional[_Union[JobProgress, _Mapping]] = ..., log_line: _Optional[_Union[JobLogLine, _Mapping]] = ..., metric: _Optional[_Union[JobMetric, _Mapping]] = ...) -> None: ...

class CreateJobRequest(_message.Message):
    __slots__ = ("job", "request_id")
    JOB_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    job: Job
    request_id: str
    def __init__(self, job: _Optional[_Union[Job, _Mapping]] = ..., request_id: _Optional[str] = ...) -> None: ...

class CreateJobResponse(_message.Message):
    __slots__ = ("job",)
    JOB_FIELD_NUMBER: _ClassVar[int]
    job: Job
    def __init__(self, job: _Optional[_Union[Job, _Mapping]] = ...) -> None: ...

class CreateJobFromWorkflowRequest(_message.Message):
    __slots__ = ("workflow_id", "workflow_version", "job", "request_id")
    WORKFLOW_ID_FIELD_NUMBER: _ClassVar[int]
    WORKFLOW_VERSION_FIELD_NUMBER: _ClassVar[int]
    JOB_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    workflow_id: str
    workflow_version: int
    job: Job
    request_id: str
    def __init__(self, workflow_id: _Optional[str] = ..., workflow_version: _Optional[int] = ..., job: _Optional[_Union[Job, _Mapping]] = ..., request_id: _Optional[str] = ...) -> None: ...

class CreateJobFromWorkflowResponse(_message.Message):
    __slots__ = ("job",)
    JOB_FIELD_NUMBER: _ClassVar[int]
    job: Job
    def __init__(self, job: _Optional[_Union[Job, _Mapping]] = ...) -> None: ...

class GetJobRequest(_message.Message):
    __slots__ = ("job_id",)
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    job_id: str
    def __init__(self, job_id: _Optional[str] = ...) -> None: ...

class GetJobResponse(_message.Message):
    __slots__ = ("job",)
    JOB_FIELD_NUMBER: _ClassVar[int]
    job: Job
    def __init__(self, job: _Optional[_Union[Job, _Mapping]] = ...) -> None: ...

class ListJobsRequest(_message.Message):
    __slots__ = ("page_size", "page_token", "state", "kind", "workflow_id")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    WORKFLOW_ID_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    state: JobState
    kind: JobKind
    workflow_id: str
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., state: _Optional[_Union[JobState, str]] = ..., kind: _Optional[_Union[JobKind, str]] = ..., workflow_id: _Optional[str] = ...) -> None: ...

class ListJobsResponse(_message.Message):
    __slots__ = ("jobs", "next_page_token")
    JOBS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    jobs: _containers.RepeatedCompositeFieldContainer[Job]
    next_page_token: str
    def __init__(self, jobs: _Optional[_Iterable[_Union[Job, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class CancelJobRequest(_message.Message):
    __slots__ = ("job_id", "reason")
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    job_id: str
    reason: str
    def __init__(self, job_id: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...

class CancelJobResponse(_message.Message):
    __slots__ = ("job",)
    JOB_FIELD_NUMBER: _ClassVar[int]
    job: Job
    def __init__(self, job: _Optional[_Union[Job, _Mapping]] = ...) -> None: ...

class WatchJobRequest(_message.Message):
    __slots__ = ("job_id", "from_sequence")
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    FROM_SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    job_id: str
    from_sequence: int
    def __init__(self, job_id: _Optional[str] = ..., from_sequence: _Optional[int] = ...) -> None: ...

class WatchJobResponse(_message.Message):
    __slots__ = ("event",)
    EVENT_FIELD_NUMBER: _ClassVar[int]
    event: JobEvent
    def __init__(self, event: _Optional[_Union[JobEvent, _Mapping]] = ...) -> None: ...

class ListJobLogsRequest(_message.Message):
    __slots__ = ("job_id", "page_size", "page_token", "minimum_level")
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    MINIMUM_LEVEL_FIELD_NUMBER: _ClassVar[int]
    job_id: str
    page_size: int
    page_token: str
    minimum_level: LogLevel
    def __init__(self, job_id: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., minimum_level: _Optional[_Union[LogLevel, str]] = ...) -> None: ...

class ListJobLogsResponse(_message.Message):
    __slots__ = ("events", "next_page_token")
    EVENTS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    events: _containers.RepeatedCompositeFieldContainer[JobEvent]
    next_page_token: str
    def __init__(self, events: _Optional[_Iterable[_Union[JobEvent, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...
