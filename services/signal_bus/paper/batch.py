"""What one batch of log entries does to one account: pure, given the entries the consumer read.

Order of events. The consumer reads an account's bars first, then its signals, so every signal
acknowledged before a bar was published is in hand when that bar is. The two are then merged by
time: a signal (at its timestamp, the decision) goes before a bar opening at the same time or
later; bars of several symbols go in time order. So an order fills at the first bar of its
symbol that opens at or after the decision, as in a backtest, however the two topics' reads
interleave. A source whose read was cut at the batch size bounds the merge: nothing later than
its last entry is applied before the next batch has read further. So does a bar published while
the signals were read (`bars_since`, read again after them where a signal lies beyond the bars
read): a signal later than that bar waits for the next batch, which applies the bar first (a
signal decided on a bar's close is published after that bar, so the bars it must follow are in
the log by the time it is read). Likewise a signal that makes the account follow a new symbol
ends the batch: that symbol's bars are read by the next one.

A symbol's bar topic is followed from the first order the account keeps for it (from the
order's time, so a replay of old bars is followed from the right bar) until the next reset.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass, field

from alphintra.common.v1 import bar_pb2
from alphintra.signalbus.v1 import signal_pb2
from services.core.signals.paper import Order, OrderState, PaperBar, PaperBook
from services.core.signals.paper_signals import order_for, takes, timeframe_of
from services.core.signals.paper_state import book_from_data, book_to_data
from services.signal_bus.bars import bar_topic
from services.signal_bus.log import LogRecord
from services.signal_bus.paper.store import SIDE_OF_INTENT, BarCursor, OrderRecord, Progress, StoredAccount

NANOSECONDS_PER_MILLISECOND = 1_000_000


@dataclass(frozen=True, slots=True)
class BatchInput:
    signals: list[LogRecord]
    signals_complete: bool  # the read returned everything there was (fewer than asked for)
    bars: dict[str, list[LogRecord]]  # per followed symbol, in time order
    bars_incomplete: frozenset[str] = frozenset()  # symbols whose read was cut at the batch size
    # per symbol read again after the signals, the first bar after those in `bars`: it bounds the
    # batch (it was published while the signals were read) and is applied by the next one
    bars_since: dict[str, list[LogRecord]] = field(default_factory=dict)


@dataclass(slots=True)
class BatchResult:
    progress: Progress  # the cursors of newly followed symbols are still to be placed
    more: bool  # entries were left for another batch (cut reads, a symbol followed from now on)
    followed_from: dict[str, int]  # newly followed symbol -> ms: from its first bar at or after


@dataclass(frozen=True, slots=True, order=True)
class _Bar:
    time: int
    symbol: str
    offset: str = field(compare=False)
    bar: PaperBar = field(compare=False)


def order_id(account_id: str, epoch: int, signal_offset: str) -> str:
    """One id per (account, epoch, log entry): the entry applied twice would collide on it."""
    return hashlib.sha256(f"{account_id}\n{epoch}\n{signal_offset}".encode()).hexdigest()[:24]


def _decoded_bars(bars: dict[str, list[LogRecord]]) -> list[_Bar]:
    decoded = []
    for symbol, records in bars.items():
        for record in records:
            bar = bar_pb2.Bar.FromString(record.body)
            time = bar.time.ToNanoseconds()
            decoded.append(
                _Bar(
                    time,
                    symbol,
                    record.offset,
                    PaperBar(symbol, time, bar.open, bar.high, bar.low, bar.close),
                )
            )
    return sorted(decoded)


def _bar_time(record: LogRecord) -> int:
    return bar_pb2.Bar.FromString(record.body).time.ToNanoseconds()


def _limit(inputs: BatchInput, decoded: list[_Bar]) -> float:
    """The latest bar time this batch may apply: the end of the shortest cut read, or the first bar
    that arrived while the signals were read."""
    limit = math.inf
    for symbol in inputs.bars_incomplete:
        records = [bar.time for bar in decoded if bar.symbol == symbol]
        if records:
            limit = min(limit, records[-1])
    for records in inputs.bars_since.values():
        if records:
            limit = min(limit, _bar_time(records[0]))
    return limit


def symbols_to_read_again(
    signals: list[LogRecord], bars: dict[str, list[LogRecord]], cut: frozenset[str]
) -> list[str]:
    """The symbols whose bars published while the signals were read might come before one of them:
    those whose read was not cut (a cut read bounds the batch already) and ended before the latest
    signal read. A bar later than every signal cannot, as bars of a topic come in time order."""
    if not signals:
        return []
    latest = max(signal_pb2.Signal.FromString(record.body).timestamp.ToNanoseconds() for record in signals)
    return [
        symbol
        for symbol, records in bars.items()
        if symbol not in cut and (not records or _bar_time(records[-1]) < latest)
    ]


class _Batch:
    def __init__(self, account: StoredAccount) -> None:
        self.account = account
        self.book: PaperBook = book_from_data(account.config, account.book)
        self.loaded_pending: list[Order] = list(self.book.pending.values())
        self.cursors = dict(account.bar_cursors)
        self.signal_offset = account.signal_offset
        self.new_orders: list[OrderRecord] = []
        self.signals_applied = 0
        self.followed_from: dict[str, int] = {}

    def apply_signal(self, record: LogRecord, signal: signal_pb2.Signal) -> None:
        self.signal_offset = record.offset
        account = self.account
        owner = account.ownership.owner_id
        if not takes(signal, owner, account.strategy_ids, account.deployment_ids):
            return
        order = order_for(signal, order_id(account.id, account.reset_count, record.offset))
        if order is None:
            return
        self.signals_applied += 1
        timeframe = timeframe_of(signal, account.timeframe)
        if order.state is OrderState.PENDING and timeframe is None:
            order.state = OrderState.REFUSED
            order.refusal_reason = (
                f"unknown timeframe {signal.metadata['timeframe']!r} in the signal's metadata"
            )
        if order.state is OrderState.PENDING:
            self.book.submit(order)
        if order.state is OrderState.PENDING and order.symbol not in self.cursors:
            topic = bar_topic(order.symbol, timeframe or account.timeframe)
            self.cursors[order.symbol] = BarCursor(topic, "")
            self.followed_from[order.symbol] = order.create_time // NANOSECONDS_PER_MILLISECOND
        execution = signal.execution_params
        self.new_orders.append(
            OrderRecord(
                order=order,
                side=SIDE_OF_INTENT[order.intent],
                order_type=execution.order_type or signal_pb2.ORDER_TYPE_MARKET,
                time_in_force=execution.time_in_force or signal_pb2.TIME_IN_FORCE_GTC,
                limit_price=signal.price_target
                if execution.order_type == signal_pb2.ORDER_TYPE_LIMIT
                else 0.0,
                stop_price=signal.price_target
                if execution.order_type in (signal_pb2.ORDER_TYPE_STOP, signal_pb2.ORDER_TYPE_STOP_LIMIT)
                else 0.0,
            )
        )

    def apply_bar(self, bar: _Bar) -> None:
        self.book.on_bar(bar.bar)
        cursor = self.cursors[bar.symbol]
        self.cursors[bar.symbol] = BarCursor(cursor.topic, bar.offset)

    def progress(self) -> Progress:
        return Progress(
            book=book_to_data(self.book),
            signal_offset=self.signal_offset,
            bar_cursors=self.cursors,
            signals_applied=self.signals_applied,
            new_orders=self.new_orders,
            changed_orders=[order for order in self.loaded_pending if order.state is not OrderState.PENDING],
            fills=list(self.book.fills),
            equity=list(self.book.equity_curve),
        )


def apply_batch(account: StoredAccount, inputs: BatchInput) -> BatchResult:
    batch = _Batch(account)
    bars = _decoded_bars(inputs.bars)
    limit = _limit(inputs, bars)
    applicable = [bar for bar in bars if bar.time <= limit]
    signals = [(record, signal_pb2.Signal.FromString(record.body)) for record in inputs.signals]
    signal_index = bar_index = 0
    while True:
        signal = signals[signal_index] if signal_index < len(signals) else None
        bar = applicable[bar_index] if bar_index < len(applicable) else None
        signal_time = signal[1].timestamp.ToNanoseconds() if signal is not None else math.inf
        if signal is not None and signal_time <= limit and (bar is None or signal_time <= bar.time):
            batch.apply_signal(*signal)
            signal_index += 1
            if batch.followed_from:
                break  # a symbol followed from now on: its bars come before any later event
        elif bar is not None and (signal is not None or inputs.signals_complete):
            batch.apply_bar(bar)
            bar_index += 1
        else:
            break  # the next event may lie in what a cut read left for the next batch
    more = (
        not inputs.signals_complete
        or bool(inputs.bars_incomplete)
        or signal_index < len(signals)
        or bar_index < len(bars)
        or any(inputs.bars_since.values())
        or bool(batch.followed_from)
    )
    return BatchResult(batch.progress(), more, batch.followed_from)
