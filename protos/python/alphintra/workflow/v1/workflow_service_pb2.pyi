import datetime

from alphintra.common.v1 import bar_pb2 as _bar_pb2
from alphintra.strategy.v1 import backtest_pb2 as _backtest_pb2
from alphintra.strategy.v1 import strategy_spec_pb2 as _strategy_spec_pb2
from alphintra.workflow.v1 import execution_pb2 as _execution_pb2
from alphintra.workflow.v1 import node_catalog_pb2 as _node_catalog_pb2
from alphintra.workflow.v1 import template_pb2 as _template_pb2
from alphintra.workflow.v1 import trace_pb2 as _trace_pb2
from alphintra.workflow.v1 import validation_pb2 as _validation_pb2
from alphintra.workflow.v1 import workflow_pb2 as _workflow_pb2
from google.api import annotations_pb2 as _annotations_pb2
from google.api import field_behavior_pb2 as _field_behavior_pb2
from google.protobuf import field_mask_pb2 as _field_mask_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class WorkflowView(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    WORKFLOW_VIEW_UNSPECIFIED: _ClassVar[WorkflowView]
    WORKFLOW_VIEW_BASIC: _ClassVar[WorkflowView]
    WORKFLOW_VIEW_FULL: _ClassVar[WorkflowView]
WORKFLOW_VIEW_UNSPECIFIED: WorkflowView
WORKFLOW_VIEW_BASIC: WorkflowView
WORKFLOW_VIEW_FULL: WorkflowView

class ListNodeTypesRequest(_message.Message):
    __slots__ = ("category",)
    CATEGORY_FIELD_NUMBER: _ClassVar[int]
    category: _node_catalog_pb2.NodeCategory
    def __init__(self, category: _Optional[_Union[_node_catalog_pb2.NodeCategory, str]] = ...) -> None: ...

class ListNodeTypesResponse(_message.Message):
    __slots__ = ("node_types", "catalog_version")
    NODE_TYPES_FIELD_NUMBER: _ClassVar[int]
    CATALOG_VERSION_FIELD_NUMBER: _ClassVar[int]
    node_types: _containers.RepeatedCompositeFieldContainer[_node_catalog_pb2.NodeType]
    catalog_version: str
    def __init__(self, node_types: _Optional[_Iterable[_Union[_node_catalog_pb2.NodeType, _Mapping]]] = ..., catalog_version: _Optional[str] = ...) -> None: ...

class CreateWorkflowRequest(_message.Message):
    __slots__ = ("workflow", "request_id")
    WORKFLOW_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    workflow: _workflow_pb2.Workflow
    request_id: str
    def __init__(self, workflow: _Optional[_Union[_workflow_pb2.Workflow, _Mapping]] = ..., request_id: _Optional[str] = ...) -> None: ...

class CreateWorkflowResponse(_message.Message):
    __slots__ = ("workflow",)
    WORKFLOW_FIELD_NUMBER: _ClassVar[int]
    workflow: _workflow_pb2.Workflow
    def __init__(self, workflow: _Optional[_Union[_workflow_pb2.Workflow, _Mapping]] = ...) -> None: ...

class GetWorkflowRequest(_message.Message):
    __slots__ = ("workflow_id",)
    WORKFLOW_ID_FIELD_NUMBER: _ClassVar[int]
    workflow_id: str
    def __init__(self, workflow_id: _Optional[str] = ...) -> None: ...

class GetWorkflowResponse(_message.Message):
    __slots__ = ("workflow",)
    WORKFLOW_FIELD_NUMBER: _ClassVar[int]
    workflow: _workflow_pb2.Workflow
    def __init__(self, workflow: _Optional[_Union[_workflow_pb2.Workflow, _Mapping]] = ...) -> None: ...

class ListWorkflowsRequest(_message.Message):
    __slots__ = ("page_size", "page_token", "query", "order_by", "view")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    QUERY_FIELD_NUMBER: _ClassVar[int]
    ORDER_BY_FIELD_NUMBER: _ClassVar[int]
    VIEW_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    query: str
    order_by: str
    view: WorkflowView
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., query: _Optional[str] = ..., order_by: _Optional[str] = ..., view: _Optional[_Union[WorkflowView, str]] = ...) -> None: ...

class ListWorkflowsResponse(_message.Message):
    __slots__ = ("workflows", "next_page_token")
    WORKFLOWS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    workflows: _containers.RepeatedCompositeFieldContainer[_workflow_pb2.Workflow]
    next_page_token: str
    def __init__(self, workflows: _Optional[_Iterable[_Union[_workflow_pb2.Workflow, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class UpdateWorkflowRequest(_message.Message):
    __slots__ = ("workflow", "update_mask", "expected_version", "change_summary", "source_job_id")
    WORKFLOW_FIELD_NUMBER: _ClassVar[int]
    UPDATE_MASK_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_VERSION_FIELD_NUMBER: _ClassVar[int]
    CHANGE_SUMMARY_FIELD_NUMBER: _ClassVar[int]
    SOURCE_JOB_ID_FIELD_NUMBER: _ClassVar[int]
    workflow: _workflow_pb2.Workflow
    update_mask: _field_mask_pb2.FieldMask
    expected_version: int
    change_summary: str
    source_job_id: str
    def __init__(self, workflow: _Optional[_Union[_workflow_pb2.Workflow, _Mapping]] = ..., update_mask: _Optional[_Union[_field_mask_pb2.FieldMask, _Mapping]] = ..., expected_version: _Optional[int] = ..., change_summary: _Optional[str] = ..., source_job_id: _Optional[str] = ...) -> None: ...

class UpdateWorkflowResponse(_message.Message):
    __slots__ = ("workflow",)
    WORKFLOW_FIELD_NUMBER: _ClassVar[int]
    workflow: _workflow_pb2.Workflow
    def __init__(self, workflow: _Optional[_Union[_workflow_pb2.Workflow, _Mapping]] = ...) -> None: ...

class DeleteWorkflowRequest(_message.Message):
    __slots__ = ("workflow_id", "expected_version")
    WORKFLOW_ID_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_VERSION_FIELD_NUMBER: _ClassVar[int]
    workflow_id: str
    expected_version: int
    def __init__(self, workflow_id: _Optional[str] = ..., expected_version: _Optional[int] = ...) -> None: ...

class DeleteWorkflowResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ListWorkflowVersionsRequest(_message.Message):
    __slots__ = ("workflow_id", "page_size", "page_token")
    WORKFLOW_ID_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    workflow_id: str
    page_size: int
    page_token: str
    def __init__(self, workflow_id: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListWorkflowVersionsResponse(_message.Message):
    __slots__ = ("versions", "next_page_token")
    VERSIONS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    versions: _containers.RepeatedCompositeFieldContainer[_workflow_pb2.WorkflowVersion]
    next_page_token: str
    def __init__(self, versions: _Optional[_Iterable[_Union[_workflow_pb2.WorkflowVersion, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class GetWorkflowVersionRequest(_message.Message):
    __slots__ = ("workflow_id", "version")
    WORKFLOW_ID_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    workflow_id: str
    version: int
    def __init__(self, workflow_id: _Optional[str] = ..., version: _Optional[int] = ...) -> None: ...

class GetWorkflowVersionResponse(_message.Message):
    __slots__ = ("workflow_version",)
    WORKFLOW_VERSION_FIELD_NUMBER: _ClassVar[int]
    workflow_version: _workflow_pb2.WorkflowVersion
    def __init__(self, workflow_version: _Optional[_Union[_workflow_pb2.WorkflowVersion, _Mapping]] = ...) -> None: ...

class ValidateWorkflowRequest(_message.Message):
    __slots__ = ("workflow_id", "graph", "version")
    WORKFLOW_ID_FIELD_NUMBER: _ClassVar[int]
    GRAPH_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    workflow_id: str
    graph: _workflow_pb2.WorkflowGraph
    version: int
    def __init__(self, workflow_id: _Optional[str] = ..., graph: _Optional[_Union[_workflow_pb2.WorkflowGraph, _Mapping]] = ..., version: _Optional[int] = ...) -> None: ...

class ValidateWorkflowResponse(_message.Message):
    __slots__ = ("valid", "problems")
    VALID_FIELD_NUMBER: _ClassVar[int]
    PROBLEMS_FIELD_NUMBER: _ClassVar[int]
    valid: bool
    problems: _containers.RepeatedCompositeFieldContainer[_validation_pb2.ValidationProblem]
    def __init__(self, valid: _Optional[bool] = ..., problems: _Optional[_Iterable[_Union[_validation_pb2.ValidationProblem, _Mapping]]] = ...) -> None: ...

class CompileWorkflowRequest(_message.Message):
    __slots__ = ("workflow_id", "graph", "version")
    WORKFLOW_ID_FIELD_NUMBER: _ClassVar[int]
    GRAPH_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    workflow_id: str
    graph: _workflow_pb2.WorkflowGraph
    version: int
    def __init__(self, workflow_id: _Optional[str] = ..., graph: _Optional[_Union[_workflow_pb2.WorkflowGraph, _Mapping]] = ..., version: _Optional[int] = ...) -> None: ...

class CompileWorkflowResponse(_message.Message):
    __slots__ = ("spec", "python_code", "warnings")
    SPEC_FIELD_NUMBER: _ClassVar[int]
    PYTHON_CODE_FIELD_NUMBER: _ClassVar[int]
    WARNINGS_FIELD_NUMBER: _ClassVar[int]
    spec: _strategy_spec_pb2.StrategySpec
    python_code: str
    warnings: _containers.RepeatedCompositeFieldContainer[_validation_pb2.ValidationProblem]
    def __init__(self, spec: _Optional[_Union[_strategy_spec_pb2.StrategySpec, _Mapping]] = ..., python_code: _Optional[str] = ..., warnings: _Optional[_Iterable[_Union[_validation_pb2.ValidationProblem, _Mapping]]] = ...) -> None: ...

class ExecuteWorkflowRequest(_message.Message):
    __slots__ = ("workflow_id", "workflow_version", "mode", "dataset_id", "bars", "backtest_config", "model_config", "request_id")
    WORKFLOW_ID_FIELD_NUMBER: _ClassVar[int]
    WORKFLOW_VERSION_FIELD_NUMBER: _ClassVar[int]
    MODE_FIELD_NUMBER: _ClassVar[int]
    DATASET_ID_FIELD_NUMBER: _ClassVar[int]
    BARS_FIELD_NUMBER: _ClassVar[int]
    BACKTEST_CONFIG_FIELD_NUMBER: _ClassVar[int]
    MODEL_CONFIG_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    workflow_id: str
    workflow_version: int
    mode: _execution_pb2.ExecutionMode
    dataset_id: str
    bars: _bar_pb2.BarSeries
    backtest_config: _backtest_pb2.BacktestConfig
    model_config: _execution_pb2.ModelModeConfig
    request_id: str
    def __init__(self, workflow_id: _Optional[str] = ..., workflow_version: _Optional[int] = ..., mode: _Optional[_Union[_execution_pb2.ExecutionMode, str]] = ..., dataset_id: _Optional[str] = ..., bars: _Optional[_Union[_bar_pb2.BarSeries, _Mapping]] = ..., backtest_config: _Optional[_Union[_backtest_pb2.BacktestConfig, _Mapping]] = ..., model_config: _Optional[_Union[_execution_pb2.ModelModeConfig, _Mapping]] = ..., request_id: _Optional[str] = ...) -> None: ...

class ExecuteWorkflowResponse(_message.Message):
    __slots__ = ("execution",)
    EXECUTION_FIELD_NUMBER: _ClassVar[int]
    execution: _execution_pb2.Execution
    def __init__(self, execution: _Optional[_Union[_execution_pb2.Execution, _Mapping]] = ...) -> None: ...

class GetExecutionRequest(_message.Message):
    __slots__ = ("workflow_id", "execution_id")
    WORKFLOW_ID_FIELD_NUMBER: _ClassVar[int]
    EXECUTION_ID_FIELD_NUMBER: _ClassVar[int]
    workflow_id: str
    execution_id: str
    def __init__(self, workflow_id: _Optional[str] = ..., execution_id: _Optional[str] = ...) -> None: ...

class GetExecutionResponse(_message.Message):
    __slots__ = ("execution",)
    EXECUTION_FIELD_NUMBER: _ClassVar[int]
    execution: _execution_pb2.Execution
    def __init__(self, execution: _Optional[_Union[_execution_pb2.Execution, _Mapping]] = ...) -> None: ...

class ListExecutionsRequest(_message.Message):
    __slots__ = ("workflow_id", "page_size", "page_token", "mode", "state")
    WORKFLOW_ID_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    MODE_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    workflow_id: str
    page_size: int
    page_token: str
    mode: _execution_pb2.ExecutionMode
    state: _execution_pb2.ExecutionState
    def __init__(self, workflow_id: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., mode: _Optional[_Union[_execution_pb2.ExecutionMode, str]] = ..., state: _Optional[_Union[_execution_pb2.ExecutionState, str]] = ...) -> None: ...

class ListExecutionsResponse(_message.Message):
    __slots__ = ("executions", "next_page_token")
    EXECUTIONS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    executions: _containers.RepeatedCompositeFieldContainer[_execution_pb2.Execution]
    next_page_token: str
    def __init__(self, executions: _Optional[_Iterable[_Union[_execution_pb2.Execution, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class ListTemplatesRequest(_message.Message):
    __slots__ = ("page_size", "page_token", "difficulty", "tag")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    DIFFICULTY_FIELD_NUMBER: _ClassVar[int]
    TAG_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    difficulty: _template_pb2.Difficulty
    tag: str
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., difficulty: _Optional[_Union[_template_pb2.Difficulty, str]] = ..., tag: _Optional[str] = ...) -> None: ...

class ListTemplatesResponse(_message.Message):
    __slots__ = ("templates", "next_page_token")
    TEMPLATES_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    templates: _containers.RepeatedCompositeFieldContainer[_template_pb2.Template]
    next_page_token: str
    def __init__(self, templates: _Optional[_Iterable[_Union[_template_pb2.Template, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class CloneTemplateRequest(_message.Message):
    __slots__ = ("template_id", "display_name", "request_id")
    TEMPLATE_ID_FIELD_NUMBER: _ClassVar[int]
    DISPLAY_NAME_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    template_id: str
    display_name: str
    request_id: str
    def __init__(self, template_id: _Optional[str] = ..., display_name: _Optional[str] = ..., request_id: _Optional[str] = ...) -> None: ...

class CloneTemplateResponse(_message.Message):
    __slots__ = ("workflow",)
    WORKFLOW_FIELD_NUMBER: _ClassVar[int]
    workflow: _workflow_pb2.Workflow
    def __init__(self, workflow: _Optional[_Union[_workflow_pb2.Workflow, _Mapping]] = ...) -> None: ...

class TraceStrategyRequest(_message.Message):
    __slots__ = ("workflow_id", "graph", "version", "dataset_id", "bars", "symbol", "backtest_config", "start_time", "max_bars", "node_ids")
    WORKFLOW_ID_FIELD_NUMBER: _ClassVar[int]
    GRAPH_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    DATASET_ID_FIELD_NUMBER: _ClassVar[int]
    BARS_FIELD_NUMBER: _ClassVar[int]
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    BACKTEST_CONFIG_FIELD_NUMBER: _ClassVar[int]
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    MAX_BARS_FIELD_NUMBER: _ClassVar[int]
    NODE_IDS_FIELD_NUMBER: _ClassVar[int]
    workflow_id: str
    graph: _workflow_pb2.WorkflowGraph
    version: int
    dataset_id: str
    bars: _bar_pb2.BarSeries
    symbol: str
    backtest_config: _backtest_pb2.BacktestConfig
    start_time: _timestamp_pb2.Timestamp
    max_bars: int
    node_ids: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, workflow_id: _Optional[str] = ..., graph: _Optional[_Union[_workflow_pb2.WorkflowGraph, _Mapping]] = ..., version: _Optional[int] = ..., dataset_id: _Optional[str] = ..., bars: _Optional[_Union[_bar_pb2.BarSeries, _Mapping]] = ..., symbol: _Optional[str] = ..., backtest_config: _Optional[_Union[_backtest_pb2.BacktestConfig, _Mapping]] = ..., start_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., max_bars: _Optional[int] = ..., node_ids: _Optional[_Iterable[str]] = ...) -> None: ...

class TraceStrategyResponse(_message.Message):
    __slots__ = ("bars", "spec", "truncated")
    BARS_FIELD_NUMBER: _ClassVar[int]
    SPEC_FIELD_NUMBER: _ClassVar[int]
    TRUNCATED_FIELD_NUMBER: _ClassVar[int]
    bars: _containers.RepeatedCompositeFieldContainer[_trace_pb2.TraceBar]
    spec: _strategy_spec_pb2.StrategySpec
    truncated: bool
    def __init__(self, bars: _Optional[_Iterable[_Union[_trace_pb2.TraceBar, _Mapping]]] = ..., spec: _Optional[_Union[_strategy_spec_pb2.StrategySpec, _Mapping]] = ..., truncated: _Optional[bool] = ...) -> None: ...
