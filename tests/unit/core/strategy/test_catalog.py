"""The node catalog: generated from the indicator registry, self-consistent, handed out as copies."""

from __future__ import annotations

import pytest

from alphintra.common.v1.parameter_pb2 import ParameterKind, ParameterValue
from alphintra.workflow.v1.node_catalog_pb2 import NodeCategory, PortDataType
from alphintra.workflow.v1.workflow_pb2 import Node
from services.core.indicators import REGISTRY
from services.core.strategy.catalog import NODE_TYPES, list_node_types, node_parameters, output_ports_of
from services.core.strategy.parameters import ValueProblem, check_bounds, check_value

NUMERIC = (ParameterKind.PARAMETER_KIND_NUMBER, ParameterKind.PARAMETER_KIND_INTEGER)


def test_the_catalog_has_the_six_node_types_with_their_categories():
    categories = {node_type.type: node_type.category for node_type in list_node_types()}
    assert categories == {
        "dataSource": NodeCategory.NODE_CATEGORY_DATA_SOURCE,
        "technicalIndicator": NodeCategory.NODE_CATEGORY_TECHNICAL_INDICATOR,
        "condition": NodeCategory.NODE_CATEGORY_CONDITION,
        "logic": NodeCategory.NODE_CATEGORY_LOGIC,
        "action": NodeCategory.NODE_CATEGORY_ACTION,
        "risk": NodeCategory.NODE_CATEGORY_RISK,
    }


def test_every_registry_indicator_is_a_choice_with_its_outputs():
    indicator = NODE_TYPES["technicalIndicator"]
    choices = {value.text for value in indicator.parameters[0].choices}
    assert indicator.parameters[0].name == "indicator"
    assert choices == {name.upper() for name in REGISTRY}
    for name, spec in REGISTRY.items():
        ports = indicator.outputs_by_choice[name.upper()].ports
        assert [port.name for port in ports] == list(spec.outputs)
        assert all(port.data_type == PortDataType.PORT_DATA_TYPE_NUMBER_SERIES for port in ports)


def test_every_indicator_parameter_is_in_the_union_with_bounds_covering_each_indicator():
    union = {parameter.name: parameter for parameter in NODE_TYPES["technicalIndicator"].parameters}
    for spec in REGISTRY.values():
        for parameter in spec.parameters:
            entry = union[parameter.name]
            if parameter.minimum is not None:
                assert entry.minimum <= parameter.minimum
            if parameter.maximum is not None:
                assert entry.maximum >= parameter.maximum
            assert spec.name.upper() in entry.description


def test_a_node_takes_the_parameters_and_outputs_of_the_indicator_it_chose():
    node = Node(id="m", type="technicalIndicator")
    node.parameters["indicator"].CopyFrom(ParameterValue(text="MACD"))
    assert set(node_parameters(node)) == {
        "indicator",
        "fast_period",
        "slow_period",
        "signal_period",
        "source",
    }
    assert list(output_ports_of(node)) == ["macd", "signal", "histogram"]
    assert node_parameters(node)["fast_period"].default_value.integer == 12
    node.parameters["indicator"].CopyFrom(ParameterValue(text="NOT_AN_INDICATOR"))
    assert node_parameters(node) is None
    assert output_ports_of(node) is None


def test_an_indicator_node_without_a_choice_is_the_default_sma():
    assert list(output_ports_of(Node(id="s", type="technicalIndicator"))) == ["value"]


@pytest.mark.parametrize("node_type", list(NODE_TYPES), ids=str)
def test_defaults_choices_and_suggested_ranges_fit_their_parameters(node_type):
    for parameter in NODE_TYPES[node_type].parameters:
        assert not isinstance(check_value(parameter, parameter.default_value), ValueProblem), parameter.name
        if parameter.kind in NUMERIC:
            assert parameter.optimizable, f"{parameter.name}: every numeric parameter may be optimised"
            search = parameter.suggested_range
            assert search.low <= search.high
            assert check_bounds(parameter, search.low) is None
            assert check_bounds(parameter, search.high) is None
        if parameter.kind == ParameterKind.PARAMETER_KIND_CHOICE and parameter.optimizable:
            assert list(parameter.suggested_range.choices) == list(parameter.choices)


def test_ports_are_typed_and_required_inputs_are_marked():
    inputs = {
        node_type.type: {port.name: port for port in node_type.inputs} for node_type in list_node_types()
    }
    assert inputs["technicalIndicator"]["bars"].data_type == PortDataType.PORT_DATA_TYPE_BARS
    assert inputs["condition"]["left"].required
    assert not inputs["condition"]["right"].required
    assert inputs["logic"]["inputs"].multiple
    assert inputs["action"]["signal"].data_type == PortDataType.PORT_DATA_TYPE_BOOLEAN_SERIES
    assert inputs["action"]["risk"].data_type == PortDataType.PORT_DATA_TYPE_RISK


def test_risk_amounts_are_in_percent():
    units = {parameter.name: parameter.unit for parameter in NODE_TYPES["risk"].parameters}
    assert units["stop_loss_percent"] == units["max_drawdown_halt_percent"] == "%"


def test_the_listed_types_are_copies():
    listed = list_node_types()
    listed[0].parameters[0].name = "changed"
    assert list_node_types()[0].parameters[0].name != "changed"
