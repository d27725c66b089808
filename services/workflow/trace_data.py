"""The bars a trace on a stored dataset reads from the trainer, and no more.

A trace depends on every bar before its window (indicators warm up on the whole history), on the
window, and on the one bar after it (`strategy.bars_needed`). Without a start time the window
starts at the spec's warm-up, so one read of the first `bars_needed` bars is all of it; with a
start time, the history is every bar before it and the window the next `window + 1` bars: two
reads, made at once. Either way the bars are the dataset's first ones, so bar indices, the
window's start and `truncated` are those of a trace on the same bars sent inline.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from alphintra.common.v1 import bar_pb2
from services.core import strategy
from services.workflow.trainer_client import TrainerClient


@dataclass(frozen=True, slots=True)
class BarRead:
    """One ReadDatasetBars call: bars opening in [start_ns, end_ns) (None: unbounded), the first
    `max_bars` of them (0: all)."""

    start_ns: int | None = None
    end_ns: int | None = None
    max_bars: int = 0


def reads_for_trace(start_ns: int | None, warmup_bars: int, max_bars: int) -> tuple[BarRead, ...]:
    """The reads whose bars, one after the other, are the bars a trace of the window needs."""
    if start_ns is None:
        return (BarRead(max_bars=strategy.bars_needed(warmup_bars, max_bars)),)
    return (BarRead(end_ns=start_ns), BarRead(start_ns=start_ns, max_bars=strategy.bars_needed(0, max_bars)))


async def read_trace_bars(
    trainer: TrainerClient, dataset_id: str, symbol: str, reads: tuple[BarRead, ...]
) -> list[bar_pb2.Bar]:
    pieces = await asyncio.gather(
        *(
            trainer.read_bars(
                dataset_id, symbol, start_ns=read.start_ns, end_ns=read.end_ns, max_bars=read.max_bars
            )
            for read in reads
        )
    )
    return [bar for piece in pieces for bar in piece]
