"""Compile a validated workflow graph to a `StrategySpec`, and rewrite a graph's tunable parameters.

    spec = compile_graph(graph, workflow_id="7f3c", workflow_version=4)
    tuned = apply_parameters(graph, {"rsi_1.period": 21, "risk_1.stop_loss_percent": 3.0})

Compilation is deterministic: the same graph gives the same spec, byte for byte, whatever the
order of its nodes, edges or map entries, so the content hash recognises identical strategies.
Only what feeds an action is compiled (validation warns about the rest); indicators and
conditions come in topological order with ties broken by node id, rules by (priority, node id).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping

from alphintra.common.v1.parameter_pb2 import ParameterValue
from alphintra.strategy.v1.strategy_spec_pb2 import DataSource, StrategySpec, TunableParameter
from alphintra.workflow.v1.validation_pb2 import ValidationProblem
from alphintra.workflow.v1.workflow_pb2 import Node, Workflow, WorkflowGraph
from services.core.errors import FieldViolation, InvalidArgument
from services.core.strategy.catalog import (
    ACTION,
    CONDITION,
    DATA_SOURCE,
    LOGIC,
    RISK,
    TECHNICAL_INDICATOR,
    node_parameters,
    parameter_value,
)
from services.core.strategy.compile_nodes import condition_node, indicator_node, logic_node, rule
from services.core.strategy.graph import GraphIndex
from services.core.strategy.parameters import PythonValue, ValueProblem, check_value, from_python
from services.core.strategy.problems import shown_id
from services.core.strategy.risk_settings import risk_controls
from services.core.strategy.validation import require_valid
from services.core.strategy.vocabulary import TIMEFRAME_ENUMS
from services.core.strategy.warmup import required_warmup

SPEC_VERSION = "1"


def compile_graph(graph: WorkflowGraph, *, workflow_id: str = "", workflow_version: int = 0) -> StrategySpec:
    """The spec of a valid graph; InvalidArgument naming every error otherwise."""
    return compile_with_warnings(graph, workflow_id=workflow_id, workflow_version=workflow_version)[0]


def compile_workflow(workflow: Workflow) -> StrategySpec:
    return compile_graph(workflow.graph, workflow_id=workflow.id, workflow_version=workflow.version)


def compile_with_warnings(
    graph: WorkflowGraph, *, workflow_id: str = "", workflow_version: int = 0
) -> tuple[StrategySpec, list[ValidationProblem]]:
    """The spec and the graph's warnings (what CompileWorkflow returns)."""
    warnings = require_valid(graph)
    index = GraphIndex.build(graph)
    actions = sorted(
        (node for node in index.nodes.values() if node.type == ACTION),
        key=lambda node: (int(parameter_value(node, "priority")), node.id),
    )
    used = index.ancestors([node.id for node in actions])
    order = [index.nodes[node_id] for node_id in index.topological_order() if node_id in used]
    spec = StrategySpec(spec_version=SPEC_VERSION, workflow_id=workflow_id, workflow_version=workflow_version)
    spec.data_source.CopyFrom(_data_source(next(node for node in order if node.type == DATA_SOURCE)))
    for node in order:
        if node.type == TECHNICAL_INDICATOR:
            spec.indicators.append(indicator_node(node))
        elif node.type == CONDITION:
            spec.conditions.append(condition_node(node, index))
        elif node.type == LOGIC:
            spec.conditions.append(logic_node(node, index))
    spec.rules.extend(rule(node, index) for node in actions)
    risk_nodes = sorted(
        (node for node in index.nodes.values() if node.type == RISK), key=lambda node: node.id
    )
    spec.risk.CopyFrom(risk_controls(risk_nodes)[0].settings())
    compiled = [node for node in order if node.type != RISK]  # risk nodes apply whether connected or not
    spec.tunable_parameters.extend(_tunables([*compiled, *risk_nodes]))
    spec.warmup_bars = required_warmup(spec)
    spec.content_hash = content_hash(spec)
    return spec, warnings


def content_hash(spec: StrategySpec) -> str:
    """SHA-256 (hex) of the spec's deterministic encoding with content_hash empty."""
    unhashed = StrategySpec()
    unhashed.CopyFrom(spec)
    unhashed.content_hash = ""
    return hashlib.sha256(unhashed.SerializeToString(deterministic=True)).hexdigest()


def apply_parameters(
    graph: WorkflowGraph, values: Mapping[str, ParameterValue | PythonValue]
) -> WorkflowGraph:
    """A copy of `graph` with parameters set by tunable name ("node_id.parameter"); the graph is unchanged.

    Values are converted to the parameter's kind (an integral 21.0 for an INTEGER period becomes 21);
    unknown names and values of the wrong kind or out of range raise InvalidArgument.
    """
    tuned = WorkflowGraph()
    tuned.CopyFrom(graph)
    nodes: dict[str, Node] = {}
    for node in tuned.nodes:
        nodes.setdefault(node.id, node)
    violations = []
    for path in sorted(values):
        node_id, _, name = path.rpartition(".")
        node = nodes.get(node_id)
        allowed = (node_parameters(node) or {}) if node is not None else {}
        if name not in allowed:
            violations.append(
                FieldViolation(path, f"no node {shown_id(node_id)} with a parameter {shown_id(name)}")
            )
            continue
        given = values[path]
        checked = check_value(
            allowed[name], given if isinstance(given, ParameterValue) else from_python(given)
        )
        if isinstance(checked, ValueProblem):
            violations.append(FieldViolation(path, f"{checked.code}: {name} {checked.message}"))
            continue
        node.parameters[name].CopyFrom(from_python(checked))
    if violations:
        raise InvalidArgument("invalid parameter values", violations)
    return tuned


def _data_source(node: Node) -> DataSource:
    return DataSource(
        node_id=node.id,
        symbol=str(parameter_value(node, "symbol")),
        timeframe=TIMEFRAME_ENUMS[parameter_value(node, "timeframe")],
        dataset_id=str(parameter_value(node, "dataset_id")),
    )


def _tunables(nodes: list[Node]) -> list[TunableParameter]:
    tunables = []
    for node in nodes:
        allowed = node_parameters(node) or {}
        for name, search in node.optimization_ranges.items():
            tunables.append(
                TunableParameter(
                    name=f"{node.id}.{name}",
                    node_id=node.id,
                    parameter=name,
                    kind=allowed[name].kind,
                    current_value=from_python(parameter_value(node, name)),
                    range=search,
                )
            )
    return sorted(tunables, key=lambda tunable: tunable.name)
