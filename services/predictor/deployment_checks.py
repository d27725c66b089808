"""What makes a deployment request runnable, every problem named by its field path at once."""

from __future__ import annotations

from alphintra.common.v1 import bar_pb2
from alphintra.predictor.v1 import deployment_service_pb2 as messages
from services.core.errors import FieldViolation, InvalidArgument
from services.core.strategy.streaming import StreamingEvaluator

MAX_SYMBOLS = 100
MAX_MEMBERS = 16


def check_deployment(deployment: messages.Deployment) -> None:
    """Every reason the deployment cannot run, at once (INVALID_ARGUMENT)."""
    source = deployment.WhichOneof("source")
    violations = _symbol_violations(deployment) + _policy_violations(deployment)
    if source is None:
        violations.append(FieldViolation("deployment.source", "give a model, an ensemble or a strategy"))
    violations += _source_violations(deployment, source)
    if violations:
        raise InvalidArgument("invalid deployment", violations)
    if source == "strategy":
        StreamingEvaluator(deployment.strategy)  # the spec's own errors name its node ids


def _symbol_violations(deployment: messages.Deployment) -> list[FieldViolation]:
    violations = []
    symbols = list(deployment.symbols)
    if not symbols:
        violations.append(FieldViolation("deployment.symbols", "at least one symbol"))
    if len(symbols) > MAX_SYMBOLS or len(set(symbols)) != len(symbols):
        violations.append(FieldViolation("deployment.symbols", f"at most {MAX_SYMBOLS}, each once"))
    for index, symbol in enumerate(symbols):
        if not symbol.strip() or symbol != symbol.strip() or len(symbol) > 64:
            violations.append(
                FieldViolation(f"deployment.symbols[{index}]", "a symbol, at most 64 characters")
            )
    if (
        deployment.timeframe == bar_pb2.TIMEFRAME_UNSPECIFIED
        or deployment.timeframe not in bar_pb2.Timeframe.values()
    ):
        violations.append(FieldViolation("deployment.timeframe", "required"))
    return violations


def _policy_violations(deployment: messages.Deployment) -> list[FieldViolation]:
    violations = []
    if deployment.HasField("thresholds"):
        thresholds = deployment.thresholds
        if not thresholds.sell_threshold < thresholds.buy_threshold:
            violations.append(
                FieldViolation("deployment.thresholds.sell_threshold", "must be below buy_threshold")
            )
    risk = deployment.risk
    for name in ("quantity", "stop_loss_fraction", "take_profit_fraction"):
        if not getattr(risk, name) >= 0.0:
            violations.append(FieldViolation(f"deployment.risk.{name}", "must not be negative"))
    if risk.stop_loss_fraction >= 1.0:
        violations.append(FieldViolation("deployment.risk.stop_loss_fraction", "must be below 1"))
    if risk.cooldown_bars < 0:
        violations.append(FieldViolation("deployment.risk.cooldown_bars", "must not be negative"))
    if len(deployment.strategy_id) > 128:
        violations.append(FieldViolation("deployment.strategy_id", "at most 128 characters"))
    return violations


def _source_violations(deployment: messages.Deployment, source: str | None) -> list[FieldViolation]:
    violations = []
    if source == "model" and not deployment.model.model_name:
        violations.append(FieldViolation("deployment.model.model_name", "required"))
    if source == "ensemble":
        ensemble = deployment.ensemble
        if not ensemble.members or len(ensemble.members) > MAX_MEMBERS:
            violations.append(FieldViolation("deployment.ensemble.members", f"1 to {MAX_MEMBERS} members"))
        if ensemble.combiner == messages.COMBINER_UNSPECIFIED:
            violations.append(FieldViolation("deployment.ensemble.combiner", "required"))
        for index, member in enumerate(ensemble.members):
            if not member.model.model_name:
                violations.append(
                    FieldViolation(f"deployment.ensemble.members[{index}].model.model_name", "required")
                )
            if not member.weight > 0.0:
                violations.append(
                    FieldViolation(f"deployment.ensemble.members[{index}].weight", "must be positive")
                )
    return violations
