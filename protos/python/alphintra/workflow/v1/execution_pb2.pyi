import datetime

from alphintra.strategy.v1 import backtest_pb2 as _backtest_pb2
from alphintra.strategy.v1 import optimization_pb2 as _optimization_pb2
from alphintra.strategy.v1 import training_pb2 as _training_pb2
from google.api import field_behavior_pb2 as _field_behavior_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.rpc import status_pb2 as _status_pb2
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class ExecutionMode(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    EXECUTION_MODE_UNSPECIFIED: _ClassVar[ExecutionMode]
    EXECUTION_MODE_STRATEGY: _ClassVar[ExecutionMode]
    EXECUTION_MODE_MODEL: _ClassVar[ExecutionMode]

class ExecutionState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    EXECUTION_STATE_UNSPECIFIED: _ClassVar[ExecutionState]
    EXECUTION_STATE_QUEUED: _ClassVar[ExecutionState]
    EXECUTION_STATE_RUNNING: _ClassVar[ExecutionState]
    EXECUTION_STATE_SUCCEEDED: _ClassVar[ExecutionState]
    EXECUTION_STATE_FAILED: _ClassVar[ExecutionState]
    EXECUTION_STATE_CANCELLED: _ClassVar[ExecutionState]
EXECUTION_MODE_UNSPECIFIED: ExecutionMode
EXECUTION_MODE_STRATEGY: ExecutionMode
EXECUTION_MODE_MODEL: ExecutionMode
EXECUTION_STATE_UNSPECIFIED: ExecutionState
EXECUTION_STATE_QUEUED: ExecutionState
EXECUTION_STATE_RUNNING: ExecutionState
EXECUTION_STATE_SUCCEEDED: ExecutionState
EXECUTION_STATE_FAILED: ExecutionState
EXECUTION_STATE_CANCELLED: ExecutionState

class ModelModeConfig(_message.Message):
    __slots__ = ("optimization", "training")
    OPTIMIZATION_FIELD_NUMBER: _ClassVar[int]
    TRAINING_FIELD_NUMBER: _ClassVar[int]
    optimization: _optimization_pb2.OptimizationConfig
    training: _training_pb2.TrainingConfig
    def __init__(self, optimization: _Optional[_Union[_optimization_pb2.OptimizationConfig, _Mapping]] = ..., training: _Optional[_Union[_training_pb2.TrainingConfig, _Mapping]] = ...) -> None: ...

class Execution(_message.Message):
    __slots__ = ("name", "id", "workflow_id", "workflow_version", "owner_id", "mode", "state", "dataset_id", "data_content_hash", "backtest_config", "model_config", "job_id", "backtest_result", "optimization_result", "training_result", "error", "create_time", "start_time", "end_time")
    NAME_FIELD_NUMBER: _ClassVar[int]
    ID_FIELD_NUMBER: _ClassVar[int]
    WORKFLOW_ID_FIELD_NUMBER: _ClassVar[int]
    WORKFLOW_VERSION_FIELD_NUMBER: _ClassVar[int]
    OWNER_ID_FIELD_NUMBER: _ClassVar[int]
    MODE_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    DATASET_ID_FIELD_NUMBER: _ClassVar[int]
    DATA_CONTENT_HASH_FIELD_NUMBER: _ClassVar[int]
    BACKTEST_CONFIG_FIELD_NUMBER: _ClassVar[int]
    MODEL_CONFIG_FIELD_NUMBER: _ClassVar[int]
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    BACKTEST_RESULT_FIELD_NUMBER: _ClassVar[int]
    OPTIMIZATION_RESULT_FIELD_NUMBER: _ClassVar[int]
    TRAINING_RESULT_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    END_TIME_FIELD_NUMBER: _ClassVar[int]
    name: str
    id: str
    workflow_id: str
    workflow_version: int
    owner_id: str
    mode: ExecutionMode
    state: ExecutionState
    dataset_id: str
    data_content_hash: str
    backtest_config: _backtest_pb2.BacktestConfig
    model_config: ModelModeConfig
    job_id: str
    backtest_result: _backtest_pb2.BacktestResult
    optimization_result: _optimization_pb2.OptimizationResult
    training_result: _training_pb2.TrainingResult
    error: _status_pb2.Status
    create_time: _timestamp_pb2.Timestamp
    start_time: _timestamp_pb2.Timestamp
    end_time: _timestamp_pb2.Timestamp
    def __init__(self, name: _Optional[str] = ..., id: _Optional[str] = ..., workflow_id: _Optional[str] = ..., workflow_version: _Optional[int] = ..., owner_id: _Optional[str] = ..., mode: _Optional[_Union[ExecutionMode, str]] = ..., state: _Optional[_Union[ExecutionState, str]] = ..., dataset_id: _Optional[str] = ..., data_content_hash: _Optional[str] = ..., backtest_config: _Optional[_Union[_backtest_pb2.BacktestConfig, _Mapping]] = ..., model_config: _Optional[_Union[ModelModeConfig, _Mapping]] = ..., job_id: _Optional[str] = ..., backtest_result: _Optional[_Union[_backtest_pb2.BacktestResult, _Mapping]] = ..., optimization_result: _Optional[_Union[_optimization_pb2.OptimizationResult, _Mapping]] = ..., training_result: _Optional[_Union[_training_pb2.TrainingResult, _Mapping]] = ..., error: _Optional[_Union[_status_pb2.Status, _Mapping]] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., start_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., end_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...
