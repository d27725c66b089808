"""Which signals a subscription, a webhook or a history query wants.

Empty fields match everything; conditions are ANDed, values within a field ORed (the contract's
`SignalFilter`). Visibility is a separate, mandatory condition: a caller only ever sees the signals
they published, or, as an organisation admin, their organisation's.

A filter is checked once per signal per subscriber on the delivery path, so `matches` takes the
few fields it compares as plain values and does the cheapest test first.
"""

from __future__ import annotations

from dataclasses import dataclass

from alphintra.signalbus.v1 import signal_pb2
from services.core.errors import FieldViolation, InvalidArgument
from services.core.ownership import Caller, Role
from services.core.signals.validation import KNOWN_ACTIONS

MAX_FILTER_VALUES = 1000


@dataclass(frozen=True, slots=True)
class Audience:
    """Whose signals a caller may see: one owner, or (for an admin) one organisation."""

    owner_id: str
    organization_id: str  # '' unless the caller is an organisation admin

    @classmethod
    def of(cls, caller: Caller) -> Audience:
        admin = caller.role is Role.ADMIN and bool(caller.organization_id)
        return cls(owner_id=caller.user_id, organization_id=caller.organization_id if admin else "")

    def admits(self, owner_id: str, organization_id: str) -> bool:
        return owner_id == self.owner_id or (
            bool(self.organization_id) and organization_id == self.organization_id
        )


@dataclass(frozen=True, slots=True)
class SignalFilter:
    symbols: frozenset[str] = frozenset()
    strategy_ids: frozenset[str] = frozenset()
    actions: frozenset[int] = frozenset()
    min_confidence: float = 0.0

    @classmethod
    def from_proto(cls, message: signal_pb2.SignalFilter, prefix: str = "filter") -> SignalFilter:
        """The filter a request carries; InvalidArgument names what is wrong with it."""
        violations = []
        for name in ("symbols", "strategy_ids", "actions"):
            if len(getattr(message, name)) > MAX_FILTER_VALUES:
                violations.append(FieldViolation(f"{prefix}.{name}", f"at most {MAX_FILTER_VALUES} values"))
        unknown = [action for action in message.actions if action not in KNOWN_ACTIONS]
        if unknown:
            violations.append(FieldViolation(f"{prefix}.actions", f"unknown actions {sorted(set(unknown))}"))
        if not 0.0 <= message.min_confidence <= 1.0:
            violations.append(FieldViolation(f"{prefix}.min_confidence", "must be in [0, 1]"))
        if violations:
            raise InvalidArgument("the signal filter is malformed", violations)
        return cls(
            symbols=frozenset(message.symbols),
            strategy_ids=frozenset(message.strategy_ids),
            actions=frozenset(message.actions),
            min_confidence=message.min_confidence,
        )

    def to_proto(self) -> signal_pb2.SignalFilter:
        return signal_pb2.SignalFilter(
            symbols=sorted(self.symbols),
            strategy_ids=sorted(self.strategy_ids),
            actions=sorted(self.actions),
            min_confidence=self.min_confidence,
        )

    @property
    def matches_everything(self) -> bool:
        return not (self.symbols or self.strategy_ids or self.actions or self.min_confidence > 0.0)

    def matches(self, symbol: str, strategy_id: str, action: int, confidence: float) -> bool:
        return (
            (not self.symbols or symbol in self.symbols)
            and (not self.strategy_ids or strategy_id in self.strategy_ids)
            and (not self.actions or action in self.actions)
            and confidence >= self.min_confidence
        )

    def matches_signal(self, signal: signal_pb2.Signal) -> bool:
        return self.matches(signal.symbol, signal.strategy_id, signal.action, signal.confidence)
