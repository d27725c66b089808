import datetime

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

class ServingState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    SERVING_STATE_UNSPECIFIED: _ClassVar[ServingState]
    SERVING_STATE_LOADING: _ClassVar[ServingState]
    SERVING_STATE_READY: _ClassVar[ServingState]
    SERVING_STATE_UNLOADING: _ClassVar[ServingState]
    SERVING_STATE_FAILED: _ClassVar[ServingState]

class DriftLevel(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    DRIFT_LEVEL_UNSPECIFIED: _ClassVar[DriftLevel]
    DRIFT_LEVEL_NONE: _ClassVar[DriftLevel]
    DRIFT_LEVEL_MODERATE: _ClassVar[DriftLevel]
    DRIFT_LEVEL_SIGNIFICANT: _ClassVar[DriftLevel]
SERVING_STATE_UNSPECIFIED: ServingState
SERVING_STATE_LOADING: ServingState
SERVING_STATE_READY: ServingState
SERVING_STATE_UNLOADING: ServingState
SERVING_STATE_FAILED: ServingState
DRIFT_LEVEL_UNSPECIFIED: DriftLevel
DRIFT_LEVEL_NONE: DriftLevel
DRIFT_LEVEL_MODERATE: DriftLevel
DRIFT_LEVEL_SIGNIFICANT: DriftLevel

class FeatureMatrix(_message.Message):
    __slots__ = ("rows", "columns", "values")
    ROWS_FIELD_NUMBER: _ClassVar[int]
    COLUMNS_FIELD_NUMBER: _ClassVar[int]
    VALUES_FIELD_NUMBER: _ClassVar[int]
    rows: int
    columns: int
    values: _containers.RepeatedScalarFieldContainer[float]
    def __init__(self, rows: _Optional[int] = ..., columns: _Optional[int] = ..., values: _Optional[_Iterable[float]] = ...) -> None: ...

class ProbabilityMatrix(_message.Message):
    __slots__ = ("rows", "columns", "values")
    ROWS_FIELD_NUMBER: _ClassVar[int]
    COLUMNS_FIELD_NUMBER: _ClassVar[int]
    VALUES_FIELD_NUMBER: _ClassVar[int]
    rows: int
    columns: int
    values: _containers.RepeatedScalarFieldContainer[float]
    def __init__(self, rows: _Optional[int] = ..., columns: _Optional[int] = ..., values: _Optional[_Iterable[float]] = ...) -> None: ...

class Predictions(_message.Message):
    __slots__ = ("labels", "probabilities", "values", "class_names", "model_name", "model_version", "fallback")
    LABELS_FIELD_NUMBER: _ClassVar[int]
    PROBABILITIES_FIELD_NUMBER: _ClassVar[int]
    VALUES_FIELD_NUMBER: _ClassVar[int]
    CLASS_NAMES_FIELD_NUMBER: _ClassVar[int]
    MODEL_NAME_FIELD_NUMBER: _ClassVar[int]
    MODEL_VERSION_FIELD_NUMBER: _ClassVar[int]
    FALLBACK_FIELD_NUMBER: _ClassVar[int]
    labels: _containers.RepeatedScalarFieldContainer[int]
    probabilities: ProbabilityMatrix
    values: _containers.RepeatedScalarFieldContainer[float]
    class_names: _containers.RepeatedScalarFieldContainer[str]
    model_name: str
    model_version: int
    fallback: bool
    def __init__(self, labels: _Optional[_Iterable[int]] = ..., probabilities: _Optional[_Union[ProbabilityMatrix, _Mapping]] = ..., values: _Optional[_Iterable[float]] = ..., class_names: _Optional[_Iterable[str]] = ..., model_name: _Optional[str] = ..., model_version: _Optional[int] = ..., fallback: _Optional[bool] = ...) -> None: ...

class PredictRequest(_message.Message):
    __slots__ = ("request_id", "model_name", "version", "alias", "routing_key", "features")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    MODEL_NAME_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    ALIAS_FIELD_NUMBER: _ClassVar[int]
    ROUTING_KEY_FIELD_NUMBER: _ClassVar[int]
    FEATURES_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    model_name: str
    version: int
    alias: str
    routing_key: str
    features: FeatureMatrix
    def __init__(self, request_id: _Optional[str] = ..., model_name: _Optional[str] = ..., version: _Optional[int] = ..., alias: _Optional[str] = ..., routing_key: _Optional[str] = ..., features: _Optional[_Union[FeatureMatrix, _Mapping]] = ...) -> None: ...

class PredictResponse(_message.Message):
    __slots__ = ("request_id", "predictions")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    PREDICTIONS_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    predictions: Predictions
    def __init__(self, request_id: _Optional[str] = ..., predictions: _Optional[_Union[Predictions, _Mapping]] = ...) -> None: ...

class PredictStreamRequest(_message.Message):
    __slots__ = ("request_id", "model_name", "version", "alias", "routing_key", "features")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    MODEL_NAME_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    ALIAS_FIELD_NUMBER: _ClassVar[int]
    ROUTING_KEY_FIELD_NUMBER: _ClassVar[int]
    FEATURES_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    model_name: str
    version: int
    alias: str
    routing_key: str
    features: FeatureMatrix
    def __init__(self, request_id: _Optional[str] = ..., model_name: _Optional[str] = ..., version: _Optional[int] = ..., alias: _Optional[str] = ..., routing_key: _Optional[str] = ..., features: _Optional[_Union[FeatureMatrix, _Mapping]] = ...) -> None: ...

class PredictStreamResponse(_message.Message):
    __slots__ = ("request_id", "predictions", "error")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    PREDICTIONS_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    predictions: Predictions
    error: _status_pb2.Status
    def __init__(self, request_id: _Optional[str] = ..., predictions: _Optional[_Union[Predictions, _Mapping]] = ..., error: _Optional[_Union[_status_pb2.Status, _Mapping]] = ...) -> None: ...

class ServedVersion(_message.Message):
    __slots__ = ("version", "state", "aliases", "fallback", "load_time", "error_message", "feature_count", "class_names")
    VERSION_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    ALIASES_FIELD_NUMBER: _ClassVar[int]
    FALLBACK_FIELD_NUMBER: _ClassVar[int]
    LOAD_TIME_FIELD_NUMBER: _ClassVar[int]
    ERROR_MESSAGE_FIELD_NUMBER: _ClassVar[int]
    FEATURE_COUNT_FIELD_NUMBER: _ClassVar[int]
    CLASS_NAMES_FIELD_NUMBER: _ClassVar[int]
    version: int
    state: ServingState
    aliases: _containers.RepeatedScalarFieldContainer[str]
    fallback: bool
    load_time: _timestamp_pb2.Timestamp
    error_message: str
    feature_count: int
    class_names: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, version: _Optional[int] = ..., state: _Optional[_Union[ServingState, str]] = ..., aliases: _Optional[_Iterable[str]] = ..., fallback: _Optional[bool] = ..., load_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., error_message: _Optional[str] = ..., feature_count: _Optional[int] = ..., class_names: _Optional[_Iterable[str]] = ...) -> None: ...

class TrafficAllocation(_message.Message):
    __slots__ = ("version", "percent")
    VERSION_FIELD_NUMBER: _ClassVar[int]
    PERCENT_FIELD_NUMBER: _ClassVar[int]
    version: int
    percent: int
    def __init__(self, version: _Optional[int] = ..., percent: _Optional[int] = ...) -> None: ...

class TrafficSplit(_message.Message):
    __slots__ = ("allocations", "sticky")
    ALLOCATIONS_FIELD_NUMBER: _ClassVar[int]
    STICKY_FIELD_NUMBER: _ClassVar[int]
    allocations: _containers.RepeatedCompositeFieldContainer[TrafficAllocation]
    sticky: bool
    def __init__(self, allocations: _Optional[_Iterable[_Union[TrafficAllocation, _Mapping]]] = ..., sticky: _Optional[bool] = ...) -> None: ...

class ServedModel(_message.Message):
    __slots__ = ("model_name", "versions", "traffic_split", "default_version")
    MODEL_NAME_FIELD_NUMBER: _ClassVar[int]
    VERSIONS_FIELD_NUMBER: _ClassVar[int]
    TRAFFIC_SPLIT_FIELD_NUMBER: _ClassVar[int]
    DEFAULT_VERSION_FIELD_NUMBER: _ClassVar[int]
    model_name: str
    versions: _containers.RepeatedCompositeFieldContainer[ServedVersion]
    traffic_split: TrafficSplit
    default_version: int
    def __init__(self, model_name: _Optional[str] = ..., versions: _Optional[_Iterable[_Union[ServedVersion, _Mapping]]] = ..., traffic_split: _Optional[_Union[TrafficSplit, _Mapping]] = ..., default_version: _Optional[int] = ...) -> None: ...

class ListModelsRequest(_message.Message):
    __slots__ = ("model_name",)
    MODEL_NAME_FIELD_NUMBER: _ClassVar[int]
    model_name: str
    def __init__(self, model_name: _Optional[str] = ...) -> None: ...

class ListModelsResponse(_message.Message):
    __slots__ = ("models",)
    MODELS_FIELD_NUMBER: _ClassVar[int]
    models: _containers.RepeatedCompositeFieldContainer[ServedModel]
    def __init__(self, models: _Optional[_Iterable[_Union[ServedModel, _Mapping]]] = ...) -> None: ...

class LoadModelRequest(_message.Message):
    __slots__ = ("model_name", "version", "alias", "wait_until_ready", "make_default")
    MODEL_NAME_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    ALIAS_FIELD_NUMBER: _ClassVar[int]
    WAIT_UNTIL_READY_FIELD_NUMBER: _ClassVar[int]
    MAKE_DEFAULT_FIELD_NUMBER: _ClassVar[int]
    model_name: str
    version: int
    alias: str
    wait_until_ready: bool
    make_default: bool
    def __init__(self, model_name: _Optional[str] = ..., version: _Optional[int] = ..., alias: _Optional[str] = ..., wait_until_ready: _Optional[bool] = ..., make_default: _Optional[bool] = ...) -> None: ...

class LoadModelResponse(_message.Message):
    __slots__ = ("model",)
    MODEL_FIELD_NUMBER: _ClassVar[int]
    model: ServedModel
    def __init__(self, model: _Optional[_Union[ServedModel, _Mapping]] = ...) -> None: ...

class UnloadModelRequest(_message.Message):
    __slots__ = ("model_name", "version")
    MODEL_NAME_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    model_name: str
    version: int
    def __init__(self, model_name: _Optional[str] = ..., version: _Optional[int] = ...) -> None: ...

class UnloadModelResponse(_message.Message):
    __slots__ = ("model",)
    MODEL_FIELD_NUMBER: _ClassVar[int]
    model: ServedModel
    def __init__(self, model: _Optional[_Union[ServedModel, _Mapping]] = ...) -> None: ...

class SetTrafficSplitRequest(_message.Message):
    __slots__ = ("model_name", "traffic_split")
    MODEL_NAME_FIELD_NUMBER: _ClassVar[int]
    TRAFFIC_SPLIT_FIELD_NUMBER: _ClassVar[int]
    model_name: str
    traffic_split: TrafficSplit
    def __init__(self, model_name: _Optional[str] = ..., traffic_split: _Optional[_Union[TrafficSplit, _Mapping]] = ...) -> None: ...

class SetTrafficSplitResponse(_message.Message):
    __slots__ = ("model",)
    MODEL_FIELD_NUMBER: _ClassVar[int]
    model: ServedModel
    def __init__(self, model: _Optional[_Union[ServedModel, _Mapping]] = ...) -> None: ...

class GetDriftReportRequest(_message.Message):
    __slots__ = ("model_name", "version", "window")
    MODEL_NAME_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    WINDOW_FIELD_NUMBER: _ClassVar[int]
    model_name: str
    version: int
    window: _duration_pb2.Duration
    def __init__(self, model_name: _Optional[str] = ..., version: _Optional[int] = ..., window: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ...) -> None: ...

class FeatureDrift(_message.Message):
    __slots__ = ("feature", "psi", "ks_statistic", "ks_p_value", "level", "mean", "reference_mean")
    FEATURE_FIELD_NUMBER: _ClassVar[int]
    PSI_FIELD_NUMBER: _ClassVar[int]
    KS_STATISTIC_FIELD_NUMBER: _ClassVar[int]
    KS_P_VALUE_FIELD_NUMBER: _ClassVar[int]
    LEVEL_FIELD_NUMBER: _ClassVar[int]
    MEAN_FIELD_NUMBER: _ClassVar[int]
    REFERENCE_MEAN_FIELD_NUMBER: _ClassVar[int]
    feature: str
    psi: float
    ks_statistic: float
    ks_p_value: float
    level: DriftLevel
    mean: float
    reference_mean: float
    def __init__(self, feature: _Optional[str] = ..., psi: _Optional[float] = ..., ks_statistic: _Optional[float] = ..., ks_p_value: _Optional[float] = ..., level: _Optional[_Union[DriftLevel, str]] = ..., mean: _Optional[float] = ..., reference_mean: _Optional[float] = ...) -> None: ...

class GetDriftReportResponse(_message.Message):
    __slots__ = ("model_name", "version", "window_start_time", "window_end_time", "row_count", "features", "level")
    MODEL_NAME_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    WINDOW_START_TIME_FIELD_NUMBER: _ClassVar[int]
    WINDOW_END_TIME_FIELD_NUMBER: _ClassVar[int]
    ROW_COUNT_FIELD_NUMBER: _ClassVar[int]
    FEATURES_FIELD_NUMBER: _ClassVar[int]
    LEVEL_FIELD_NUMBER: _ClassVar[int]
    model_name: str
    version: int
    window_start_time: _timestamp_pb2.Timestamp
    window_end_time: _timestamp_pb2.Timestamp
    row_count: int
    features: _containers.RepeatedCompositeFieldContainer[FeatureDrift]
    level: DriftLevel
    def __init__(self, model_name: _Optional[str] = ..., version: _Optional[int] = ..., window_start_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., window_end_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., row_count: _Optional[int] = ..., features: _Optional[_Iterable[_Union[FeatureDrift, _Mapping]]] = ..., level: _Optional[_Union[DriftLevel, str]] = ...) -> None: ...
