"""Problems of meaning: what a well-formed graph can still get wrong as a strategy.

One data source; at least one action with a signal; AND/OR/NOT with the right number of inputs;
no two actions that always fight (opposite actions on the very same signal); risk nodes and
entry sizings that agree; and warnings for what is probably a mistake: nodes feeding no action,
inputs the chosen operator ignores, conditions that can never be true, a REVERSE with nothing to
reverse. Values are read through `effective_parameters`, so a bad value reported elsewhere falls
back to its default here instead of causing a second, confusing problem.
"""

from __future__ import annotations

from collections import defaultdict

from alphintra.workflow.v1.validation_pb2 import ValidationProblem
from alphintra.workflow.v1.workflow_pb2 import Node
from services.core.strategy.catalog import ACTION, CONDITION, DATA_SOURCE, LOGIC, RISK
from services.core.strategy.graph import GraphIndex
from services.core.strategy.problems import error, shown_id, warning
from services.core.strategy.risk_settings import entry_sizing_key, risk_controls
from services.core.strategy.validation_parameters import effective_parameters

# Pairs of actions that contradict each other when driven by the same signal.
_CONFLICTS = {
    frozenset(pair)
    for pair in (
        ("buy", "sell"),
        ("buy", "close"),
        ("buy", "reverse"),
        ("sell", "reverse"),
        ("close", "reverse"),
    )
}
_ENTRIES = ("buy", "sell", "reverse")
# Inputs of a condition each operator reads.
_READS = {"between": {"left", "lower", "upper"}, "rising": {"left"}, "falling": {"left"}}


def semantic_errors(index: GraphIndex) -> list[ValidationProblem]:
    nodes = list(index.nodes.values())
    return [
        *_data_source_problems(nodes),
        *_action_problems(index, nodes),
        *_logic_problems(index, nodes),
        *_conflict_problems(index, nodes),
        *_risk_problems(nodes),
    ]


def semantic_warnings(index: GraphIndex) -> list[ValidationProblem]:
    nodes = list(index.nodes.values())
    return [
        *_reverse_problems(nodes),
        *_unused_node_problems(index, nodes),
        *_unused_input_problems(index, nodes),
        *_never_true_problems(index, nodes),
    ]


def _of_type(nodes: list[Node], node_type: str) -> list[Node]:
    return [node for node in nodes if node.type == node_type]


def _values(node: Node) -> dict:
    return effective_parameters(node) or {}


def _data_source_problems(nodes: list[Node]) -> list[ValidationProblem]:
    sources = _of_type(nodes, DATA_SOURCE)
    if not sources:
        return [error("NO_DATA_SOURCE", "the graph needs a dataSource node")]
    return [
        error(
            "MULTIPLE_DATA_SOURCES",
            f"{shown_id(node.id)}: a strategy trades one instrument, from one source: "
            f"{shown_id(sources[0].id)}",
            node_id=node.id,
        )
        for node in sources[1:]
    ]


def _action_problems(index: GraphIndex, nodes: list[Node]) -> list[ValidationProblem]:
    actions = _of_type(nodes, ACTION)
    if not any(index.inputs_of(node.id, "signal") for node in actions):
        return [error("NO_ACTION", "no action node is connected to a signal: the strategy would never trade")]
    return []


def _reverse_problems(nodes: list[Node]) -> list[ValidationProblem]:
    chosen = {_values(node).get("action") for node in _of_type(nodes, ACTION)}
    if "reverse" in chosen and not chosen & {"buy", "sell"}:
        return [
            warning(
                "REVERSE_WITHOUT_ENTRY", "a reverse action only flips an earlier buy or sell; there is none"
            )
        ]
    return []


def _logic_problems(index: GraphIndex, nodes: list[Node]) -> list[ValidationProblem]:
    problems = []
    for node in _of_type(nodes, LOGIC):
        operator = _values(node).get("operator")
        count = len(index.inputs_of(node.id, "inputs"))
        wrong = (operator == "not" and count != 1) or (operator in ("and", "or") and count == 1)
        if wrong:
            needs = "exactly one input" if operator == "not" else "at least two inputs"
            message = f"{shown_id(node.id)}: {operator} needs {needs}, has {count}"
            problems.append(error("LOGIC_ARITY", message, node_id=node.id, port="inputs"))
    return problems


def _conflict_problems(index: GraphIndex, nodes: list[Node]) -> list[ValidationProblem]:
    """Actions on the same signal output: opposite ones always fight, equal ones repeat each other."""
    by_signal: dict[tuple[str, str], list[Node]] = defaultdict(list)
    for node in _of_type(nodes, ACTION):
        edge = index.single_input(node.id, "signal")
        if edge is not None:
            by_signal[(edge.source_node, edge.source_port)].append(node)
    problems = []
    for (source, _port), actions in by_signal.items():
        for position, first in enumerate(actions):
            for second in actions[position + 1 :]:
                problems.extend(_pair_problem(source, first, second))
    return problems


def _pair_problem(source: str, first: Node, second: Node) -> list[ValidationProblem]:
    actions = (_values(first).get("action"), _values(second).get("action"))
    pair = f"{shown_id(first.id)} ({actions[0]}) and {shown_id(second.id)} ({actions[1]})"
    if frozenset(actions) in _CONFLICTS:
        message = f"{pair} are driven by the same signal {shown_id(source)}: one always overrides the other"
        return [error("CONFLICTING_ACTIONS", message, node_id=second.id)]
    if actions[0] == actions[1]:
        return [warning("DUPLICATE_ACTION", f"{pair} do the same on the same signal", node_id=second.id)]
    return []


def _risk_problems(nodes: list[Node]) -> list[ValidationProblem]:
    """Risk nodes setting one control to different values; entry actions sized differently."""
    problems = []
    controls, conflicts = risk_controls(_of_type(nodes, RISK))
    problems.extend(
        error("RISK_CONFLICT", f"{shown_id(node_id)}: {message}", node_id=node_id, parameter=parameter)
        for node_id, parameter, message in conflicts
    )
    sizings = {}
    for node in _of_type(nodes, ACTION):
        values = _values(node)
        if values.get("action") in _ENTRIES:
            sizings.setdefault(entry_sizing_key(values, controls.sizing), node.id)
    if len(sizings) > 1:
        listed = ", ".join(shown_id(node_id) for node_id in sizings.values())
        message = f"entry actions {listed} size positions differently; one strategy has one sizing"
        problems.append(
            error("SIZING_CONFLICT", message, node_id=list(sizings.values())[1], parameter="sizing")
        )
    return problems


def _unused_node_problems(index: GraphIndex, nodes: list[Node]) -> list[ValidationProblem]:
    """Indicators, conditions and logic nodes whose output reaches no action."""
    used = index.ancestors([node.id for node in _of_type(nodes, ACTION)])
    return [
        warning("UNUSED_NODE", f"{shown_id(node.id)} feeds no action and is left out", node_id=node.id)
        for node in nodes
        if node.id not in used and node.type not in (DATA_SOURCE, RISK, ACTION)
    ]


def _unused_input_problems(index: GraphIndex, nodes: list[Node]) -> list[ValidationProblem]:
    problems = []
    for node in _of_type(nodes, CONDITION):
        operator = _values(node).get("operator")
        reads = _READS.get(operator, {"left", "right"})
        for port in ("right", "lower", "upper"):
            if port not in reads and index.inputs_of(node.id, port):
                message = f"{shown_id(node.id)}: the {operator} operator ignores input {port}"
                problems.append(warning("UNUSED_INPUT", message, node_id=node.id, port=port))
    return problems


def _never_true_problems(index: GraphIndex, nodes: list[Node]) -> list[ValidationProblem]:
    problems = []
    for node in _of_type(nodes, CONDITION):
        values = _values(node)
        operator = values.get("operator")
        left = index.single_input(node.id, "left")
        right = index.single_input(node.id, "right")
        same_operand = (
            left is not None
            and right is not None
            and (left.source_node, left.source_port) == (right.source_node, right.source_port)
            and values.get("left_offset") == values.get("right_offset")
        )
        constant_bounds = not index.inputs_of(node.id, "lower") and not index.inputs_of(node.id, "upper")
        if operator in (">", "<", "crosses_above", "crosses_below") and same_operand:
            reason = "compares a series with itself"
        elif operator == "between" and constant_bounds and values["lower_bound"] > values["upper_bound"]:
            reason = "has a lower bound above its upper bound"
        else:
            continue
        problems.append(
            warning("NEVER_TRUE", f"{shown_id(node.id)} {reason}: it can never be true", node_id=node.id)
        )
    return problems
