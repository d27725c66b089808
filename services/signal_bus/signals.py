"""Signals on the log: what is stored for one, and what a bus process keeps after reading one.

A stored entry is the `Signal` as published (owner and missing timestamp filled in) plus the
publisher's organisation, which the signal itself does not carry but an admin's visibility
needs. Reading it back, the bus parses it once and keeps the few fields filters compare beside
the record bytes every subscriber's batch is joined from.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

from alphintra.signalbus.v1 import signal_pb2
from services.core.ownership import Caller
from services.core.signals.filters import Audience, SignalFilter
from services.signal_bus.log import KeyedEntry, LogRecord, OffsetKey
from services.signal_bus.wire import encode_record

SIGNALS_TOPIC = "signals"


class SignalEntry(NamedTuple):
    """Plain values only, no parsed `Signal`: the fanout window holds tens of thousands, and
    each parsed message is one more object every full collection walks (about 18 ms per 50,000
    here), a pause on the delivery path."""

    key: OffsetKey
    offset: str
    owner_id: str
    organization_id: str
    symbol: str
    strategy_id: str
    action: int
    confidence: float
    encoded: bytes  # this record inside a SubscribeResponse


def signal_decoder(offset_key: Callable[[str], OffsetKey]) -> Callable[[LogRecord], SignalEntry]:
    def decode(record: LogRecord) -> SignalEntry:
        signal = signal_pb2.Signal.FromString(record.body)
        return SignalEntry(
            key=offset_key(record.offset),
            offset=record.offset,
            owner_id=signal.owner_id,
            organization_id=record.organization_id,
            symbol=signal.symbol,
            strategy_id=signal.strategy_id,
            action=signal.action,
            confidence=signal.confidence,
            encoded=encode_record(record.offset, record.body),
        )

    return decode


def idempotency_key(owner_id: str, signal_id: str) -> str:
    """Signal ids are unique per owner; the length prefix keeps "a:b" + "c" apart from "a" + "b:c"."""
    return f"{len(owner_id)}:{owner_id}:{signal_id}"


def stored_entry(caller: Caller, signal: signal_pb2.Signal) -> KeyedEntry:
    return entry_maker(caller)(signal)


def entry_maker(caller: Caller) -> Callable[[signal_pb2.Signal], KeyedEntry]:
    """`stored_entry` for many signals of one caller: the key's owner part is built once."""
    owner_part = idempotency_key(caller.user_id, "")
    organization_id = caller.organization_id

    def entry(signal: signal_pb2.Signal) -> KeyedEntry:
        return KeyedEntry(owner_part + signal.signal_id, signal.SerializeToString(), organization_id)

    return entry


def acceptor(audience: Audience, signal_filter: SignalFilter) -> Callable[[SignalEntry], bool]:
    """The per-record test of one subscription, with the cheapest checks first."""
    owner, organization = audience.owner_id, audience.organization_id
    if signal_filter.matches_everything:
        if not organization:
            return lambda entry: entry.owner_id == owner
        return lambda entry: entry.owner_id == owner or entry.organization_id == organization
    matches = signal_filter.matches

    def accept(entry: SignalEntry) -> bool:
        visible = entry.owner_id == owner or (organization and entry.organization_id == organization)
        return bool(visible) and matches(entry.symbol, entry.strategy_id, entry.action, entry.confidence)

    return accept
