"""Risk nodes and action sizing → the strategy's one set of risk controls and one sizing.

The backtest engine, like a broker account, applies one stop-loss, one take-profit, one sizing
rule... to the whole strategy. Risk nodes therefore merge: each sets the controls it enables
(a non-zero percent), and two nodes enabling the same control with different values conflict.
A risk node defines the sizing only when one of its sizing parameters is set explicitly; an
entry action's own sizing (anything but `inherit`) overrides it, and all entry actions must end
up with the same sizing. Percent (what people type) becomes the spec's fractions here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from alphintra.strategy.v1.strategy_spec_pb2 import PositionSizing, RiskPerTrade, RiskSettings
from alphintra.workflow.v1.workflow_pb2 import Node
from services.core.strategy.parameters import PythonValue
from services.core.strategy.validation_parameters import effective_parameters

# (method, amounts...): a hashable, comparable form of a PositionSizing.
SizingKey = tuple[str | float | int, ...]
DEFAULT_SIZING: SizingKey = ("fraction_of_equity", 1.0)

# risk node parameter (percent) → RiskSettings field (fraction)
CONTROLS: Mapping[str, str] = {
    "stop_loss_percent": "stop_loss_fraction",
    "take_profit_percent": "take_profit_fraction",
    "trailing_stop_percent": "trailing_stop_fraction",
    "max_exposure_percent": "max_exposure_fraction",
    "max_drawdown_halt_percent": "max_drawdown_halt_fraction",
}
SIZING_PARAMETERS = ("sizing", "equity_percent", "quantity", "risk_percent", "atr_period", "atr_multiplier")


@dataclass(frozen=True, slots=True)
class RiskControls:
    fractions: dict[str, float] = field(default_factory=dict)  # RiskSettings field → fraction
    sizing: SizingKey | None = None
    node_ids: tuple[str, ...] = ()

    def settings(self) -> RiskSettings:
        settings = RiskSettings(node_ids=list(self.node_ids), **self.fractions)
        if self.sizing is not None:
            settings.position_sizing.CopyFrom(sizing_message(self.sizing))
        return settings


def risk_controls(nodes: list[Node]) -> tuple[RiskControls, list[tuple[str, str, str]]]:
    """The merged controls of `nodes`, and the conflicts as (node id, parameter, message)."""
    fractions: dict[str, float] = {}
    origin: dict[str, str] = {}
    sizing: SizingKey | None = None
    conflicts = []
    for node in nodes:
        values = effective_parameters(node) or {}
        for parameter, settings_field in CONTROLS.items():
            percent = float(values[parameter])
            if percent == 0:
                continue
            if settings_field in fractions and fractions[settings_field] != percent / 100:
                conflicts.append(
                    (node.id, parameter, f"{parameter} differs from {origin[settings_field]!r}'s")
                )
                continue
            fractions[settings_field] = percent / 100
            origin[settings_field] = node.id
        if any(name in node.parameters for name in SIZING_PARAMETERS):
            key = sizing_key(values, values["sizing"])
            if sizing is not None and key != sizing:
                conflicts.append((node.id, "sizing", "the sizing differs from another risk node's"))
            sizing = sizing or key
    return RiskControls(fractions, sizing, tuple(node.id for node in nodes)), conflicts


def sizing_key(values: Mapping[str, PythonValue], method: PythonValue) -> SizingKey:
    """The sizing a node's values describe (`method` being its sizing choice)."""
    if method == "fixed_quantity":
        return ("fixed_quantity", float(values["quantity"]))
    if method == "risk_per_trade":
        return (
            "risk_per_trade",
            float(values["risk_percent"]) / 100,
            int(values["atr_period"]),
            float(values["atr_multiplier"]),
        )
    return ("fraction_of_equity", float(values["equity_percent"]) / 100)


def entry_sizing_key(action_values: Mapping[str, PythonValue], risk_sizing: SizingKey | None) -> SizingKey:
    """How an entry action sizes: its own sizing, else the risk nodes', else all of equity."""
    method = action_values.get("sizing", "inherit")
    if method != "inherit":
        return sizing_key(action_values, method)
    return risk_sizing or DEFAULT_SIZING


def sizing_message(key: SizingKey) -> PositionSizing:
    method = key[0]
    if method == "fixed_quantity":
        return PositionSizing(fixed_quantity=float(key[1]))
    if method == "risk_per_trade":
        return PositionSizing(
            risk_per_trade=RiskPerTrade(
                risk_fraction=float(key[1]), atr_period=int(key[2]), atr_multiplier=float(key[3])
            )
        )
    return PositionSizing(fraction_of_equity=float(key[1]))
