"""What the workflow service does with graphs: catalog, validate, compile, execute, trace, templates.

Transport-free, like `app.py`: the domain (`services.core.strategy`, `services.core.analysis`)
computes; this decides which graph a request means, who may use it, and keeps the history.
STRATEGY executions run synchronously, here on inline bars or on the trainer (`RunBacktest`) on a
stored dataset, and are stored with their result. MODEL mode starts a trainer job and stores a
QUEUED execution that follows the job: reading it asks the trainer for the job's state and, once
the job has ended, keeps its result for good. Traces run here, on inline bars or on the bars of a
stored dataset read from the trainer (`trace_data`), and store nothing.
"""

from __future__ import annotations

import asyncio
import hashlib
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from alphintra.common.v1 import bar_pb2
from alphintra.strategy.v1 import backtest_pb2, strategy_spec_pb2
from alphintra.trainer.v1 import training_service_pb2
from alphintra.workflow.v1 import execution_pb2, node_catalog_pb2, template_pb2, validation_pb2, workflow_pb2
from services.core import strategy
from services.core.analysis.strategy_run import run_strategy
from services.core.backtest import BacktestConfig
from services.core.backtest.inputs import Bars
from services.core.errors import FieldViolation, InvalidArgument, NotFound
from services.core.ownership import Caller, Ownership, Role, require_readable, require_role
from services.core.paging import next_page_token, page_request
from services.mesh import conversions
from services.mesh.walk_forward import walk_forward_backtest
from services.workflow.app import Page, WorkflowApp
from services.workflow.executions import ExecutionStore
from services.workflow.trace_data import read_trace_bars, reads_for_trace
from services.workflow.trainer_client import TrainerClient


@dataclass(frozen=True, slots=True)
class GraphSource:
    """Which graph a request means: a stored workflow (at a version, 0 = latest) or an inline graph."""

    workflow_id: str = ""
    version: int = 0
    graph: workflow_pb2.WorkflowGraph | None = None


@dataclass(frozen=True, slots=True)
class ResolvedGraph:
    graph: workflow_pb2.WorkflowGraph
    workflow_id: str
    version: int
    display_name: str
    labels: dict[str, str]


def _catalog_version(node_types: list[node_catalog_pb2.NodeType]) -> str:
    digest = hashlib.sha256()
    for node_type in node_types:
        digest.update(node_type.SerializeToString(deterministic=True))
    return digest.hexdigest()[:16]


def _time_ns(stamp: object, present: bool) -> int | None:
    return stamp.ToNanoseconds() if present else None  # type: ignore[attr-defined]


class StrategyRuns:
    def __init__(
        self,
        workflows: WorkflowApp,
        executions: ExecutionStore,
        clock: Callable[[], datetime],
        trainer: TrainerClient,
        new_id: Callable[[], str] | None = None,
    ) -> None:
        self._workflows = workflows
        self._executions = executions
        self._trainer = trainer
        self._clock = clock
        self._new_id = new_id or (lambda: uuid.uuid4().hex)
        node_types = strategy.list_node_types()
        self._catalog = node_types
        self._catalog_version = _catalog_version(node_types)

    def node_types(self, category: int) -> tuple[list[node_catalog_pb2.NodeType], str]:
        chosen = [node for node in self._catalog if not category or node.category == category]
        return chosen, self._catalog_version

    async def resolve(self, caller: Caller, source: GraphSource) -> ResolvedGraph:
        if source.graph is not None:
            labels = {node.id: node.label for node in source.graph.nodes}
            return ResolvedGraph(source.graph, "", 0, "", labels)
        if not source.workflow_id:
            raise InvalidArgument(
                "say which graph", [FieldViolation("source", "give a workflow_id or a graph")]
            )
        if source.version:
            version = await self._workflows.get_version(caller, source.workflow_id, source.version)
            graph, display_name, number = version.graph, version.display_name, version.version
        else:
            workflow = await self._workflows.get(caller, source.workflow_id)
            graph, display_name, number = workflow.graph, workflow.display_name, workflow.version
        labels = {node.id: node.label for node in graph.nodes}
        return ResolvedGraph(graph, source.workflow_id, number, display_name, labels)

    async def validate(
        self, caller: Caller, source: GraphSource
    ) -> tuple[bool, list[validation_pb2.ValidationProblem]]:
        resolved = await self.resolve(caller, source)
        problems = strategy.validate_graph(resolved.graph)
        return strategy.is_valid(resolved.graph), problems

    async def compile(
        self, caller: Caller, source: GraphSource
    ) -> tuple[strategy_spec_pb2.StrategySpec, str, list[validation_pb2.ValidationProblem]]:
        resolved = await self.resolve(caller, source)
        spec, warnings = strategy.compile_with_warnings(
            resolved.graph, workflow_id=resolved.workflow_id, workflow_version=resolved.version
        )
        code = strategy.generate_code(spec, title=resolved.display_name, labels=resolved.labels)
        return spec, code, warnings

    async def execute(
        self,
        caller: Caller,
        *,
        workflow_id: str,
        version: int,
        mode: int,
        bars: bar_pb2.BarSeries | None,
        dataset_id: str,
        config: backtest_pb2.BacktestConfig,
        model_config: execution_pb2.ModelModeConfig | None = None,
        request_id: str,
    ) -> execution_pb2.Execution:
        require_role(caller, Role.TRADER)
        if request_id:
            earlier = await self._executions.find_by_request_id(caller.user_id, request_id)
            if earlier is not None:
                return earlier
        if mode not in (execution_pb2.EXECUTION_MODE_STRATEGY, execution_pb2.EXECUTION_MODE_MODEL):
            raise InvalidArgument(
                "choose a mode", [FieldViolation("mode", "EXECUTION_MODE_STRATEGY or _MODEL")]
            )
        if workflow_id:
            await self._workflows.require_owner(caller, workflow_id)
        resolved = await self.resolve(caller, GraphSource(workflow_id=workflow_id, version=version))
        if mode == execution_pb2.EXECUTION_MODE_MODEL:
            execution = await self._start_model(
                caller, resolved, bars=bars, dataset_id=dataset_id, config=config,
                model_config=model_config, request_id=request_id,
            )  # fmt: skip
        elif bars is None:
            execution = await self._run_on_dataset(caller, resolved, dataset_id, config)
        else:
            execution = await self._run_strategy(caller, resolved, bars, config)
        if not await self._executions.insert(execution, Ownership(caller.user_id, caller.organization_id),
                                             request_id or None, self._clock()):  # fmt: skip
            earlier = await self._executions.find_by_request_id(caller.user_id, request_id)
            if earlier is not None:
                return earlier
        return execution

    def _new_execution(
        self, caller: Caller, resolved: ResolvedGraph, mode: int, state: int
    ) -> execution_pb2.Execution:
        execution_id = self._new_id()
        execution = execution_pb2.Execution(
            name=f"workflows/{resolved.workflow_id}/executions/{execution_id}",
            id=execution_id,
            workflow_id=resolved.workflow_id,
            workflow_version=resolved.version,
            owner_id=caller.user_id,
            mode=mode,
            state=state,
        )
        execution.create_time.FromDatetime(self._clock())
        return execution

    async def _run_on_dataset(
        self, caller: Caller, resolved: ResolvedGraph, dataset_id: str, config: backtest_pb2.BacktestConfig
    ) -> execution_pb2.Execution:
        spec = strategy.compile_graph(resolved.graph, workflow_id=resolved.workflow_id,
                                      workflow_version=resolved.version)  # fmt: skip
        chosen = dataset_id or spec.data_source.dataset_id
        if not chosen:
            raise InvalidArgument(
                "say which bars to run on",
                [
                    FieldViolation(
                        "data", "send bars, a dataset_id, or choose a dataset in the dataSource node"
                    )
                ],
            )
        execution = self._new_execution(
            caller, resolved, execution_pb2.EXECUTION_MODE_STRATEGY, execution_pb2.EXECUTION_STATE_SUCCEEDED
        )
        execution.start_time.CopyFrom(execution.create_time)
        response = await self._trainer.run_backtest(spec, config, dataset_id=chosen)
        execution.dataset_id = chosen
        execution.data_content_hash = response.data_content_hash
        execution.backtest_config.CopyFrom(config)
        execution.backtest_result.CopyFrom(response.result)
        execution.end_time.FromDatetime(self._clock())
        return execution

    async def _start_model(
        self,
        caller: Caller,
        resolved: ResolvedGraph,
        *,
        bars: bar_pb2.BarSeries | None,
        dataset_id: str,
        config: backtest_pb2.BacktestConfig,
        model_config: execution_pb2.ModelModeConfig | None,
        request_id: str,
    ) -> execution_pb2.Execution:
        job = _model_job(resolved, bars, dataset_id, config, model_config)
        execution = self._new_execution(
            caller, resolved, execution_pb2.EXECUTION_MODE_MODEL, execution_pb2.EXECUTION_STATE_QUEUED
        )
        job.display_name = f"{resolved.display_name or resolved.workflow_id} (execution {execution.id})"
        started = await self._trainer.start_job(
            resolved.workflow_id, resolved.version, job, f"{request_id}:job" if request_id else ""
        )
        execution.job_id = started.id
        execution.dataset_id = _job_dataset(job)
        execution.backtest_config.CopyFrom(config)
        assert model_config is not None  # _model_job checked it
        execution.model_config.CopyFrom(model_config)
        _follow_job(execution, started)
        return execution

    async def _run_strategy(
        self,
        caller: Caller,
        resolved: ResolvedGraph,
        series: bar_pb2.BarSeries,
        config: backtest_pb2.BacktestConfig,
    ) -> execution_pb2.Execution:
        started = self._clock()
        bars = conversions.bars_from_proto(series)
        domain_config = conversions.config_from_proto(config)
        if config.methodology == backtest_pb2.METHODOLOGY_WALK_FORWARD:
            result = walk_forward_backtest(resolved.graph, bars, domain_config, config)
        else:
            spec = strategy.compile_graph(resolved.graph, workflow_id=resolved.workflow_id,
                                          workflow_version=resolved.version)  # fmt: skip
            result = _standard(spec, bars, domain_config, config)
        execution = self._new_execution(
            caller, resolved, execution_pb2.EXECUTION_MODE_STRATEGY, execution_pb2.EXECUTION_STATE_SUCCEEDED
        )
        execution.data_content_hash = hashlib.sha256(series.SerializeToString(deterministic=True)).hexdigest()
        execution.backtest_config.CopyFrom(config)
        execution.backtest_result.CopyFrom(result)
        execution.create_time.FromDatetime(started)
        execution.start_time.FromDatetime(started)
        execution.end_time.FromDatetime(self._clock())
        return execution

    async def get_execution(
        self, caller: Caller, workflow_id: str, execution_id: str
    ) -> execution_pb2.Execution:
        name = f"workflows/{workflow_id}/executions/{execution_id}"
        found = (
            await self._executions.get(workflow_id, execution_id) if workflow_id and execution_id else None
        )
        if found is None:
            raise NotFound("execution", name)
        execution, ownership = found
        require_readable(caller, ownership, "execution", name)
        if execution.job_id and execution.state in _UNFINISHED:
            job = await self._trainer.get_job(execution.job_id)
            before = execution.state
            _follow_job(execution, job)
            if execution.state != before or execution.state == execution_pb2.EXECUTION_STATE_SUCCEEDED:
                await self._executions.update(execution)
        return execution

    async def list_executions(
        self, caller: Caller, *, workflow_id: str, page_size: int, page_token: str, mode: int, state: int
    ) -> Page[execution_pb2.Execution]:
        if workflow_id != "-":
            await self._workflows.get(caller, workflow_id)  # NOT_FOUND unless the caller may read it
        filters = {"workflow_id": workflow_id, "mode": mode, "state": state}
        page = page_request(page_size, page_token, filters)
        executions, last_key = await self._executions.list(
            workflow_id=None if workflow_id == "-" else workflow_id,
            visible_to_user=caller.user_id,
            visible_to_organization=caller.organization_id if caller.role is Role.ADMIN else "",
            mode=mode,
            state=state,
            page=page,
        )
        for execution in executions:
            if execution.HasField("backtest_result"):
                execution.backtest_result.ClearField("equity_curve")
                execution.backtest_result.ClearField("trades")
        return Page(executions, next_page_token(last_key, filters))

    def templates(
        self, difficulty: int, tag: str, page_size: int, page_token: str
    ) -> Page[template_pb2.Template]:
        chosen = [
            template
            for template in strategy.list_templates()
            if (not difficulty or template.difficulty == difficulty) and (not tag or tag in template.tags)
        ]
        filters = {"difficulty": difficulty, "tag": tag}
        page = page_request(page_size, page_token, filters, default=50)
        start = int(page.after[0]) if page.after else 0
        items = chosen[start : start + page.size]
        more = start + page.size < len(chosen)
        return Page(items, next_page_token((start + page.size,) if more else None, filters))

    async def clone_template(
        self, caller: Caller, template_id: str, display_name: str, request_id: str
    ) -> workflow_pb2.Workflow:
        template = strategy.get_template(template_id)
        workflow = workflow_pb2.Workflow(
            display_name=display_name or template.display_name,
            description=template.description,
            graph=template.graph,
        )
        return await self._workflows.create(caller, workflow, request_id, template_id=template.id)

    async def trace(
        self,
        caller: Caller,
        source: GraphSource,
        *,
        bars: bar_pb2.BarSeries | None,
        dataset_id: str = "",
        symbol: str = "",
        config: backtest_pb2.BacktestConfig,
        start_ns: int | None,
        max_bars: int,
        node_ids: tuple[str, ...],
    ) -> tuple[strategy.Trace, strategy_spec_pb2.StrategySpec]:
        resolved = await self.resolve(caller, source)
        spec = strategy.compile_graph(resolved.graph, workflow_id=resolved.workflow_id,
                                      workflow_version=resolved.version)  # fmt: skip
        domain_config = conversions.config_from_proto(config)
        if bars is not None:
            domain_bars = conversions.bars_from_proto(bars)
        else:
            domain_bars = await self._stored_trace_bars(spec, dataset_id, symbol, start_ns, max_bars)
        start_index = None
        if start_ns is not None:
            start_index = int((domain_bars.timestamps < start_ns).sum())
        # off the event loop: a long history (or the kernel's first compilation) must not stall other calls
        result = await asyncio.to_thread(
            strategy.trace,
            spec, domain_bars, domain_config, start_index=start_index, max_bars=max_bars, node_ids=node_ids,
        )  # fmt: skip
        return result, spec

    async def _stored_trace_bars(
        self,
        spec: strategy_spec_pb2.StrategySpec,
        dataset_id: str,
        symbol: str,
        start_ns: int | None,
        max_bars: int,
    ) -> Bars:
        """The bars of a stored dataset a trace needs, read from the trainer as the caller."""
        chosen = dataset_id or spec.data_source.dataset_id
        if not chosen:
            raise InvalidArgument(
                "say which bars to trace",
                [
                    FieldViolation(
                        "data", "send bars, a dataset_id, or choose a dataset in the dataSource node"
                    )
                ],
            )
        reads = reads_for_trace(start_ns, spec.warmup_bars, max_bars)  # checks max_bars before reading
        messages = await read_trace_bars(self._trainer, chosen, symbol, reads)
        return await asyncio.to_thread(conversions.bars_from_messages, messages, "dataset_id")


def _standard(
    spec: strategy_spec_pb2.StrategySpec,
    bars: Bars,
    domain_config: BacktestConfig,
    config: backtest_pb2.BacktestConfig,
) -> backtest_pb2.BacktestResult:
    monte_carlo = (conversions.monte_carlo_request(config)
                   if config.methodology == backtest_pb2.METHODOLOGY_MONTE_CARLO else None)  # fmt: skip
    run = run_strategy(
        spec,
        bars,
        domain_config,
        start_ns=_time_ns(config.start_time, config.HasField("start_time")),
        end_ns=_time_ns(config.end_time, config.HasField("end_time")),
        monte_carlo_request=monte_carlo,
    )
    return conversions.result_to_proto(
        run.result, run.bars, run.result.config, config, monte_carlo=run.monte_carlo
    )


_UNFINISHED = (execution_pb2.EXECUTION_STATE_QUEUED, execution_pb2.EXECUTION_STATE_RUNNING)

# a job's state is an execution's state of the same name
_STATE_OF_JOB = {
    training_service_pb2.JOB_STATE_QUEUED: execution_pb2.EXECUTION_STATE_QUEUED,
    training_service_pb2.JOB_STATE_RUNNING: execution_pb2.EXECUTION_STATE_RUNNING,
    training_service_pb2.JOB_STATE_SUCCEEDED: execution_pb2.EXECUTION_STATE_SUCCEEDED,
    training_service_pb2.JOB_STATE_FAILED: execution_pb2.EXECUTION_STATE_FAILED,
    training_service_pb2.JOB_STATE_CANCELLED: execution_pb2.EXECUTION_STATE_CANCELLED,
}


def _model_job(
    resolved: ResolvedGraph,
    bars: bar_pb2.BarSeries | None,
    dataset_id: str,
    config: backtest_pb2.BacktestConfig,
    model_config: execution_pb2.ModelModeConfig | None,
) -> training_service_pb2.Job:
    """The trainer job for a MODEL execution (the trainer fills in the compiled spec)."""
    problems = []
    if bars is not None:
        problems.append(FieldViolation("bars", "MODEL mode runs on a stored dataset: upload the bars first"))
    if model_config is None or model_config.WhichOneof("kind") is None:
        problems.append(FieldViolation("model_config", "choose optimization or training"))
    if problems:
        raise InvalidArgument("MODEL mode needs a dataset and a model_config", problems)
    assert model_config is not None
    # compiling here reports graph errors (naming node ids) before a job is queued
    spec = strategy.compile_graph(resolved.graph, workflow_id=resolved.workflow_id,
                                  workflow_version=resolved.version)  # fmt: skip
    chosen = dataset_id or spec.data_source.dataset_id
    if not chosen:
        raise InvalidArgument(
            "MODEL mode needs a dataset",
            [FieldViolation("dataset_id", "give a dataset_id or choose a dataset in the dataSource node")],
        )
    job = training_service_pb2.Job()
    if model_config.WhichOneof("kind") == "optimization":
        job.kind = training_service_pb2.JOB_KIND_OPTIMIZATION
        job.config.optimization.dataset_id = chosen
        job.config.optimization.backtest.CopyFrom(config)
        job.config.optimization.optimization.CopyFrom(model_config.optimization)
    else:
        job.kind = training_service_pb2.JOB_KIND_TRAINING
        job.config.training.dataset_id = chosen
        job.config.training.backtest.CopyFrom(config)
        job.config.training.training.CopyFrom(model_config.training)
    return job


def _job_dataset(job: training_service_pb2.Job) -> str:
    which = job.config.WhichOneof("config")
    return getattr(job.config, which).dataset_id if which else ""


def _follow_job(execution: execution_pb2.Execution, job: training_service_pb2.Job) -> None:
    """Copy a trainer job's state, timing, error and result into its MODEL execution."""
    execution.state = _STATE_OF_JOB.get(job.state, execution.state)
    if job.HasField("start_time"):
        execution.start_time.CopyFrom(job.start_time)
    if job.HasField("end_time"):
        execution.end_time.CopyFrom(job.end_time)
    if job.HasField("error"):
        execution.error.CopyFrom(job.error)
    which = job.result.WhichOneof("result")
    if which == "optimization":
        execution.optimization_result.CopyFrom(job.result.optimization)
    elif which == "training":
        execution.training_result.CopyFrom(job.result.training)
