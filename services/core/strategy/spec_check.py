"""Check a StrategySpec before evaluating it: a spec may be hand-written or come from an old store.

The evaluator, the streaming evaluator and the code generator trust what passes here: a known
spec version, indicators of the registry with valid parameters, operands that name earlier series
and never read the future (negative offsets), conditions that reference earlier conditions, rules
on known conditions, risk fractions in range, one entry sizing, and a warm-up no shorter than the
one the spec itself implies (the runtime warm-up check). Every problem comes at once, as an
InvalidArgument whose fields name the spec path, e.g. `conditions[up].comparison.left`.
"""

from __future__ import annotations

import math

from alphintra.strategy.v1.strategy_spec_pb2 import (
    ComparisonOperator,
    Condition,
    IndicatorNode,
    LogicOperator,
    Operand,
    PositionSizing,
    PriceField,
    RuleAction,
    StrategySpec,
    TrendDirection,
)
from services.core.errors import FieldViolation, InvalidArgument
from services.core.indicators import validate_parameters
from services.core.strategy.catalog_indicators import INDICATORS
from services.core.strategy.parameters import to_python
from services.core.strategy.sizing import effective_sizing
from services.core.strategy.warmup import required_warmup

SUPPORTED_VERSIONS = ("1",)
MAX_SPEC_NODES = 2000
MAX_OFFSET_BARS = 100_000


def check_spec(spec: StrategySpec) -> None:
    """Raise InvalidArgument listing every reason the spec cannot be evaluated."""
    violations = _structure(spec)
    if not violations:
        violations = _warmup(spec)
    if violations:
        raise InvalidArgument("invalid strategy spec", violations)


def _structure(spec: StrategySpec) -> list[FieldViolation]:
    if spec.spec_version not in SUPPORTED_VERSIONS:
        return [FieldViolation("spec_version", f"unsupported version {spec.spec_version!r}; supported: 1")]
    if len(spec.indicators) + len(spec.conditions) + len(spec.rules) > MAX_SPEC_NODES:
        return [FieldViolation("spec", f"more than {MAX_SPEC_NODES} nodes")]
    series: dict[str, tuple[str, ...]] = {}
    violations = []
    for node in spec.indicators:
        violations.extend(_indicator(node, series))
    conditions: set[str] = set()
    for node in spec.conditions:
        where = f"conditions[{node.node_id}]"
        if node.node_id in conditions or node.node_id in series or not node.node_id:
            violations.append(FieldViolation(where, "node ids must be non-empty and unique"))
        violations.extend(_condition(node.condition, where, series, conditions))
        conditions.add(node.node_id)
    for position, rule in enumerate(spec.rules):
        where = f"rules[{rule.node_id or position}]"
        if rule.condition_node_id not in conditions:
            violations.append(FieldViolation(where, f"unknown condition {rule.condition_node_id!r}"))
        if rule.action == RuleAction.RULE_ACTION_UNSPECIFIED or rule.action not in RuleAction.values():
            violations.append(FieldViolation(f"{where}.action", "must be BUY, SELL, CLOSE or REVERSE"))
        violations.extend(_sizing(rule.sizing, f"{where}.sizing") if rule.HasField("sizing") else [])
    violations.extend(_risk(spec))
    return violations


def _indicator(node: IndicatorNode, series: dict[str, tuple[str, ...]]) -> list[FieldViolation]:
    where = f"indicators[{node.node_id}]"
    if not node.node_id or node.node_id in series:
        return [FieldViolation(where, "node ids must be non-empty and unique")]
    spec = INDICATORS.get(node.indicator)
    if spec is None:
        return [FieldViolation(f"{where}.indicator", f"unknown indicator {node.indicator[:40]!r}")]
    series[node.node_id] = spec.outputs
    try:
        validate_parameters(spec.name, {name: to_python(value) for name, value in node.parameters.items()})
    except InvalidArgument as error:
        return [
            FieldViolation(f"{where}.parameters.{item.field}", item.description) for item in error.violations
        ]
    if tuple(node.outputs) not in ((), spec.outputs):
        return [FieldViolation(f"{where}.outputs", f"{spec.name.upper()} outputs {', '.join(spec.outputs)}")]
    return []


def _condition(condition: Condition, where: str, series: dict, conditions: set[str]) -> list[FieldViolation]:
    kind = condition.WhichOneof("kind")
    if kind == "comparison":
        item = condition.comparison
        problems = _operands(
            series, (f"{where}.comparison.left", item.left), (f"{where}.comparison.right", item.right)
        )
        if item.operator not in ComparisonOperator.values() or item.operator == 0:
            problems.append(FieldViolation(f"{where}.comparison.operator", "must be set"))
        return problems
    if kind == "between":
        item = condition.between
        return _operands(
            series,
            (f"{where}.between.value", item.value),
            (f"{where}.between.lower", item.lower),
            (f"{where}.between.upper", item.upper),
        )
    if kind == "trend":
        item = condition.trend
        problems = _operands(series, (f"{where}.trend.value", item.value))
        if (
            item.direction not in TrendDirection.values()
            or item.direction == 0
            or not 1 <= item.bars <= 10_000
        ):
            problems.append(FieldViolation(f"{where}.trend", "needs a direction and 1 ≤ bars ≤ 10000"))
        return problems
    if kind == "logic":
        return _logic(condition, where, series, conditions)
    if kind == "condition_node_id" and condition.condition_node_id in conditions:
        return []
    return [FieldViolation(where, "must be a comparison, between, trend, logic or an earlier condition's id")]


def _logic(condition: Condition, where: str, series: dict, conditions: set[str]) -> list[FieldViolation]:
    logic = condition.logic
    count = len(logic.operands)
    arity_ok = count == 1 if logic.operator == LogicOperator.LOGIC_OPERATOR_NOT else count >= 2
    problems = []
    if logic.operator not in LogicOperator.values() or logic.operator == 0 or not arity_ok:
        problems.append(
            FieldViolation(f"{where}.logic", "AND / OR need two or more operands, NOT exactly one")
        )
    for position, operand in enumerate(logic.operands):
        problems.extend(_condition(operand, f"{where}.logic.operands[{position}]", series, conditions))
    return problems


def _operands(series: dict[str, tuple[str, ...]], *operands: tuple[str, Operand]) -> list[FieldViolation]:
    problems = []
    for where, operand in operands:
        problem = _operand_problem(operand, series)
        if problem:
            problems.append(FieldViolation(where, problem))
    return problems


def _operand_problem(operand: Operand, series: dict[str, tuple[str, ...]]) -> str:
    if operand.offset_bars < 0:
        return "LOOKAHEAD: a negative offset reads a future bar"
    if operand.offset_bars > MAX_OFFSET_BARS:
        return f"offset above {MAX_OFFSET_BARS} bars"
    return _source_problem(operand, series)


def _source_problem(operand: Operand, series: dict[str, tuple[str, ...]]) -> str:
    kind = operand.WhichOneof("value")
    if kind == "series":
        outputs = series.get(operand.series.node_id)
        if outputs is None or operand.series.port not in outputs:
            return f"no earlier indicator output {operand.series.node_id[:40]!r}.{operand.series.port[:40]!r}"
        return ""
    if kind == "price":
        valid = operand.price in PriceField.values() and operand.price != 0
        return "" if valid else "unknown price field"
    if kind == "constant":
        return "" if math.isfinite(operand.constant) else "constants must be finite"
    return "must be a series, a price field or a constant"


def _sizing(sizing: PositionSizing, where: str) -> list[FieldViolation]:
    method = sizing.WhichOneof("method")
    if method == "fraction_of_equity":
        good = 0 < sizing.fraction_of_equity <= 1
    elif method == "fixed_quantity":
        good = 0 < sizing.fixed_quantity < math.inf
    elif method == "risk_per_trade":
        risk = sizing.risk_per_trade
        good = (
            0 < risk.risk_fraction <= 1 and 1 <= risk.atr_period <= 500 and 0 < risk.atr_multiplier < math.inf
        )
    else:
        good = False
    return (
        [] if good else [FieldViolation(where, "fraction in (0, 1], quantity > 0, or a valid risk per trade")]
    )


def _risk(spec: StrategySpec) -> list[FieldViolation]:
    risk = spec.risk
    bounds = {
        "stop_loss_fraction": 1.0,
        "take_profit_fraction": math.inf,
        "trailing_stop_fraction": 1.0,
        "max_exposure_fraction": math.inf,
        "max_drawdown_halt_fraction": 1.0,
    }
    problems = [
        FieldViolation(f"risk.{name}", f"must be 0 (off) or in (0, {high:g})")
        for name, high in bounds.items()
        if not (getattr(risk, name) == 0 or 0 < getattr(risk, name) < high)
    ]
    if risk.HasField("position_sizing"):
        problems.extend(_sizing(risk.position_sizing, "risk.position_sizing"))
    return problems


def _warmup(spec: StrategySpec) -> list[FieldViolation]:
    try:
        effective_sizing(spec)
    except InvalidArgument as error:
        return list(error.violations)
    needed = required_warmup(spec)
    if spec.warmup_bars < needed:
        return [
            FieldViolation(
                "warmup_bars", f"is {spec.warmup_bars}; the indicators and conditions need {needed}"
            )
        ]
    return []
