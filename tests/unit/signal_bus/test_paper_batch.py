"""The paper consumer's batches: however the reads are cut and interleaved with publishing, an
account ends as the backtest of the whole stream.

The stream is the parity scenario's (bars, each followed by the signal its close decided). Here
the "log" is two lists of records in publication order and the consumer's loop is replayed by
hand: publish some entries, run some batches of at most `batch_max` entries per source (bars
first, then signals, then the one-entry reads again, as the consumer reads, with entries published
between the first two reads), carry the book and the cursors from batch to batch as the store does.
"""

import dataclasses
import json
import math

import numpy as np
from hypothesis import example, given, settings
from hypothesis import strategies as st

from alphintra.common.v1 import bar_pb2
from alphintra.signalbus.v1 import signal_pb2
from services.core.backtest import BacktestConfig, run_backtest
from services.core.ownership import Ownership
from services.core.signals.paper import AccountConfig, OrderIntent
from services.signal_bus.log import LogRecord
from services.signal_bus.paper.batch import BatchInput, apply_batch, symbols_to_read_again
from services.signal_bus.paper.store import BarCursor, StoredAccount
from tests.unit.core.signals.test_paper_parity import _bars, _intents, _signals

ACTIONS = {
    OrderIntent.BUY: signal_pb2.ACTION_BUY,
    OrderIntent.SELL: signal_pb2.ACTION_SELL,
    OrderIntent.CLOSE: signal_pb2.ACTION_CLOSE,
}


def _offset_key(offset: str) -> tuple[int, int]:
    milliseconds, _, sequence = offset.partition("-")
    return int(milliseconds), int(sequence)


def _stream(seed: int, count: int) -> tuple[list[tuple[str, LogRecord]], object]:
    """(topic, record) in publication order, and the backtest of the same bars and intents."""
    bars = _bars(seed, count)
    decided = _signals(seed, bars)
    by_bar = {index: (intent, stop, target) for index, intent, stop, target in decided}
    published = []
    for index in range(count):
        time_ns = int(bars.timestamps[index])
        bar = bar_pb2.Bar(symbol="X", timeframe=bar_pb2.TIMEFRAME_1_HOUR, open=bars.open[index],
                          high=bars.high[index], low=bars.low[index], close=bars.close[index])  # fmt: skip
        bar.time.FromNanoseconds(time_ns)
        published.append(("bars", LogRecord(f"{time_ns // 10**6}-0", bar.SerializeToString())))
        if index in by_bar:
            intent, stop, target = by_bar[index]
            signal = signal_pb2.Signal(
                signal_id=f"s{index}", strategy_id="st", symbol="X", action=ACTIONS[intent],
                owner_id="alice", stop_loss=0.0 if math.isnan(stop) else stop,
                take_profit=0.0 if math.isnan(target) else target,
            )  # fmt: skip
            signal.timestamp.FromNanoseconds(int(bars.timestamps[index + 1]))
            published.append(
                ("signals", LogRecord(f"{10**13 + len(published)}-0", signal.SerializeToString()))
            )
    config = BacktestConfig(initial_cash=10_000, commission=0.001, slippage=0.0005, allow_short=True,
                            quantity_step=0.0, close_at_end=False)  # fmt: skip
    return published, run_backtest(bars, _intents(bars, decided), config)


def _after(records: list[LogRecord], offset: str, count: int) -> list[LogRecord]:
    return [record for record in records if _offset_key(record.offset) > _offset_key(offset)][:count]


def _batch(account: StoredAccount, log: dict[str, list[LogRecord]], batch_max: int, meanwhile=lambda: None):
    bars = {
        symbol: _after(log["bars"], cursor.offset, batch_max)
        for symbol, cursor in account.bar_cursors.items()
    }
    meanwhile()  # entries published between the two reads
    signals = _after(log["signals"], account.signal_offset, batch_max)
    cut = frozenset(symbol for symbol, records in bars.items() if len(records) >= batch_max)
    since = {
        symbol: _after(log["bars"], bars[symbol][-1].offset if bars[symbol] else cursor.offset, 1)
        for symbol, cursor in account.bar_cursors.items()
        if symbol in symbols_to_read_again(signals, bars, cut)
    }
    complete = len(signals) < batch_max
    inputs = BatchInput(signals, complete, bars, bars_incomplete=cut, bars_since=since)
    result = apply_batch(account, inputs)
    cursors = dict(result.progress.bar_cursors)
    for symbol, time_ms in result.followed_from.items():
        cursors[symbol] = BarCursor(cursors[symbol].topic, f"{time_ms - 1}-{2**64 - 1}")
    stored = dataclasses.replace(
        account,
        book=json.loads(json.dumps(result.progress.book)),
        signal_offset=result.progress.signal_offset,
        bar_cursors=cursors,
    )
    return stored, result


@settings(max_examples=20, deadline=None)
@example(seed=343, batch_max=1, publish_steps=[16], batches_per_step=2, between_reads=4)
@given(
    seed=st.integers(0, 1_000),
    batch_max=st.integers(1, 6),
    publish_steps=st.lists(st.integers(1, 25), min_size=1, max_size=40),
    batches_per_step=st.integers(0, 3),
    between_reads=st.integers(0, 4),
)
def test_an_account_consumed_in_any_batches_ends_as_the_backtest(
    seed, batch_max, publish_steps, batches_per_step, between_reads
):
    published, backtest = _stream(seed, 60)
    account = StoredAccount(
        id="a", ownership=Ownership("alice"), display_name="", strategy_ids=("st",), deployment_ids=(),
        config=AccountConfig(initial_cash=10_000, commission=0.001, slippage=0.0005, allow_short=True),
        timeframe=bar_pb2.TIMEFRAME_1_HOUR, reset_count=0, book=None, log_namespace="t", signal_offset="0-0",
    )  # fmt: skip
    log: dict[str, list[LogRecord]] = {"bars": [], "signals": []}
    equity: list[float] = []
    position = 0
    steps = iter(publish_steps)

    def publish(count: int) -> None:
        nonlocal position
        for topic, record in published[position : position + count]:
            log[topic].append(record)
        position += count

    while position < len(published):
        publish(next(steps, len(published)))
        for _ in range(batches_per_step):
            account, result = _batch(account, log, batch_max, lambda: publish(between_reads))
            equity += [point.equity for point in result.progress.equity]
    for _ in range(10_000):  # everything is published: until the account has caught up
        account, result = _batch(account, log, batch_max)
        equity += [point.equity for point in result.progress.equity]
        if not result.more:
            break
    first_order_bar = min(int(s.signal_id[1:]) for s in map(signal_pb2.Signal.FromString,
                                                          (r.body for r in log["signals"])))  # fmt: skip
    np.testing.assert_allclose(equity, backtest.equity[first_order_bar + 1 :], rtol=0, atol=1e-9)
