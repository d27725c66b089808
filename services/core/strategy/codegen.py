"""Generate a standalone, readable Python script equivalent to a StrategySpec.

    code = generate_code(spec, title=workflow.display_name, labels={node.id: node.label ...})

The script uses the platform's own packages (`services.core.indicators` to compute, and
`services.core.backtest` to simulate) and the verbatim functions of `signals.py`, so running it
on a CSV reproduces the spec's backtest exactly (a test runs it as a subprocess and compares
every trade and metric).

Nothing a user typed can become code. The script is built from the typed spec after
`check_spec`: indicator and parameter names are the registry's (and must match a strict
identifier pattern), numbers are finite literals, operators and price fields come from fixed
tables. Every name in the code is generated (`indicator_1`, `condition_2`, `rule_3`); node ids,
labels and the title appear only as `repr()` literals or as comments escaped the same way
(`code_literals.py`). The finished text is parsed before it is returned.
"""

from __future__ import annotations

import ast
from collections.abc import Mapping
from dataclasses import dataclass, field

from alphintra.strategy.v1.strategy_spec_pb2 import Condition, Operand, StrategySpec
from services.core.backtest import BacktestConfig, FixedQuantity, FractionOfEquity, RiskPerTrade
from services.core.errors import Internal
from services.core.strategy.catalog_indicators import INDICATORS
from services.core.strategy.code_literals import comment, identifier, literal
from services.core.strategy.codegen_script import HEADER, IMPORTS, MAIN, signal_functions
from services.core.strategy.engine_config import atr_period, engine_config
from services.core.strategy.evaluator import acting_order
from services.core.strategy.parameters import to_python
from services.core.strategy.spec_check import check_spec
from services.core.strategy.vocabulary import (
    ACTION_WORDS,
    COMPARISON_WORDS,
    LOGIC_WORDS,
    PRICE_WORDS,
    TREND_WORDS,
)

MAX_SHOWN_ID = 200


@dataclass
class _Names:
    """Generated names for the spec's node ids; the ids themselves stay data."""

    series: dict[str, str] = field(default_factory=dict)  # indicator node id → indicator_N
    conditions: dict[str, str] = field(default_factory=dict)  # condition node id → condition_N

    def node_ids(self) -> dict[str, str]:
        return {
            **{name: node_id for node_id, name in self.series.items()},
            **{name: node_id for node_id, name in self.conditions.items()},
        }


def generate_code(spec: StrategySpec, *, title: str = "", labels: Mapping[str, str] | None = None) -> str:
    """The script's text; InvalidArgument when the spec cannot be evaluated."""
    check_spec(spec)
    labels = labels or {}
    names = _Names()
    names.series = {node.node_id: f"indicator_{number}" for number, node in enumerate(spec.indicators, 1)}
    names.conditions = {node.node_id: f"condition_{number}" for number, node in enumerate(spec.conditions, 1)}
    parts = [
        HEADER,
        f"# Strategy: {comment(title)}\n" if title else "",
        f"# Spec content hash: {comment(spec.content_hash)}\n",
        IMPORTS,
        _constants(spec, names),
        "\n\n" + signal_functions(),
        _indicators(spec, names, labels),
        _conditions(spec, names, labels),
        _decisions(spec, names, labels),
        _config(spec),
        MAIN,
    ]
    code = "".join(parts)
    try:
        ast.parse(code)
    except SyntaxError as error:  # a bug of ours, never the user's input
        raise Internal(f"generated code does not parse: {error.msg}") from error
    return code


def _constants(spec: StrategySpec, names: _Names) -> str:
    lines = ["", f"WARMUP_BARS = {literal(int(spec.warmup_bars))}", ""]
    lines.append("# The spec's node ids by the names this script gives them (ids are data, never code).")
    lines.append("NODE_IDS = {")
    for name, node_id in names.node_ids().items():
        shown = node_id if len(node_id) <= MAX_SHOWN_ID else node_id[:MAX_SHOWN_ID] + "…"
        lines.append(f"    {literal(name)}: {literal(shown)},")
    lines.append("}")
    return "\n".join(lines) + "\n"


def _about(node_id: str, labels: Mapping[str, str]) -> str:
    label = labels.get(node_id, "")
    return f"node {comment(node_id)}" + (f", label {comment(label)}" if label else "")


def _indicators(spec: StrategySpec, names: _Names, labels: Mapping[str, str]) -> str:
    lines = [
        "",
        "",
        "def compute_indicators(prices):",
        '    """Every indicator output, by script name."""',
        "    series = {}",
    ]
    for node in spec.indicators:
        registry = INDICATORS[node.indicator]
        name = names.series[node.node_id]
        arguments = "".join(
            f", {identifier(key)}={literal(to_python(node.parameters[key]))}"
            for key in sorted(node.parameters)
        )
        lines.append(f"    # {name}: {comment(node.indicator)} ({_about(node.node_id, labels)})")
        lines.append(f"    outputs = compute({literal(registry.name)}, prices{arguments})")
        for port in registry.outputs:
            lines.append(f"    series[{literal(f'{name}.{port}')}] = outputs[{literal(port)}]")
    lines.append("    return series")
    return "\n".join(lines) + "\n"


def _conditions(spec: StrategySpec, names: _Names, labels: Mapping[str, str]) -> str:
    lines = [
        "",
        "",
        "def compute_conditions(prices, series):",
        '    """Every condition as (value, defined) per bar, in the spec\'s order."""',
        "    bar_count = prices['close'].shape[0]",
        "    conditions = {}",
    ]
    for node in spec.conditions:
        name = names.conditions[node.node_id]
        lines.append(f"    # {name} ({_about(node.node_id, labels)})")
        lines.append(f"    conditions[{literal(name)}] = {_condition(node.condition, names)}")
    lines.append("    return conditions")
    return "\n".join(lines) + "\n"


def _condition(condition: Condition, names: _Names) -> str:
    kind = condition.WhichOneof("kind")
    if kind == "comparison":
        item = condition.comparison
        operator = literal(COMPARISON_WORDS[item.operator])
        return f"compare({operator}, {_operand(item.left, names)}, {_operand(item.right, names)})"
    if kind == "between":
        item = condition.between
        operands = ", ".join(_operand(operand, names) for operand in (item.value, item.lower, item.upper))
        return f"between({operands}, {literal(bool(item.exclusive))})"
    if kind == "trend":
        item = condition.trend
        rising = TREND_WORDS[item.direction] == "rising"
        return f"trend({_operand(item.value, names)}, {literal(int(item.bars))}, {literal(rising)})"
    if kind == "logic":
        operands = ", ".join(_condition(operand, names) for operand in condition.logic.operands)
        return f"combine({literal(LOGIC_WORDS[condition.logic.operator])}, [{operands}])"
    return f"conditions[{literal(names.conditions[condition.condition_node_id])}]"


def _operand(operand: Operand, names: _Names) -> str:
    kind = operand.WhichOneof("value")
    if kind == "constant":
        return f"np.full(bar_count, {literal(float(operand.constant))})"
    if kind == "price":
        source = f"prices[{literal(PRICE_WORDS[operand.price])}]"
    else:
        key = f"{names.series[operand.series.node_id]}.{operand.series.port}"
        source = f"series[{literal(key)}]"
    return f"lagged({source}, {literal(int(operand.offset_bars))})" if operand.offset_bars else source


def _decisions(spec: StrategySpec, names: _Names, labels: Mapping[str, str]) -> str:
    rules = acting_order(spec)
    lines = [
        "",
        "",
        "def decide(prices, conditions):",
        '    """Per-bar intents: after the warm-up, the first triggered rule (by priority) acts."""',
        "    bar_count = prices['close'].shape[0]",
        "    after_warmup = np.arange(bar_count) >= WARMUP_BARS",
        "    # rules in priority order:",
    ]
    for number, rule in enumerate(rules, 1):
        about = _about(rule.node_id, labels)
        lines.append(
            f"    #   rule_{number}: {ACTION_WORDS[rule.action]} (priority {int(rule.priority)}; {about})"
        )
    actions = ", ".join(literal(ACTION_WORDS[rule.action]) for rule in rules)
    triggers = ", ".join(
        f"conditions[{literal(names.conditions[rule.condition_node_id])}][0] & after_warmup" for rule in rules
    )
    period = atr_period(spec)
    atr = f'compute("atr", prices, period={literal(int(period))})["value"]' if period else "None"
    lines += [
        f"    actions = [{actions}]",
        f"    triggers = [{triggers}]",
        "    _, enter_long, exit_long, enter_short, exit_short = resolve_rules(actions, triggers, bar_count)",
        "    return Intents(",
        "        enter_long=enter_long,",
        "        exit_long=exit_long,",
        "        enter_short=enter_short,",
        "        exit_short=exit_short,",
        f"        atr={atr},",
        "        warmup_bars=WARMUP_BARS,",
        "    )",
    ]
    return "\n".join(lines) + "\n"


def _config(spec: StrategySpec) -> str:
    """The engine config: costs from the command line, risk from the spec (as `engine_config`)."""
    config = engine_config(spec, BacktestConfig())
    lines = [
        "",
        "",
        "def backtest_config(arguments):",
        '    """Costs and account from the command line; stops, sizing and limits from the strategy."""',
        "    return BacktestConfig(",
        "        initial_cash=arguments.cash,",
        "        commission=arguments.commission,",
        "        slippage=arguments.slippage,",
        "        fill_timing=FillTiming(arguments.fill),",
        "        allow_short=arguments.allow_short,",
        "        quantity_step=arguments.quantity_step,",
        "        risk_free_rate=arguments.risk_free_rate,",
        f"        sizing={_sizing(config.sizing)},",
    ]
    for name in ("stop_loss", "take_profit", "trailing_stop", "max_exposure", "max_drawdown_halt"):
        value = getattr(config, name)
        lines.append(f"        {name}={'None' if value is None else literal(float(value))},")
    lines += [
        "        on_opposite_signal=OppositeSignal.REVERSE,",
        f"        close_at_end={literal(bool(config.close_at_end))},",
        "    )",
    ]
    return "\n".join(lines) + "\n"


def _sizing(sizing: FractionOfEquity | FixedQuantity | RiskPerTrade) -> str:
    if isinstance(sizing, FixedQuantity):
        return f"FixedQuantity({literal(float(sizing.quantity))})"
    if isinstance(sizing, RiskPerTrade):
        return (
            f"RiskPerTrade({literal(float(sizing.risk_fraction))}, {literal(float(sizing.atr_multiplier))})"
        )
    return f"FractionOfEquity({literal(float(sizing.fraction))})"
