"""PostgreSQL storage of the signal history (asyncpg): batched inserts, keyset-paged queries.

Inserts come from the history writer in batches (one `unnest` insert per batch); a signal already
there (a batch retried after a crash) is skipped, so writing is idempotent.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import NamedTuple

import asyncpg

from alphintra.signalbus.v1 import signal_pb2
from services.core.paging import PageRequest

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_INSERT = """
    INSERT INTO signals
        (owner_id, signal_id, organization_id, strategy_id, symbol, action, time, log_offset, body)
    SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::smallint[],
                         $7::timestamptz[], $8::text[], $9::bytea[])
    ON CONFLICT (owner_id, signal_id) DO NOTHING
"""


class HistoryRow(NamedTuple):
    signal: signal_pb2.Signal
    organization_id: str
    offset: str
    body: bytes  # the signal as stored in the log (what a history row keeps)


@dataclass(frozen=True, slots=True)
class HistoryQuery:
    visible_to_user: str
    visible_to_organization: str  # '' unless the caller is an organisation admin
    start_time: datetime | None
    end_time: datetime | None
    symbol: str
    strategy_id: str
    action: int  # 0: any


class HistoryStore:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def insert(self, rows: list[HistoryRow]) -> None:
        """One statement for the batch, its columns built a column at a time (the writer's share
        of the bus's CPU under publish load was mostly this loop, per row and per value)."""
        signals = [row.signal for row in rows]
        await self._pool.execute(
            _INSERT,
            [signal.owner_id for signal in signals],
            [signal.signal_id for signal in signals],
            [row.organization_id for row in rows],
            [signal.strategy_id for signal in signals],
            [signal.symbol for signal in signals],
            [signal.action for signal in signals],
            _times(signals),
            [row.offset for row in rows],
            [row.body for row in rows],
        )

    async def list(self, query: HistoryQuery, page: PageRequest) -> tuple[list[HistoryRow], tuple | None]:
        where = ["(owner_id = $1 OR ($2 <> '' AND organization_id = $2))"]
        arguments: list[object] = [query.visible_to_user, query.visible_to_organization]
        for condition, value in (
            ("time >= ${}", query.start_time),
            ("time < ${}", query.end_time),
            ("symbol = ${}", query.symbol or None),
            ("strategy_id = ${}", query.strategy_id or None),
            ("action = ${}", query.action or None),
        ):
            if value is not None:
                arguments.append(value)
                where.append(condition.format(len(arguments)))
        if page.after is not None:
            time_text, owner_id, signal_id = page.after
            arguments += [datetime.fromisoformat(time_text), owner_id, signal_id]
            count = len(arguments)
            where.append(f"(time, owner_id, signal_id) < (${count - 2}, ${count - 1}, ${count})")
        rows = await self._pool.fetch(
            f"""SELECT owner_id, signal_id, organization_id, time, log_offset, body FROM signals
                WHERE {" AND ".join(where)}
                ORDER BY time DESC, owner_id DESC, signal_id DESC LIMIT {page.size + 1}""",  # noqa: S608 - fixed fragments
            *arguments,
        )
        found = [
            HistoryRow(
                signal_pb2.Signal.FromString(row["body"]),
                row["organization_id"],
                row["log_offset"],
                row["body"],
            )
            for row in rows[: page.size]
        ]
        if len(rows) <= page.size:
            return found, None
        last = rows[page.size - 1]
        return found, (last["time"].isoformat(), last["owner_id"], last["signal_id"])


def _times(signals: list[signal_pb2.Signal]) -> list[datetime]:
    """The signals' timestamps as datetimes; a batch's signals often share one (the bus fills in
    its publish time), and `Timestamp.ToDatetime` costs about 2 µs a call, so each distinct
    timestamp is converted once."""
    converted: dict[tuple[int, int], datetime] = {}
    times = []
    for signal in signals:
        stamp = signal.timestamp
        key = (stamp.seconds, stamp.nanos)
        moment = converted.get(key)
        if moment is None:
            moment = converted[key] = _EPOCH + timedelta(seconds=key[0], microseconds=key[1] // 1000)
        times.append(moment)
    return times
