from alphintra.common.v1 import parameter_pb2 as _parameter_pb2
from alphintra.strategy.v1 import backtest_pb2 as _backtest_pb2
from alphintra.strategy.v1 import optimization_pb2 as _optimization_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class ModelFamily(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    MODEL_FAMILY_UNSPECIFIED: _ClassVar[ModelFamily]
    MODEL_FAMILY_LIGHTGBM: _ClassVar[ModelFamily]
    MODEL_FAMILY_SKLEARN_GBT: _ClassVar[ModelFamily]
    MODEL_FAMILY_LOGISTIC_REGRESSION: _ClassVar[ModelFamily]
    MODEL_FAMILY_MLP: _ClassVar[ModelFamily]

class ValidationMetric(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    VALIDATION_METRIC_UNSPECIFIED: _ClassVar[ValidationMetric]
    VALIDATION_METRIC_LOG_LOSS: _ClassVar[ValidationMetric]
    VALIDATION_METRIC_ROC_AUC: _ClassVar[ValidationMetric]
    VALIDATION_METRIC_ACCURACY: _ClassVar[ValidationMetric]
    VALIDATION_METRIC_F1: _ClassVar[ValidationMetric]
    VALIDATION_METRIC_RMSE: _ClassVar[ValidationMetric]
MODEL_FAMILY_UNSPECIFIED: ModelFamily
MODEL_FAMILY_LIGHTGBM: ModelFamily
MODEL_FAMILY_SKLEARN_GBT: ModelFamily
MODEL_FAMILY_LOGISTIC_REGRESSION: ModelFamily
MODEL_FAMILY_MLP: ModelFamily
VALIDATION_METRIC_UNSPECIFIED: ValidationMetric
VALIDATION_METRIC_LOG_LOSS: ValidationMetric
VALIDATION_METRIC_ROC_AUC: ValidationMetric
VALIDATION_METRIC_ACCURACY: ValidationMetric
VALIDATION_METRIC_F1: ValidationMetric
VALIDATION_METRIC_RMSE: ValidationMetric

class ConditionLabel(_message.Message):
    __slots__ = ("condition_node_id",)
    CONDITION_NODE_ID_FIELD_NUMBER: _ClassVar[int]
    condition_node_id: str
    def __init__(self, condition_node_id: _Optional[str] = ...) -> None: ...

class ForwardReturnLabel(_message.Message):
    __slots__ = ("threshold", "regression")
    THRESHOLD_FIELD_NUMBER: _ClassVar[int]
    REGRESSION_FIELD_NUMBER: _ClassVar[int]
    threshold: float
    regression: bool
    def __init__(self, threshold: _Optional[float] = ..., regression: _Optional[bool] = ...) -> None: ...

class LabelDefinition(_message.Message):
    __slots__ = ("condition", "forward_return", "horizon_bars")
    CONDITION_FIELD_NUMBER: _ClassVar[int]
    FORWARD_RETURN_FIELD_NUMBER: _ClassVar[int]
    HORIZON_BARS_FIELD_NUMBER: _ClassVar[int]
    condition: ConditionLabel
    forward_return: ForwardReturnLabel
    horizon_bars: int
    def __init__(self, condition: _Optional[_Union[ConditionLabel, _Mapping]] = ..., forward_return: _Optional[_Union[ForwardReturnLabel, _Mapping]] = ..., horizon_bars: _Optional[int] = ...) -> None: ...

class DataSplit(_message.Message):
    __slots__ = ("train_fraction", "validation_fraction", "test_fraction", "gap_bars")
    TRAIN_FRACTION_FIELD_NUMBER: _ClassVar[int]
    VALIDATION_FRACTION_FIELD_NUMBER: _ClassVar[int]
    TEST_FRACTION_FIELD_NUMBER: _ClassVar[int]
    GAP_BARS_FIELD_NUMBER: _ClassVar[int]
    train_fraction: float
    validation_fraction: float
    test_fraction: float
    gap_bars: int
    def __init__(self, train_fraction: _Optional[float] = ..., validation_fraction: _Optional[float] = ..., test_fraction: _Optional[float] = ..., gap_bars: _Optional[int] = ...) -> None: ...

class HyperparameterSearch(_message.Message):
    __slots__ = ("sampler", "trial_count", "seed", "metric", "search_space")
    class SearchSpaceEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: _parameter_pb2.ParameterRange
        def __init__(self, key: _Optional[str] = ..., value: _Optional[_Union[_parameter_pb2.ParameterRange, _Mapping]] = ...) -> None: ...
    SAMPLER_FIELD_NUMBER: _ClassVar[int]
    TRIAL_COUNT_FIELD_NUMBER: _ClassVar[int]
    SEED_FIELD_NUMBER: _ClassVar[int]
    METRIC_FIELD_NUMBER: _ClassVar[int]
    SEARCH_SPACE_FIELD_NUMBER: _ClassVar[int]
    sampler: _optimization_pb2.Sampler
    trial_count: int
    seed: int
    metric: ValidationMetric
    search_space: _containers.MessageMap[str, _parameter_pb2.ParameterRange]
    def __init__(self, sampler: _Optional[_Union[_optimization_pb2.Sampler, str]] = ..., trial_count: _Optional[int] = ..., seed: _Optional[int] = ..., metric: _Optional[_Union[ValidationMetric, str]] = ..., search_space: _Optional[_Mapping[str, _parameter_pb2.ParameterRange]] = ...) -> None: ...

class TrainingConfig(_message.Message):
    __slots__ = ("model_family", "label", "split", "hyperparameters", "hyperparameter_search", "seed", "features", "model_name", "signal_threshold")
    class HyperparametersEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: _parameter_pb2.ParameterValue
        def __init__(self, key: _Optional[str] = ..., value: _Optional[_Union[_parameter_pb2.ParameterValue, _Mapping]] = ...) -> None: ...
    MODEL_FAMILY_FIELD_NUMBER: _ClassVar[int]
    LABEL_FIELD_NUMBER: _ClassVar[int]
    SPLIT_FIELD_NUMBER: _ClassVar[int]
    HYPERPARAMETERS_FIELD_NUMBER: _ClassVar[int]
    HYPERPARAMETER_SEARCH_FIELD_NUMBER: _ClassVar[int]
    SEED_FIELD_NUMBER: _ClassVar[int]
    FEATURES_FIELD_NUMBER: _ClassVar[int]
    MODEL_NAME_FIELD_NUMBER: _ClassVar[int]
    SIGNAL_THRESHOLD_FIELD_NUMBER: _ClassVar[int]
    model_family: ModelFamily
    label: LabelDefinition
    split: DataSplit
    hyperparameters: _containers.MessageMap[str, _parameter_pb2.ParameterValue]
    hyperparameter_search: HyperparameterSearch
    seed: int
    features: _containers.RepeatedScalarFieldContainer[str]
    model_name: str
    signal_threshold: float
    def __init__(self, model_family: _Optional[_Union[ModelFamily, str]] = ..., label: _Optional[_Union[LabelDefinition, _Mapping]] = ..., split: _Optional[_Union[DataSplit, _Mapping]] = ..., hyperparameters: _Optional[_Mapping[str, _parameter_pb2.ParameterValue]] = ..., hyperparameter_search: _Optional[_Union[HyperparameterSearch, _Mapping]] = ..., seed: _Optional[int] = ..., features: _Optional[_Iterable[str]] = ..., model_name: _Optional[str] = ..., signal_threshold: _Optional[float] = ...) -> None: ...

class TrainingResult(_message.Message):
    __slots__ = ("model_name", "model_version", "metrics", "onnx_parity_max_error", "test_backtest", "best_hyperparameters", "feature_importances", "run_id")
    class MetricsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: float
        def __init__(self, key: _Optional[str] = ..., value: _Optional[float] = ...) -> None: ...
    class BestHyperparametersEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: _parameter_pb2.ParameterValue
        def __init__(self, key: _Optional[str] = ..., value: _Optional[_Union[_parameter_pb2.ParameterValue, _Mapping]] = ...) -> None: ...
    class FeatureImportancesEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: float
        def __init__(self, key: _Optional[str] = ..., value: _Optional[float] = ...) -> None: ...
    MODEL_NAME_FIELD_NUMBER: _ClassVar[int]
    MODEL_VERSION_FIELD_NUMBER: _ClassVar[int]
    METRICS_FIELD_NUMBER: _ClassVar[int]
    ONNX_PARITY_MAX_ERROR_FIELD_NUMBER: _ClassVar[int]
    TEST_BACKTEST_FIELD_NUMBER: _ClassVar[int]
    BEST_HYPERPARAMETERS_FIELD_NUMBER: _ClassVar[int]
    FEATURE_IMPORTANCES_FIELD_NUMBER: _ClassVar[int]
    RUN_ID_FIELD_NUMBER: _ClassVar[int]
    model_name: str
    model_version: int
    metrics: _containers.ScalarMap[str, float]
    onnx_parity_max_error: float
    test_backtest: _backtest_pb2.BacktestResult
    best_hyperparameters: _containers.MessageMap[str, _parameter_pb2.ParameterValue]
    feature_importances: _containers.ScalarMap[str, float]
    run_id: str
    def __init__(self, model_name: _Optional[str] = ..., model_version: _Optional[int] = ..., metrics: _Optional[_Mapping[str, float]] = ..., onnx_parity_max_error: _Optional[float] = ..., test_backtest: _Optional[_Union[_backtest_pb2.BacktestResult, _Mapping]] = ..., best_hyperparameters: _Optional[_Mapping[str, _parameter_pb2.ParameterValue]] = ..., feature_importances: _Optional[_Mapping[str, float]] = ..., run_id: _Optional[str] = ...) -> None: ...
