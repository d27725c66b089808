"""Properties over random graphs: valid ones compile, mangled ones never crash, JSON round-trips."""

from __future__ import annotations

import math
import time

import pytest
from google.protobuf import json_format
from hypothesis import given
from hypothesis import strategies as st

from alphintra.common.v1.parameter_pb2 import ParameterRange, ParameterValue
from alphintra.strategy.v1.strategy_spec_pb2 import StrategySpec
from alphintra.workflow.v1.workflow_pb2 import Edge, Node, WorkflowGraph
from services.core.errors import InvalidArgument
from services.core.strategy.catalog import NODE_TYPES
from services.core.strategy.compiler import compile_graph, content_hash
from services.core.strategy.problems import errors_of, problems_to_error
from services.core.strategy.validation import validate_graph
from tests.unit.core.strategy.graphs import property_settings, sma_cross, valid_graphs

ANY_TEXT = st.text(st.characters(codec="utf-8"), max_size=40) | st.sampled_from(
    ["", "x" * 5000, "\x00", "\u2028"]
)
NAMES = st.sampled_from(
    ["period", "operator", "threshold", "indicator", "action", "left_offset", "sizing", "source", "bars"]
)
VALUES = st.one_of(
    st.builds(ParameterValue, number=st.floats(allow_nan=True, allow_infinity=True)),
    st.builds(ParameterValue, integer=st.integers(-(2**63), 2**63 - 1)),
    st.builds(ParameterValue, text=ANY_TEXT),
    st.builds(ParameterValue, flag=st.booleans()),
    st.just(ParameterValue()),
)
RANGES = st.builds(
    ParameterRange,
    low=st.floats(allow_nan=True),
    high=st.floats(allow_nan=True),
    step=st.floats(allow_nan=True),
    log=st.booleans(),
    choices=st.lists(VALUES, max_size=2),
)


@property_settings(80)
@given(valid_graphs())
def test_random_valid_graphs_compile_deterministically(graph):
    assert errors_of(validate_graph(graph)) == []
    spec = compile_graph(graph)
    assert spec.content_hash == content_hash(spec)
    names = [tunable.name for tunable in spec.tunable_parameters]
    assert names == sorted(set(names))
    assert compile_graph(graph).SerializeToString(deterministic=True) == spec.SerializeToString(
        deterministic=True
    )
    reparsed = StrategySpec()
    reparsed.ParseFromString(spec.SerializeToString())
    assert reparsed == spec


@property_settings(80)
@given(valid_graphs())
def test_graphs_round_trip_through_json(graph):
    assert json_format.Parse(json_format.MessageToJson(graph), WorkflowGraph()) == graph
    assert json_format.ParseDict(json_format.MessageToDict(graph), WorkflowGraph()) == graph


def mutate(graph: WorkflowGraph, data: st.DataObject) -> None:
    """One random change of the kinds a buggy editor or an attacker could send."""
    ids = [node.id for node in graph.nodes] + ["ghost", ""]
    ports = ["bars", "value", "result", "left", "right", "signal", "inputs", "risk", "close", "nope"]
    choice = data.draw(st.integers(0, 9))
    node = graph.nodes[data.draw(st.integers(0, len(graph.nodes) - 1))] if graph.nodes else None
    if choice == 0 and graph.nodes:
        del graph.nodes[data.draw(st.integers(0, len(graph.nodes) - 1))]
    elif choice == 1 and graph.edges:
        del graph.edges[data.draw(st.integers(0, len(graph.edges) - 1))]
    elif choice == 2 and node is not None:
        node.type = data.draw(st.sampled_from([*NODE_TYPES, "", "wormhole"]))
    elif choice == 3 and node is not None:
        node.parameters[data.draw(NAMES | ANY_TEXT)].CopyFrom(data.draw(VALUES))
    elif choice == 4:
        graph.edges.append(
            Edge(
                id=data.draw(st.sampled_from(["e1", "new", ""]) | ANY_TEXT),
                source_node=data.draw(st.sampled_from(ids)),
                source_port=data.draw(st.sampled_from(ports)),
                target_node=data.draw(st.sampled_from(ids)),
                target_port=data.draw(st.sampled_from(ports)),
            )
        )
    elif choice == 5 and node is not None:
        copy = Node()
        copy.CopyFrom(node)
        graph.nodes.append(copy)
    elif choice == 6 and node is not None:
        node.optimization_ranges[data.draw(NAMES)].CopyFrom(data.draw(RANGES))
    elif choice == 7 and node is not None:
        node.id = data.draw(ANY_TEXT)
    elif choice == 8 and graph.edges:
        edge = graph.edges[data.draw(st.integers(0, len(graph.edges) - 1))]
        edge.target_node, edge.source_node = edge.source_node, edge.target_node
    elif choice == 9 and node is not None:
        node.position.x = data.draw(st.floats(allow_nan=True))


@property_settings(150)
@given(graph=valid_graphs(), data=st.data())
def test_mutated_graphs_never_crash_the_validator_or_compiler(graph, data):
    for _ in range(data.draw(st.integers(1, 4))):
        mutate(graph, data)
    problems = validate_graph(graph)
    for problem in problems:
        assert problem.code
        assert problem.message
    problems_to_error(problems)
    if errors_of(problems):
        with pytest.raises(InvalidArgument) as raised:
            compile_graph(graph)
        assert len(raised.value.violations) == len(errors_of(problems))
    else:
        assert compile_graph(graph).content_hash


def test_a_huge_graph_is_refused_quickly():
    graph = WorkflowGraph(nodes=[Node(id=f"n{index}", type="logic") for index in range(100_000)])
    started = time.monotonic()
    assert [problem.code for problem in validate_graph(graph)] == ["GRAPH_TOO_LARGE"]
    assert time.monotonic() - started < 1.0


def test_a_node_with_thousands_of_parameters_is_refused():
    graph = sma_cross().build()
    for index in range(1000):
        graph.nodes[1].parameters[f"p{index}"].CopyFrom(ParameterValue(number=math.nan))
    assert [problem.code for problem in validate_graph(graph)] == ["GRAPH_TOO_LARGE"]


def test_the_largest_allowed_graph_validates_in_reasonable_time():
    builder_graph = sma_cross().build()
    for index in range(480):
        builder_graph.nodes.append(Node(id=f"extra{index}", type="condition"))
        builder_graph.edges.append(
            Edge(
                id=f"x{index}",
                source_node="fast",
                source_port="value",
                target_node=f"extra{index}",
                target_port="left",
            )
        )
    started = time.monotonic()
    problems = validate_graph(builder_graph)
    assert time.monotonic() - started < 5.0
    assert {problem.code for problem in problems} == {"UNUSED_NODE"}
