"""A reader's position in one topic, and the one rule for what comes after it.

Each poll takes what follows the position: from the fanout's shared window when the position is
inside it, else straight from the log (a resuming reader, or one that fell behind the window).
That rule gives resume from any retained offset, catch-up after falling behind and the switch
back to live, with every record exactly once and in log order.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Generic

from services.core.errors import OutOfRange, Unavailable
from services.signal_bus import metrics
from services.signal_bus.fanout import Decoded, Fanout
from services.signal_bus.log import Log, LogRecord, LogUnavailable, OffsetTrimmed


class Cursor(Generic[Decoded]):
    def __init__(
        self,
        log_: Log,
        fanout: Fanout[Decoded],
        decode: Callable[[LogRecord], Decoded],
        *,
        after: str,
        strict: bool = True,
        kind: str = "signals",
    ) -> None:
        self._log = log_
        self.fanout = fanout
        self._decode = decode
        self.position = after
        self._key = log_.offset_key(after)
        # False only for a start from a time: its offset is no entry, and older entries having been
        # trimmed is no loss to it; once positioned on a real entry, every read is strict
        self._strict = strict
        self._catch_up_reads = metrics.CATCH_UP_READS.labels(kind)
        self._out_of_range = metrics.FELL_BEHIND_RETENTION.labels(kind)

    def lag(self) -> int:
        """Records the shared window holds beyond this cursor (all of them when it is behind the window)."""
        index = self.fanout.index_after(self._key)
        end = self.fanout.first_index + len(self.fanout.records)
        return end - index if index is not None else len(self.fanout.records)

    def changed(self) -> asyncio.Event:
        """Set when the window next grows; take it before polling so that no arrival is missed."""
        return self.fanout.changed()

    async def poll(self, count: int) -> list[Decoded]:
        """Up to `count` records after the position, without waiting for new ones; advances past them."""
        while True:
            index = self.fanout.index_after(self._key)
            if index is not None:
                records = self.fanout.take(index, count)
                break
            records = await self._read_log(count)
            if records:
                break
            # nothing in the log between the position and the window: continue from the window
            self._key, self.position = self.fanout.window_start, self.fanout.window_start_offset
        if records:
            last = records[-1]
            self.position, self._key = last.offset, last.key
        return records

    async def _read_log(self, count: int) -> list[Decoded]:
        self._catch_up_reads.inc()
        try:
            records = await self._log.read(self.fanout.topic, self.position, count, strict=self._strict)
        except OffsetTrimmed as error:
            self._out_of_range.inc()
            raise OutOfRange(
                f"the subscription fell behind the retained log ({error}); resubscribe from a time"
            ) from None
        except LogUnavailable as error:
            raise Unavailable(
                f"the log cannot be read right now ({error}); resume from your last offset"
            ) from None
        self._strict = True
        return [self._decode(record) for record in records]
