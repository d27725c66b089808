"""Validation: every problem at once, located at its node, edge, parameter or port."""

from __future__ import annotations

import math

import pytest

from alphintra.common.v1.parameter_pb2 import ParameterRange, ParameterValue
from alphintra.workflow.v1.validation_pb2 import ProblemSeverity
from alphintra.workflow.v1.workflow_pb2 import Edge, Node, WorkflowGraph
from services.core.errors import InvalidArgument
from services.core.strategy.builder import GraphBuilder
from services.core.strategy.problems import problems_to_error
from services.core.strategy.validation import is_valid, require_valid, validate_graph
from tests.unit.core.strategy.graphs import sma_cross

ERROR = ProblemSeverity.PROBLEM_SEVERITY_ERROR
WARNING = ProblemSeverity.PROBLEM_SEVERITY_WARNING


def codes(graph: WorkflowGraph, severity: int | None = None) -> set[str]:
    return {
        problem.code for problem in validate_graph(graph) if severity is None or problem.severity == severity
    }


def problem(graph: WorkflowGraph, code: str):
    found = [item for item in validate_graph(graph) if item.code == code]
    assert found, f"no {code} in {[item.code for item in validate_graph(graph)]}"
    return found[0]


def test_a_clean_graph_has_no_problem():
    assert validate_graph(sma_cross().build()) == []
    assert is_valid(sma_cross().build())


def test_every_problem_is_reported_at_once_errors_first():
    graph = (
        sma_cross()
        .node("rsi", "technicalIndicator", indicator="RSI", period=1000, colour="red")
        .node("mystery", "wormhole")
        .connect("nowhere.value", "up.left", edge_id="e_dangling")
        .build()
    )
    problems = validate_graph(graph)
    assert {"PARAMETER_OUT_OF_RANGE", "UNKNOWN_PARAMETER", "UNKNOWN_NODE_TYPE", "DANGLING_EDGE"} <= {
        item.code for item in problems
    }
    severities = [item.severity for item in problems]
    assert severities == sorted(severities)


def test_parameter_problems_name_the_node_and_parameter():
    graph = sma_cross().node("rsi", "technicalIndicator", indicator="RSI", period=1000).build()
    found = problem(graph, "PARAMETER_OUT_OF_RANGE")
    assert (found.node_id, found.parameter) == ("rsi", "period")
    assert "between 2 and 500" in found.message


@pytest.mark.parametrize(
    ("value", "code"),
    [
        (ParameterValue(number=math.nan), "PARAMETER_NOT_FINITE"),
        (ParameterValue(number=math.inf), "PARAMETER_NOT_FINITE"),
        (ParameterValue(number=14.5), "PARAMETER_WRONG_KIND"),
        (ParameterValue(text="fourteen"), "PARAMETER_WRONG_KIND"),
        (ParameterValue(flag=True), "PARAMETER_WRONG_KIND"),
        (ParameterValue(), "PARAMETER_WRONG_KIND"),
        (ParameterValue(integer=2**62), "PARAMETER_OUT_OF_RANGE"),
    ],
    ids=["nan", "inf", "fraction", "text", "flag", "empty", "huge"],
)
def test_bad_values_of_an_integer_parameter(value, code):
    graph = sma_cross().build()
    graph.nodes[1].parameters["period"].CopyFrom(value)
    assert problem(graph, code).parameter == "period"


def test_an_integral_number_is_accepted_for_an_integer():
    graph = sma_cross().build()
    graph.nodes[1].parameters["period"].CopyFrom(ParameterValue(number=4.0))
    assert validate_graph(graph) == []


def test_choices_text_length_and_indicator_choice():
    graph = (
        sma_cross()
        .node("x", "technicalIndicator", indicator="FOURIER")
        .node("y", "technicalIndicator", indicator="SMA", source="vibes")
        .build()
    )
    graph.nodes[0].parameters["symbol"].CopyFrom(ParameterValue(text="A" * 10_000))
    found = {(item.code, item.node_id, item.parameter) for item in validate_graph(graph)}
    assert ("INVALID_CHOICE", "x", "indicator") in found
    assert ("INVALID_CHOICE", "y", "source") in found
    assert ("PARAMETER_OUT_OF_RANGE", "data", "symbol") in found


def test_a_parameter_of_another_indicator_is_unknown_for_this_one():
    graph = sma_cross().node("r", "technicalIndicator", indicator="RSI", fast_period=3).build()
    found = problem(graph, "UNKNOWN_PARAMETER")
    assert (found.node_id, found.parameter) == ("r", "fast_period")
    assert "period, source" in found.message


def test_indicator_constraints_spanning_parameters():
    graph = (
        sma_cross().node("m", "technicalIndicator", indicator="MACD", fast_period=30, slow_period=10).build()
    )
    assert problem(graph, "PARAMETER_CONSTRAINT").node_id == "m"


def test_a_live_source_needs_a_topic():
    graph = sma_cross().build()
    graph.nodes[0].parameters["source_kind"].CopyFrom(ParameterValue(text="live_topic"))
    assert problem(graph, "PARAMETER_REQUIRED").parameter == "topic"


def test_negative_offsets_read_the_future():
    graph = sma_cross().build()
    up = next(node for node in graph.nodes if node.id == "up")
    up.parameters["right_offset"].CopyFrom(ParameterValue(integer=-1))
    found = problem(graph, "LOOKAHEAD")
    assert (found.node_id, found.parameter) == ("up", "right_offset")
    assert "PARAMETER_OUT_OF_RANGE" not in codes(graph)


@pytest.mark.parametrize(
    ("search", "reason"),
    [
        (ParameterRange(low=10, high=5, step=1), "above high"),
        (ParameterRange(low=1, high=5, step=1), "between 2 and 500"),
        (ParameterRange(low=2.5, high=5, step=1), "whole"),
        (ParameterRange(low=math.nan, high=5), "finite"),
        (ParameterRange(low=2, high=50, step=1, log=True), "log scale"),
        (ParameterRange(choices=[ParameterValue(text="x")]), "choice 0"),
    ],
    ids=["inverted", "below-minimum", "fractional", "nan", "log-with-step", "wrong-choice"],
)
def test_optimisation_ranges_must_fit_their_parameter(search, reason):
    graph = sma_cross().build()
    graph.nodes[1].optimization_ranges["period"].CopyFrom(search)
    found = problem(graph, "INVALID_OPTIMIZATION_RANGE")
    assert (found.node_id, found.parameter) == ("fast", "period")
    assert reason in found.message


def test_ranges_on_unknown_or_non_numeric_parameters():
    graph = sma_cross().build()
    graph.nodes[1].optimization_ranges["speed"].CopyFrom(ParameterRange(low=1, high=2))
    graph.nodes[1].optimization_ranges["source"].CopyFrom(ParameterRange(low=1, high=2))
    messages = [item.message for item in validate_graph(graph) if item.code == "INVALID_OPTIMIZATION_RANGE"]
    assert any("no parameter" in message for message in messages)
    assert any("give its search space as choices" in message for message in messages)


def test_unknown_node_types():
    graph = sma_cross().node("odd", "blackBox").build()
    assert problem(graph, "UNKNOWN_NODE_TYPE").node_id == "odd"


def test_dangling_edges_unknown_ports_and_type_mismatches_name_the_edge():
    graph = (
        sma_cross()
        .connect("ghost.value", "up.left", edge_id="to_ghost")
        .connect("fast.signal", "down.left", edge_id="bad_port")
        .connect("data.bars", "buy.signal", edge_id="bars_as_signal")
        .build()
    )
    found = {item.code: item for item in validate_graph(graph)}
    assert found["DANGLING_EDGE"].edge_id == "to_ghost"
    assert found["UNKNOWN_PORT"].edge_id == "bad_port"
    assert "its outputs are value" in found["UNKNOWN_PORT"].message
    assert found["PORT_TYPE_MISMATCH"].edge_id == "bars_as_signal"
    assert "bars" in found["PORT_TYPE_MISMATCH"].message
    assert "boolean series" in found["PORT_TYPE_MISMATCH"].message


def test_required_inputs_and_single_inputs_fed_twice():
    graph = sma_cross().node("lonely", "condition").connect("fast.value", "up.right").build()
    found = {(item.code, item.node_id, item.port) for item in validate_graph(graph)}
    assert ("REQUIRED_INPUT_MISSING", "lonely", "left") in found
    assert ("TOO_MANY_INPUTS", "up", "right") in found


def test_cycles_are_found_and_named():
    graph = (
        GraphBuilder()
        .node("data", "dataSource")
        .node("a", "logic", operator="and")
        .node("b", "logic", operator="and")
        .node("c", "condition")
        .node("act", "action")
        .connect("data.close", "c.left")
        .connect("c.result", "a.inputs")
        .connect("b.result", "a.inputs")
        .connect("a.result", "b.inputs")
        .connect("c.result", "b.inputs")
        .connect("a.result", "act.signal")
        .build()
    )
    found = problem(graph, "CYCLE")
    assert "'a'" in found.message
    assert "'b'" in found.message
    assert "'c'" not in found.message


def test_a_self_loop_is_a_cycle():
    graph = (
        sma_cross()
        .node("loop", "logic", operator="not")
        .connect("loop.result", "loop.inputs")
        .connect("loop.result", "sell.risk")
        .build()
    )
    assert problem(graph, "CYCLE").node_id == "loop"


def test_duplicate_ids_and_bad_ids():
    graph = (
        sma_cross()
        .node("fast", "technicalIndicator")
        .connect("up.result", "buy.signal", edge_id="e1")
        .build()
    )
    graph.nodes.append(Node(id="", type="logic"))
    graph.nodes.append(Node(id="line\u2028break", type="logic"))
    graph.edges.append(
        Edge(id="x" * 500, source_node="fast", source_port="value", target_node="up", target_port="left")
    )
    found = {(item.code, item.node_id or item.edge_id) for item in validate_graph(graph)}
    assert ("DUPLICATE_NODE_ID", "fast") in found
    assert ("DUPLICATE_EDGE_ID", "e1") in found
    assert ("INVALID_ID", "") in found
    assert ("INVALID_ID", "line\u2028break") in found
    assert ("INVALID_ID", "x" * 500) in found


def test_a_graph_needs_one_data_source_and_an_action():
    assert {"NO_DATA_SOURCE", "NO_ACTION"} <= codes(WorkflowGraph())
    two_sources = sma_cross().node("data2", "dataSource").build()
    assert problem(two_sources, "MULTIPLE_DATA_SOURCES").node_id == "data2"


def test_an_action_without_a_signal_is_no_action():
    graph = GraphBuilder().node("data", "dataSource").node("buy", "action").build()
    assert {"REQUIRED_INPUT_MISSING", "NO_ACTION"} <= codes(graph)


def test_logic_arity():
    graph = (
        sma_cross()
        .node("both", "logic", operator="and")
        .node("neither", "logic", operator="not")
        .node("close_all", "action", action="close")
        .node("close_too", "action", action="close", priority=1)
        .connect("up.result", "both.inputs")
        .connect("up.result", "neither.inputs")
        .connect("down.result", "neither.inputs")
        .connect("both.result", "close_all.signal")
        .connect("neither.result", "close_too.signal")
        .build()
    )
    found = {item.node_id for item in validate_graph(graph) if item.code == "LOGIC_ARITY"}
    assert found == {"both", "neither"}


def test_opposite_actions_on_the_same_signal_conflict():
    graph = sma_cross().node("dump", "action", action="sell").connect("up.result", "dump.signal").build()
    found = problem(graph, "CONFLICTING_ACTIONS")
    assert found.node_id == "dump"
    assert "'buy' (buy) and 'dump' (sell)" in found.message


def test_the_same_action_twice_on_one_signal_is_a_warning():
    graph = sma_cross().node("again", "action", action="buy").connect("up.result", "again.signal").build()
    assert problem(graph, "DUPLICATE_ACTION").severity == WARNING
    assert is_valid(graph)


def test_risk_nodes_that_disagree_and_entries_sized_differently():
    graph = (
        sma_cross(stop_loss_percent=2.0)
        .node("risk2", "risk", stop_loss_percent=3.0, take_profit_percent=5.0)
        .build()
    )
    assert (problem(graph, "RISK_CONFLICT").node_id, problem(graph, "RISK_CONFLICT").parameter) == (
        "risk2",
        "stop_loss_percent",
    )
    sized = sma_cross().build()
    buy = next(node for node in sized.nodes if node.id == "buy")
    buy.parameters["sizing"].CopyFrom(ParameterValue(text="fixed_quantity"))
    assert problem(sized, "SIZING_CONFLICT").parameter == "sizing"


def test_warnings_for_unused_nodes_ignored_inputs_and_conditions_never_true():
    graph = (
        sma_cross()
        .node("spare", "technicalIndicator", indicator="EMA")
        .node("flat", "condition", operator="rising")
        .node("same", "condition", operator=">")
        .node("empty", "condition", operator="between", lower_bound=10.0, upper_bound=5.0)
        .node("a1", "action", action="close")
        .node("a2", "action", action="close", priority=2)
        .node("a3", "action", action="close", priority=3)
        .connect("data.bars", "spare.bars")
        .connect("data.close", "flat.left")
        .connect("data.open", "flat.right")
        .connect("fast.value", "same.left")
        .connect("fast.value", "same.right")
        .connect("data.close", "empty.left")
        .connect("flat.result", "a1.signal")
        .connect("same.result", "a2.signal")
        .connect("empty.result", "a3.signal")
        .build()
    )
    found = {(item.code, item.node_id) for item in validate_graph(graph) if item.severity == WARNING}
    assert ("UNUSED_NODE", "spare") in found
    assert ("UNUSED_INPUT", "flat") in found
    assert ("NEVER_TRUE", "same") in found
    assert ("NEVER_TRUE", "empty") in found
    assert is_valid(graph)


def test_a_reverse_with_nothing_to_reverse_is_a_warning():
    graph = threshold_only("reverse")
    assert problem(graph, "REVERSE_WITHOUT_ENTRY").severity == WARNING


def threshold_only(action: str) -> WorkflowGraph:
    return (
        GraphBuilder()
        .node("data", "dataSource")
        .node("high", "condition", operator=">", threshold=100.0)
        .node("act", "action", action=action)
        .connect("data.close", "high.left")
        .connect("high.result", "act.signal")
        .build()
    )


def test_errors_become_one_invalid_argument_with_a_violation_per_error():
    graph = (
        sma_cross()
        .node("rsi_1", "technicalIndicator", indicator="RSI", period=1)
        .connect("data.bars", "rsi_1.bars")
        .connect("ghost.value", "up.left", edge_id="e3x")
        .build()
    )
    graph.nodes[1].optimization_ranges["period"].CopyFrom(ParameterRange(low=9, high=1))
    error = problems_to_error(validate_graph(graph))
    fields = {violation.field for violation in error.violations}
    assert "nodes[rsi_1].parameters.period" in fields
    assert "nodes[fast].optimization_ranges.period" in fields
    assert "edges[e3x]" in fields
    with pytest.raises(InvalidArgument) as raised:
        require_valid(graph)
    assert {violation.field for violation in raised.value.violations} == fields


def test_input_problems_name_the_node_input():
    graph = sma_cross().node("lonely", "condition").build()
    fields = {violation.field for violation in problems_to_error(validate_graph(graph)).violations}
    assert fields == {"nodes[lonely].inputs.left"}


def test_graph_level_problems_name_the_graph():
    error = problems_to_error(validate_graph(WorkflowGraph()))
    assert {violation.field for violation in error.violations} == {"graph"}


def test_warnings_are_returned_not_raised():
    graph = sma_cross().node("spare", "technicalIndicator").connect("data.bars", "spare.bars").build()
    assert [item.code for item in require_valid(graph)] == ["UNUSED_NODE"]
    assert problems_to_error(validate_graph(graph)).violations == ()
