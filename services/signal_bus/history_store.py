"""PostgreSQL storage of the signal history (asyncpg): batched inserts, keyset-paged queries.

Inserts come from the history writer in batches (one `unnest` insert per batch); a signal already
there (a batch retried after a crash) is skipped, so writing is idempotent.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import asyncpg

from alphintra.signalbus.v1 import signal_pb2
from services.core.paging import PageRequest

_INSERT = """
    INSERT INTO signals
        (owner_id, signal_id, organization_id, strategy_id, symbol, action, time, log_offset, body)
    SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::smallint[],
                         $7::timestamptz[], $8::text[], $9::bytea[])
    ON CONFLICT (owner_id, signal_id) DO NOTHING
"""


@dataclass(frozen=True, slots=True)
class HistoryRow:
    signal: signal_pb2.Signal
    organization_id: str
    offset: str


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
        columns: list[list[object]] = [[] for _ in range(9)]
        for row in rows:
            signal = row.signal
            values = (
                signal.owner_id,
                signal.signal_id,
                row.organization_id,
                signal.strategy_id,
                signal.symbol,
                signal.action,
                signal.timestamp.ToDatetime(tzinfo=UTC),
                row.offset,
                signal.SerializeToString(),
            )
            for column, value in zip(columns, values, strict=True):
                column.append(value)
        await self._pool.execute(_INSERT, *columns)

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
            HistoryRow(signal_pb2.Signal.FromString(row["body"]), row["organization_id"], row["log_offset"])
            for row in rows[: page.size]
        ]
        if len(rows) <= page.size:
            return found, None
        last = rows[page.size - 1]
        return found, (last["time"].isoformat(), last["owner_id"], last["signal_id"])
