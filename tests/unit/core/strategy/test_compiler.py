"""The compiler: a valid graph → a deterministic StrategySpec; apply_parameters rewrites tunables."""

from __future__ import annotations

import hashlib
import random

import pytest

from alphintra.common.v1.parameter_pb2 import ParameterKind, ParameterRange, ParameterValue
from alphintra.strategy.v1.strategy_spec_pb2 import (
    ComparisonOperator,
    LogicOperator,
    PriceField,
    RuleAction,
    StrategySpec,
    TrendDirection,
)
from alphintra.workflow.v1.workflow_pb2 import Workflow, WorkflowGraph
from services.core.errors import InvalidArgument
from services.core.strategy.builder import GraphBuilder
from services.core.strategy.compiler import (
    apply_parameters,
    compile_graph,
    compile_with_warnings,
    compile_workflow,
    content_hash,
)
from tests.unit.core.strategy.graphs import sma_cross


def test_the_sma_crossover_compiles_to_its_spec():
    spec = compile_graph(sma_cross().build(), workflow_id="w1", workflow_version=3)
    assert (spec.spec_version, spec.workflow_id, spec.workflow_version) == ("1", "w1", 3)
    assert spec.data_source.node_id == "data"
    assert spec.data_source.symbol == "TEST"
    assert [node.node_id for node in spec.indicators] == ["fast", "slow"]
    fast = spec.indicators[0]
    assert fast.indicator == "SMA"
    assert fast.parameters["period"].integer == 3
    assert fast.parameters["source"].text == "close"
    assert fast.inputs["source"].price == PriceField.PRICE_FIELD_CLOSE
    assert list(fast.outputs) == ["value"]
    up = next(node for node in spec.conditions if node.node_id == "up").condition.comparison
    assert up.operator == ComparisonOperator.COMPARISON_OPERATOR_CROSSES_ABOVE
    assert (up.left.series.node_id, up.left.series.port) == ("fast", "value")
    assert [(rule.node_id, rule.condition_node_id, rule.action) for rule in spec.rules] == [
        ("buy", "up", RuleAction.RULE_ACTION_BUY),
        ("sell", "down", RuleAction.RULE_ACTION_SELL),
    ]
    assert spec.warmup_bars == 5  # SMA(5) is defined from bar 4; the cross reads the bar before
    assert compile_workflow(Workflow(id="w1", version=3, graph=sma_cross().build())) == spec


def test_the_content_hash_is_the_sha256_of_the_spec_without_it():
    spec = compile_graph(sma_cross().build())
    unhashed = StrategySpec()
    unhashed.CopyFrom(spec)
    unhashed.content_hash = ""
    assert spec.content_hash == hashlib.sha256(unhashed.SerializeToString(deterministic=True)).hexdigest()
    assert content_hash(spec) == spec.content_hash


def test_compilation_ignores_the_order_of_nodes_edges_and_parameters():
    graph = sma_cross(stop_loss_percent=2.0, take_profit_percent=4.0).build()
    expected = compile_graph(graph).SerializeToString(deterministic=True)
    shuffler = random.Random(7)
    for _ in range(5):
        shuffled = WorkflowGraph()
        nodes, edges = list(graph.nodes), list(graph.edges)
        shuffler.shuffle(nodes)
        shuffler.shuffle(edges)
        shuffled.nodes.extend(nodes)
        shuffled.edges.extend(edges)
        assert compile_graph(shuffled).SerializeToString(deterministic=True) == expected


def test_labels_and_positions_do_not_change_the_spec():
    graph = sma_cross().build()
    relabelled = WorkflowGraph()
    relabelled.CopyFrom(graph)
    for node in relabelled.nodes:
        node.label = "something else"
        node.position.x = 999.0
    assert compile_graph(relabelled).content_hash == compile_graph(graph).content_hash


def test_operands_offsets_constants_between_trend_and_logic():
    graph = (
        GraphBuilder()
        .node("data", "dataSource", price_field="typical")
        .node("rsi", "technicalIndicator", indicator="RSI", period=5)
        .node("low_rsi", "condition", operator="<", threshold=30.0, left_offset=1)
        .node("band", "condition", operator="between", lower_bound=40.0, upper_bound=60.0, exclusive=True)
        .node("up3", "condition", operator="rising", bars=3)
        .node("both", "logic", operator="and")
        .node("neither", "logic", operator="not")
        .node("buy", "action", action="buy")
        .node("close", "action", action="close", priority=1)
        .connect("data.bars", "rsi.bars")
        .connect("rsi.value", "low_rsi.left")
        .connect("rsi.value", "band.left")
        .connect("data.price", "up3.left")
        .connect("up3.result", "both.inputs")
        .connect("low_rsi.result", "both.inputs")
        .connect("band.result", "neither.inputs")
        .connect("both.result", "buy.signal")
        .connect("neither.result", "close.signal")
        .build()
    )
    spec = compile_graph(graph)
    conditions = {node.node_id: node.condition for node in spec.conditions}
    low = conditions["low_rsi"].comparison
    assert low.left.offset_bars == 1
    assert low.right.constant == 30.0
    band = conditions["band"].between
    assert (band.lower.constant, band.upper.constant, band.exclusive) == (40.0, 60.0, True)
    trend = conditions["up3"].trend
    assert (trend.direction, trend.bars, trend.value.price) == (
        TrendDirection.TREND_DIRECTION_RISING,
        3,
        PriceField.PRICE_FIELD_TYPICAL,
    )
    both = conditions["both"].logic
    assert both.operator == LogicOperator.LOGIC_OPERATOR_AND
    assert [operand.condition_node_id for operand in both.operands] == ["low_rsi", "up3"]
    assert [node.node_id for node in spec.conditions].index("both") > [
        node.node_id for node in spec.conditions
    ].index("up3")
    # RSI(5) defined from bar 5, read one bar back; a rise over 3 bars needs bar 3
    assert spec.warmup_bars == 6


def test_rules_come_by_priority_then_id():
    graph = (
        GraphBuilder()
        .node("data", "dataSource")
        .node("c1", "condition", operator=">", threshold=1.0)
        .node("c2", "condition", operator="<", threshold=1.0)
        .node("c3", "condition", operator=">", threshold=2.0)
        .node("z_buy", "action", action="buy", priority=0)
        .node("a_close", "action", action="close", priority=5)
        .node("m_sell", "action", action="sell", priority=0)
        .connect("data.close", "c1.left")
        .connect("data.close", "c2.left")
        .connect("data.close", "c3.left")
        .connect("c1.result", "z_buy.signal")
        .connect("c2.result", "a_close.signal")
        .connect("c3.result", "m_sell.signal")
        .build()
    )
    assert [(rule.node_id, rule.priority) for rule in compile_graph(graph).rules] == [
        ("m_sell", 0),
        ("z_buy", 0),
        ("a_close", 5),
    ]


def test_risk_nodes_merge_into_fractions_and_sizing():
    graph = (
        sma_cross(stop_loss_percent=2.0, trailing_stop_percent=5.0)
        .node(
            "risk2",
            "risk",
            take_profit_percent=8.0,
            max_drawdown_halt_percent=20.0,
            max_exposure_percent=50.0,
        )
        .node("sizing", "risk", sizing="risk_per_trade", risk_percent=1.0, atr_period=10, atr_multiplier=2.5)
        .build()
    )
    risk = compile_graph(graph).risk
    assert (risk.stop_loss_fraction, risk.take_profit_fraction, risk.trailing_stop_fraction) == (
        0.02,
        0.08,
        0.05,
    )
    assert (risk.max_exposure_fraction, risk.max_drawdown_halt_fraction) == (0.5, 0.2)
    assert risk.position_sizing.risk_per_trade.risk_fraction == 0.01
    assert risk.position_sizing.risk_per_trade.atr_period == 10
    assert risk.position_sizing.risk_per_trade.atr_multiplier == 2.5
    assert list(risk.node_ids) == ["risk", "risk2", "sizing"]


def test_an_action_sizing_goes_on_its_rule():
    graph = sma_cross().build()
    for node in graph.nodes:
        if node.type == "action":
            node.parameters["sizing"].CopyFrom(ParameterValue(text="fixed_quantity"))
            node.parameters["quantity"].CopyFrom(ParameterValue(number=3.0))
    assert [rule.sizing.fixed_quantity for rule in compile_graph(graph).rules] == [3.0, 3.0]


def test_risk_per_trade_sizing_waits_for_its_atr():
    graph = sma_cross(sizing="risk_per_trade", atr_period=30).build()
    assert compile_graph(graph).warmup_bars == 30


def test_tunable_parameters_come_from_optimisation_ranges():
    graph = (
        sma_cross(stop_loss_percent=2.0)
        .node("spare", "technicalIndicator", ranges={"period": ParameterRange(low=2, high=9, step=1)})
        .connect("data.bars", "spare.bars")
        .build()
    )
    for node in graph.nodes:
        if node.id == "fast":
            node.optimization_ranges["period"].CopyFrom(ParameterRange(low=2, high=10, step=1))
        if node.id == "risk":
            node.optimization_ranges["stop_loss_percent"].CopyFrom(ParameterRange(low=1.0, high=5.0))
    spec, warnings = compile_with_warnings(graph)
    assert [warning.code for warning in warnings] == ["UNUSED_NODE"]
    tunables = {tunable.name: tunable for tunable in spec.tunable_parameters}
    assert set(tunables) == {"fast.period", "risk.stop_loss_percent"}, "unused nodes are not compiled"
    period = tunables["fast.period"]
    assert (period.node_id, period.parameter, period.kind) == (
        "fast",
        "period",
        ParameterKind.PARAMETER_KIND_INTEGER,
    )
    assert period.current_value.integer == 3
    assert (period.range.low, period.range.high) == (2.0, 10.0)
    assert tunables["risk.stop_loss_percent"].current_value.number == 2.0


def test_a_risk_node_attached_to_an_action_is_tuned_once():
    graph = (
        sma_cross(stop_loss_percent=2.0)
        .connect("risk.risk", "buy.risk")
        .connect("risk.risk", "sell.risk")
        .build()
    )
    next(node for node in graph.nodes if node.id == "risk").optimization_ranges["stop_loss_percent"].CopyFrom(
        ParameterRange(low=1.0, high=4.0)
    )
    spec = compile_graph(graph)
    assert [tunable.name for tunable in spec.tunable_parameters] == ["risk.stop_loss_percent"]
    assert list(spec.risk.node_ids) == ["risk"]


def test_only_what_feeds_an_action_is_compiled():
    graph = (
        sma_cross()
        .node("spare", "technicalIndicator", indicator="EMA")
        .node("idle", "condition")
        .connect("data.bars", "spare.bars")
        .connect("spare.value", "idle.left")
        .build()
    )
    spec = compile_graph(graph)
    assert "spare" not in {node.node_id for node in spec.indicators}
    assert "idle" not in {node.node_id for node in spec.conditions}
    assert spec.content_hash == compile_graph(sma_cross().build()).content_hash


def test_an_invalid_graph_does_not_compile():
    graph = sma_cross().node("rsi_1", "technicalIndicator", indicator="RSI", period=0).build()
    with pytest.raises(InvalidArgument) as raised:
        compile_graph(graph)
    assert "nodes[rsi_1].parameters.period" in {violation.field for violation in raised.value.violations}


def test_apply_parameters_returns_a_tuned_copy():
    graph = sma_cross(stop_loss_percent=2.0).build()
    tuned = apply_parameters(graph, {"fast.period": 4.0, "slow.period": 8, "risk.stop_loss_percent": 3})
    values = {node.id: node.parameters for node in tuned.nodes}
    assert values["fast"]["period"] == ParameterValue(integer=4)
    assert values["slow"]["period"] == ParameterValue(integer=8)
    assert values["risk"]["stop_loss_percent"] == ParameterValue(number=3.0)
    assert next(node for node in graph.nodes if node.id == "fast").parameters["period"].integer == 3
    spec = compile_graph(tuned)
    assert spec.indicators[0].parameters["period"].integer == 4
    assert spec.risk.stop_loss_fraction == 0.03


def test_apply_parameters_accepts_messages_and_dotted_node_ids():
    graph = sma_cross().node("v1.2", "technicalIndicator").build()
    tuned = apply_parameters(graph, {"v1.2.period": ParameterValue(integer=7)})
    assert next(node for node in tuned.nodes if node.id == "v1.2").parameters["period"].integer == 7


def test_apply_parameters_refuses_unknown_paths_and_bad_values():
    with pytest.raises(InvalidArgument) as raised:
        apply_parameters(
            sma_cross().build(),
            {
                "ghost.period": 3,
                "fast.speed": 3,
                "fast.period": 2.5,
                "slow.period": "long",
                "up.threshold": float("nan"),
            },
        )
    fields = {violation.field for violation in raised.value.violations}
    assert fields == {"ghost.period", "fast.speed", "fast.period", "slow.period", "up.threshold"}
