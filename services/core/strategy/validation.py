"""Validate a workflow graph: every problem at once, each located at its node, edge, parameter or port.

    problems = validate_graph(graph)          # [] for a clean graph; errors first, then warnings
    require_valid(graph)                      # InvalidArgument naming e.g. nodes[rsi_1].parameters.period

Codes (stable, for machines): GRAPH_TOO_LARGE, INVALID_ID, DUPLICATE_NODE_ID, DUPLICATE_EDGE_ID,
UNKNOWN_NODE_TYPE, UNKNOWN_PARAMETER, PARAMETER_WRONG_KIND, PARAMETER_NOT_FINITE,
PARAMETER_OUT_OF_RANGE, INVALID_CHOICE, PARAMETER_REQUIRED, PARAMETER_CONSTRAINT,
INVALID_OPTIMIZATION_RANGE, LOOKAHEAD, DANGLING_EDGE, UNKNOWN_PORT, PORT_TYPE_MISMATCH,
REQUIRED_INPUT_MISSING, TOO_MANY_INPUTS, CYCLE, NO_DATA_SOURCE, MULTIPLE_DATA_SOURCES, NO_ACTION,
LOGIC_ARITY, CONFLICTING_ACTIONS, RISK_CONFLICT, SIZING_CONFLICT; warnings: UNUSED_NODE,
UNUSED_INPUT, DUPLICATE_EDGE, DUPLICATE_ACTION, NEVER_TRUE, REVERSE_WITHOUT_ENTRY.

Hostile input (huge graphs, absurd strings, NaN or infinite values) gives problems like any
other; the only exception that leaves this module is the domain's InvalidArgument from
`require_valid`.
"""

from __future__ import annotations

from alphintra.workflow.v1.validation_pb2 import ValidationProblem
from alphintra.workflow.v1.workflow_pb2 import WorkflowGraph
from services.core.strategy.catalog import NODE_TYPES
from services.core.strategy.graph import GraphIndex
from services.core.strategy.problems import WARNING, errors_of, ordered, problems_to_error, raise_for_errors
from services.core.strategy.validation_parameters import parameter_problems
from services.core.strategy.validation_semantics import semantic_errors, semantic_warnings
from services.core.strategy.validation_structure import (
    cycle_problems,
    edge_problems,
    identity_problems,
    input_problems,
    node_type_problems,
    size_problems,
)

__all__ = ["is_valid", "problems_to_error", "require_valid", "validate_graph"]


def validate_graph(graph: WorkflowGraph) -> list[ValidationProblem]:
    """Every problem of the graph, errors first."""
    too_large = size_problems(graph)
    if too_large:
        return too_large
    problems = [*identity_problems(graph), *node_type_problems(graph)]
    for node in graph.nodes:
        if node.type in NODE_TYPES:
            problems.extend(parameter_problems(node))
    index = GraphIndex.build(graph)
    problems.extend(edge_problems(graph, index))
    problems.extend(input_problems(index))
    problems.extend(cycle_problems(index))
    problems.extend(semantic_errors(index))
    if not errors_of(problems):
        # "probably a mistake" is only worth saying about a graph without real mistakes: a broken edge
        # would otherwise also read as an unused node
        problems.extend(semantic_warnings(index))
    return ordered(problems)


def is_valid(graph: WorkflowGraph) -> bool:
    return not errors_of(validate_graph(graph))


def require_valid(graph: WorkflowGraph) -> list[ValidationProblem]:
    """The graph's warnings; raises InvalidArgument (one violation per error) when it has errors."""
    problems = validate_graph(graph)
    raise_for_errors(problems)
    return [problem for problem in problems if problem.severity == WARNING]
