"""Graphs, bars and hypothesis strategies shared by the strategy tests."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from alphintra.common.v1.parameter_pb2 import ParameterRange
from alphintra.workflow.v1.workflow_pb2 import WorkflowGraph
from services.core.backtest import Bars
from services.core.strategy.builder import GraphBuilder
from services.core.strategy.catalog import CONDITION_OPERATORS
from services.core.strategy.catalog_indicators import INDICATORS


def property_settings(examples: int) -> settings:
    """Hypothesis settings for properties that evaluate strategies: no deadline (the first example
    loads compiled kernels), generous data."""
    return settings(
        max_examples=examples,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )


# The data source outputs a condition may read.
PRICE_PORTS = ("price", "open", "high", "low", "close")


def sma_cross(**risk: float) -> GraphBuilder:
    """SMA(3)/SMA(5) crossover: buy on the cross up, sell on the cross down; optional risk node."""
    builder = (
        GraphBuilder()
        .node("data", "dataSource", symbol="TEST")
        .node("fast", "technicalIndicator", indicator="SMA", period=3)
        .node("slow", "technicalIndicator", indicator="SMA", period=5)
        .node("up", "condition", operator="crosses_above")
        .node("down", "condition", operator="crosses_below")
        .node("buy", "action", action="buy")
        .node("sell", "action", action="sell")
        .connect("data.bars", "fast.bars")
        .connect("data.bars", "slow.bars")
        .connect("fast.value", "up.left")
        .connect("slow.value", "up.right")
        .connect("fast.value", "down.left")
        .connect("slow.value", "down.right")
        .connect("up.result", "buy.signal")
        .connect("down.result", "sell.signal")
    )
    if risk:
        builder.node("risk", "risk", **risk)
    return builder


def threshold_graph(*actions: tuple[str, str, float, str, int]) -> WorkflowGraph:
    """Close compared with constants: each action is (node id, operator, threshold, action, priority)."""
    builder = GraphBuilder().node("data", "dataSource")
    for node_id, operator, threshold, action, priority in actions:
        builder.node(f"{node_id}_if", "condition", operator=operator, threshold=threshold)
        builder.node(node_id, "action", action=action, priority=priority)
        builder.connect("data.close", f"{node_id}_if.left").connect(
            f"{node_id}_if.result", f"{node_id}.signal"
        )
    return builder.build()


def bars_from_closes(closes: list[float], *, spread: float = 0.5) -> Bars:
    """Daily bars opening at the previous close, the range `spread` around open and close."""
    close = np.asarray(closes, dtype=np.float64)
    opened = np.concatenate([close[:1], close[:-1]])
    return Bars.from_arrays(
        open=opened,
        high=np.maximum(opened, close) + spread,
        low=np.minimum(opened, close) - spread,
        close=close,
        volume=np.full(close.shape[0], 1000.0),
        timestamps=pd.date_range("2024-01-01", periods=close.shape[0], freq="D").to_numpy(),
    )


def random_bars(size: int, seed: int) -> Bars:
    """A geometric random walk with valid OHLCV bars."""
    rng = np.random.default_rng(seed)
    close = 100.0 * np.exp(np.cumsum(rng.normal(0.0, 0.02, size)))
    opened = np.concatenate([close[:1], close[:-1] * np.exp(rng.normal(0.0, 0.005, size - 1))])
    high = np.maximum(opened, close) * np.exp(np.abs(rng.normal(0.0, 0.01, size)))
    low = np.minimum(opened, close) * np.exp(-np.abs(rng.normal(0.0, 0.01, size)))
    return Bars.from_arrays(
        open=opened,
        high=high,
        low=low,
        close=close,
        volume=rng.uniform(100.0, 10_000.0, size),
        timestamps=pd.date_range("2023-01-01", periods=size, freq="h").to_numpy(),
    )


@st.composite
def bars(draw: st.DrawFn, min_size: int = 30, max_size: int = 160) -> Bars:
    return random_bars(draw(st.integers(min_size, max_size)), draw(st.integers(0, 2**32 - 1)))


@st.composite
def indicator_parameters(draw: st.DrawFn, name: str) -> dict:
    """Valid, small parameters of one indicator (its cross-parameter rules respected)."""
    spec = INDICATORS[name]
    values: dict = {}
    for parameter in spec.parameters:
        if parameter.kind == "int":
            low = int(parameter.minimum or 1)
            values[parameter.name] = draw(st.integers(low, min(int(parameter.maximum or 50), low + 12)))
        elif parameter.kind == "float":
            low, high = float(parameter.minimum or 0.0), float(parameter.maximum or 10.0)
            values[parameter.name] = draw(st.floats(max(low, 0.01), min(high, 5.0)))
        else:
            values[parameter.name] = draw(st.sampled_from(("open", "high", "low", "close")))
    return spec.defaults() if spec.constraints(values) else values


@st.composite
def valid_graphs(draw: st.DrawFn) -> WorkflowGraph:
    """Random graphs that validate: indicators, conditions, logic and non-conflicting actions."""
    builder = GraphBuilder().node(
        "data", "dataSource", price_field=draw(st.sampled_from(("close", "typical")))
    )
    numeric = [f"data.{port}" for port in PRICE_PORTS]
    for number in range(draw(st.integers(1, 3))):
        name = draw(st.sampled_from(sorted(INDICATORS)))
        builder.node(f"ind{number}", "technicalIndicator", indicator=name, **draw(indicator_parameters(name)))
        builder.connect("data.bars", f"ind{number}.bars")
        numeric.extend(f"ind{number}.{output}" for output in INDICATORS[name].outputs)
    flags = [_random_condition(draw, builder, number, numeric) for number in range(draw(st.integers(1, 4)))]
    for number in range(draw(st.integers(0, 2))):
        if len(flags) >= 2:
            chosen = draw(st.lists(st.sampled_from(flags), min_size=2, max_size=3, unique=True))
            builder.node(f"logic{number}", "logic", operator=draw(st.sampled_from(("and", "or"))))
            for source in chosen:
                builder.connect(f"{source}.result", f"logic{number}.inputs")
            flags.append(f"logic{number}")
        elif flags:
            builder.node(f"logic{number}", "logic", operator="not").connect(
                f"{flags[0]}.result", f"logic{number}.inputs"
            )
            flags.append(f"logic{number}")
    signals = draw(st.lists(st.sampled_from(flags), min_size=1, max_size=3, unique=True))
    for number, source in enumerate(signals):
        action = draw(st.sampled_from(("buy", "sell", "close", "reverse")))
        builder.node(f"act{number}", "action", action=action, priority=draw(st.integers(0, 3)))
        builder.connect(f"{source}.result", f"act{number}.signal")
    if draw(st.booleans()):
        builder.node(
            "risk",
            "risk",
            stop_loss_percent=draw(st.sampled_from((0.0, 2.0, 5.0))),
            take_profit_percent=draw(st.sampled_from((0.0, 4.0, 10.0))),
            trailing_stop_percent=draw(st.sampled_from((0.0, 3.0))),
            ranges={"stop_loss_percent": ParameterRange(low=1.0, high=5.0)},
        )
        if draw(st.booleans()):
            builder.connect("risk.risk", "act0.risk")
    return builder.build()


def _random_condition(draw: st.DrawFn, builder: GraphBuilder, number: int, numeric: list[str]) -> str:
    node_id = f"cond{number}"
    operator = draw(st.sampled_from(CONDITION_OPERATORS))
    builder.node(
        node_id,
        "condition",
        operator=operator,
        threshold=draw(st.floats(-50.0, 150.0)),
        lower_bound=draw(st.floats(0.0, 50.0)),
        upper_bound=draw(st.floats(50.0, 150.0)),
        bars=draw(st.integers(1, 3)),
        left_offset=draw(st.integers(0, 3)),
        right_offset=draw(st.integers(0, 3)),
        ranges={"threshold": ParameterRange(low=-10.0, high=10.0)} if draw(st.booleans()) else {},
    )
    builder.connect(draw(st.sampled_from(numeric)), f"{node_id}.left")
    if operator in ("rising", "falling"):
        return node_id
    if operator == "between":
        if draw(st.booleans()):
            builder.connect(draw(st.sampled_from(numeric)), f"{node_id}.lower")
        return node_id
    if draw(st.booleans()):
        builder.connect(draw(st.sampled_from(numeric)), f"{node_id}.right")
    return node_id
