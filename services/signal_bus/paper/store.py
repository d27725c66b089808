"""PostgreSQL storage of paper accounts, their orders, trades and equity (asyncpg).

Every change to an account happens in one transaction holding the account's advisory lock
(`lock`): the consumer takes it with try-lock (another process busy with the account means there
is nothing to do here now), the API's reset and limit changes wait for it. So the consumer's
read-apply-save of a batch never interleaves with another process's batch or with a reset, and
what a batch did (book, orders, trades, equity) commits together with the cursors that say it
was done.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

import asyncpg

from services.core.ownership import Ownership
from services.core.paging import PageRequest
from services.core.signals.paper import (
    AccountConfig,
    EquityPoint,
    Fill,
    FillReason,
    Order,
    OrderIntent,
    OrderState,
    Side,
)
from services.core.signals.paper_state import Snapshot

LOCK_CLASS = 0x5041  # "PA": the advisory-lock namespace of paper accounts
# PaperOrder.side (OrderSide) as stored; 0 marks a CLOSE order, which has no side of its own
SIDE_OF_INTENT = {OrderIntent.BUY: 1, OrderIntent.SELL: 2, OrderIntent.CLOSE: 0}
INTENT_OF_SIDE = {side: intent for intent, side in SIDE_OF_INTENT.items()}


@dataclass(frozen=True, slots=True)
class BarCursor:
    topic: str
    offset: str  # the last bar applied (or the offset before the first bar wanted)


@dataclass(frozen=True, slots=True)
class StoredAccount:
    id: str
    ownership: Ownership
    display_name: str
    config: AccountConfig
    strategy_ids: tuple[str, ...]
    deployment_ids: tuple[str, ...]
    timeframe: int
    reset_count: int
    book: Snapshot | None
    log_namespace: str
    signal_offset: str
    bar_cursors: dict[str, BarCursor] = field(default_factory=dict)
    signals_applied: int = 0
    etag: str = ""
    create_time: datetime | None = None
    update_time: datetime | None = None
    last_reset_time: datetime | None = None


@dataclass(frozen=True, slots=True)
class OrderRecord:
    """An order with what the contract shows beside the book's fields."""

    order: Order
    side: int  # OrderSide; 0 for CLOSE
    order_type: int
    time_in_force: int
    limit_price: float
    stop_price: float


@dataclass(frozen=True, slots=True)
class Progress:
    """What one consumer batch did to one account."""

    book: Snapshot
    signal_offset: str
    bar_cursors: dict[str, BarCursor]
    signals_applied: int
    new_orders: Sequence[OrderRecord]
    changed_orders: Sequence[Order]  # pending before the batch: their state, fill or refusal
    fills: Sequence[Fill]
    equity: Sequence[EquityPoint]


def _cursors_to_json(cursors: dict[str, BarCursor]) -> str:
    return json.dumps({symbol: {"topic": c.topic, "offset": c.offset} for symbol, c in cursors.items()})


def _cursors_from_json(text: str) -> dict[str, BarCursor]:
    return {symbol: BarCursor(value["topic"], value["offset"]) for symbol, value in json.loads(text).items()}


def _account(row: asyncpg.Record) -> StoredAccount:
    return StoredAccount(
        id=row["id"],
        ownership=Ownership(row["owner_id"], row["organization_id"]),
        display_name=row["display_name"],
        config=AccountConfig(
            initial_cash=row["initial_cash"],
            commission=row["commission"],
            slippage=row["slippage"],
            allow_short=row["allow_short"],
            max_position_fraction=row["max_position_fraction"],
            max_exposure_fraction=row["max_exposure_fraction"],
            max_daily_loss_fraction=row["max_daily_loss_fraction"],
        ),
        strategy_ids=tuple(row["strategy_ids"]),
        deployment_ids=tuple(row["deployment_ids"]),
        timeframe=row["timeframe"],
        reset_count=row["reset_count"],
        book=json.loads(row["book"]) if row["book"] is not None else None,
        log_namespace=row["log_namespace"],
        signal_offset=row["signal_offset"],
        bar_cursors=_cursors_from_json(row["bar_cursors"]),
        signals_applied=row["signals_applied"],
        etag=row["etag"],
        create_time=row["create_time"],
        update_time=row["update_time"],
        last_reset_time=row["last_reset_time"],
    )


def _order(row: asyncpg.Record) -> OrderRecord:
    nan = float("nan")
    order = Order(
        id=row["id"],
        signal_id=row["signal_id"],
        strategy_id=row["strategy_id"],
        symbol=row["symbol"],
        intent=INTENT_OF_SIDE[row["side"]],
        quantity=row["quantity"],
        stop_loss=nan,
        take_profit=nan,
        create_time=row["create_time_ns"],
        state=OrderState(row["state"]),
        refusal_reason=row["refusal_reason"],
        fill_price=row["fill_price"] if row["fill_price"] is not None else nan,
        fill_time=row["fill_time_ns"] or 0,
    )
    return OrderRecord(
        order=order,
        side=row["side"],
        order_type=row["order_type"],
        time_in_force=row["time_in_force"],
        limit_price=row["limit_price"],
        stop_price=row["stop_price"],
    )


def _fill(row: asyncpg.Record) -> tuple[str, Fill]:
    return row["id"], Fill(
        order_id=row["order_id"],
        signal_id=row["signal_id"],
        symbol=row["symbol"],
        side=Side(row["side"]),
        quantity=row["quantity"],
        price=row["price"],
        commission=row["commission"],
        slippage_cost=row["slippage_cost"],
        realized_pnl=row["realized_pnl"],
        time=row["time_ns"],
        reason=FillReason(row["reason"]),
        closing=row["closing"],
        entry_price=row["entry_price"],
        entry_time=row["entry_time_ns"],
    )


class AccountSession:
    """One account's locked transaction in the consumer: read it, then save what a batch did."""

    def __init__(self, connection: asyncpg.Connection, account: StoredAccount) -> None:
        self._connection = connection
        self.account = account

    async def save(self, progress: Progress, now: datetime, new_trade_id: Callable[[], str]) -> None:
        connection, account = self._connection, self.account
        epoch = account.reset_count
        await connection.execute(
            """UPDATE paper_accounts
               SET book = $2::jsonb, signal_offset = $3, bar_cursors = $4::jsonb,
                   signals_applied = signals_applied + $5, update_time = $6
               WHERE id = $1""",
            account.id,
            json.dumps(progress.book, allow_nan=False),
            progress.signal_offset,
            _cursors_to_json(progress.bar_cursors),
            progress.signals_applied,
            now,
        )
        if progress.new_orders:
            # a plain insert: the same log entry applied twice would break the primary key
            await connection.executemany(
                """INSERT INTO paper_orders (account_id, epoch, id, signal_id, strategy_id, symbol, side,
                       quantity, order_type, time_in_force, limit_price, stop_price, state, refusal_reason,
                       fill_price, create_time_ns, fill_time_ns)
                   VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)""",
                [_order_values(account.id, epoch, record) for record in progress.new_orders],
            )
        if progress.changed_orders:
            await connection.executemany(
                """UPDATE paper_orders SET state = $3, refusal_reason = $4, fill_price = $5, fill_time_ns = $6
                   WHERE account_id = $1 AND id = $2""",
                [
                    (
                        account.id,
                        order.id,
                        int(order.state),
                        order.refusal_reason,
                        _filled_price(order),
                        order.fill_time or None,
                    )
                    for order in progress.changed_orders
                ],
            )
        if progress.fills:
            await connection.executemany(
                """INSERT INTO paper_trades (account_id, epoch, id, order_id, signal_id, symbol, side,
                       quantity, price, commission, slippage_cost, realized_pnl, time_ns, reason, closing,
                       entry_price, entry_time_ns)
                   VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)""",
                [
                    (
                        account.id,
                        epoch,
                        new_trade_id(),
                        fill.order_id,
                        fill.signal_id,
                        fill.symbol,
                        int(fill.side),
                        fill.quantity,
                        fill.price,
                        fill.commission,
                        fill.slippage_cost,
                        fill.realized_pnl,
                        fill.time,
                        int(fill.reason),
                        fill.closing,
                        fill.entry_price,
                        fill.entry_time,
                    )
                    for fill in progress.fills
                ],
            )
        if progress.equity:
            await connection.copy_records_to_table(
                "paper_equity",
                records=[
                    (account.id, epoch, point.time, point.equity, point.symbol, point.close)
                    for point in progress.equity
                ],
                columns=["account_id", "epoch", "time_ns", "equity", "symbol", "close"],
                schema_name=await connection.fetchval("SELECT current_schema()"),
            )


def _filled_price(order: Order) -> float | None:
    return None if math.isnan(order.fill_price) else order.fill_price


def _order_values(account_id: str, epoch: int, record: OrderRecord) -> tuple:
    order = record.order
    return (
        account_id, epoch, order.id, order.signal_id, order.strategy_id, order.symbol, record.side,
        order.quantity, record.order_type, record.time_in_force, record.limit_price, record.stop_price,
        int(order.state), order.refusal_reason, _filled_price(order), order.create_time,
        order.fill_time or None,
    )  # fmt: skip


class PaperStore:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    # -- accounts -----------------------------------------------------------------------------

    async def create(
        self, account: StoredAccount, request_id: str | None, now: datetime
    ) -> StoredAccount | None:
        """None when `request_id` was already used by this owner (a retry)."""
        config = account.config
        row = await self._pool.fetchrow(
            """INSERT INTO paper_accounts (id, owner_id, organization_id, display_name, initial_cash,
                   commission, slippage, allow_short, strategy_ids, deployment_ids, max_position_fraction,
                   max_exposure_fraction, max_daily_loss_fraction, timeframe, log_namespace, signal_offset,
                   bar_cursors, request_id, etag, create_time, update_time)
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, '{}'::jsonb,
                       $17, $18, $19, $19)
               ON CONFLICT (owner_id, request_id) DO NOTHING RETURNING *""",
            account.id, account.ownership.owner_id, account.ownership.organization_id, account.display_name,
            config.initial_cash, config.commission, config.slippage, config.allow_short,
            list(account.strategy_ids), list(account.deployment_ids), config.max_position_fraction,
            config.max_exposure_fraction, config.max_daily_loss_fraction, account.timeframe,
            account.log_namespace, account.signal_offset, request_id, account.etag, now,
        )  # fmt: skip
        return _account(row) if row is not None else None

    async def find_by_request_id(self, owner_id: str, request_id: str) -> StoredAccount | None:
        row = await self._pool.fetchrow(
            "SELECT * FROM paper_accounts WHERE owner_id = $1 AND request_id = $2", owner_id, request_id
        )
        return _account(row) if row is not None else None

    async def count(self, owner_id: str) -> int:
        return await self._pool.fetchval("SELECT count(*) FROM paper_accounts WHERE owner_id = $1", owner_id)

    async def get(self, account_id: str) -> StoredAccount | None:
        row = await self._pool.fetchrow("SELECT * FROM paper_accounts WHERE id = $1", account_id)
        return _account(row) if row is not None else None

    async def list(
        self, owner_id: str, organization_id: str, page: PageRequest
    ) -> tuple[list[StoredAccount], tuple | None]:
        """Newest first: the owner's accounts, and the organisation's for an admin ('' for none)."""
        after = page.after or (None, None)
        rows = await self._pool.fetch(
            """SELECT * FROM paper_accounts
               WHERE (owner_id = $1 OR ($2 <> '' AND organization_id = $2))
                 AND ($4::timestamptz IS NULL OR (create_time, id) < ($4::timestamptz, $5::text))
               ORDER BY create_time DESC, id DESC LIMIT $3""",
            owner_id,
            organization_id,
            page.size + 1,
            datetime.fromisoformat(after[0]) if after[0] else None,
            after[1],
        )
        accounts = [_account(row) for row in rows[: page.size]]
        last = accounts[-1] if len(rows) > page.size else None
        return accounts, ((last.create_time.isoformat(), last.id) if last and last.create_time else None)

    async def change(
        self, account_id: str, change: Callable[[StoredAccount], dict[str, object]], now: datetime
    ) -> StoredAccount | None:
        """Apply `change(current)` (the columns to set; it may raise) under the account's lock.

        A change that sets `reset_count` starts a new epoch: the pending orders of the old one are
        cancelled (its orders, trades and equity stay, archived under their epoch).
        """
        async with self._pool.acquire() as connection, connection.transaction():
            await connection.execute("SELECT pg_advisory_xact_lock($1, hashtext($2))", LOCK_CLASS, account_id)
            row = await connection.fetchrow(
                "SELECT * FROM paper_accounts WHERE id = $1 FOR UPDATE", account_id
            )
            if row is None:
                return None
            current = _account(row)
            columns = change(current)
            if "reset_count" in columns:
                await connection.execute(
                    "UPDATE paper_orders SET state = 5 WHERE account_id = $1 AND epoch = $2 AND state = 1",
                    account_id,
                    current.reset_count,
                )
            assignments = ", ".join(
                f"{name} = ${index + 2}{'::jsonb' if name in ('book', 'bar_cursors') else ''}"
                for index, name in enumerate(columns)
            )
            values = [
                _cursors_to_json(value) if name == "bar_cursors" else value  # type: ignore[arg-type]
                for name, value in columns.items()
            ]
            updated = await connection.fetchrow(
                f"UPDATE paper_accounts SET {assignments}, update_time = ${len(columns) + 2} "  # noqa: S608 - names are ours
                "WHERE id = $1 RETURNING *",
                account_id,
                *values,
                now,
            )
            return _account(updated)

    # -- the consumer -------------------------------------------------------------------------

    async def cursors(self, namespace: str) -> list[StoredAccount]:
        """Every account on this log, with its cursors (the book is left out: it is read when locked)."""
        rows = await self._pool.fetch(
            """SELECT id, owner_id, organization_id, display_name, initial_cash, commission, slippage,
                      allow_short, strategy_ids, deployment_ids, max_position_fraction, max_exposure_fraction,
                      max_daily_loss_fraction, timeframe, reset_count, NULL::jsonb AS book, log_namespace,
                      signal_offset, bar_cursors, signals_applied, etag, create_time, update_time,
                      last_reset_time
               FROM paper_accounts WHERE log_namespace = $1""",
            namespace,
        )
        return [_account(row) for row in rows]

    def session(self, account_id: str) -> _Session:
        return _Session(self._pool, account_id)

    # -- reports ------------------------------------------------------------------------------

    async def orders(
        self, account_id: str, epoch: int, state: int, page: PageRequest
    ) -> tuple[list[OrderRecord], tuple | None]:
        after = page.after[0] if page.after else None
        rows = await self._pool.fetch(
            """SELECT * FROM paper_orders
               WHERE account_id = $1 AND epoch = $2 AND ($3 = 0 OR state = $3)
                 AND ($5::bigint IS NULL OR sequence < $5)
               ORDER BY sequence DESC LIMIT $4""",
            account_id, epoch, state, page.size + 1, after,
        )  # fmt: skip
        last = rows[page.size - 1]["sequence"] if len(rows) > page.size else None
        return [_order(row) for row in rows[: page.size]], ((last,) if last is not None else None)

    async def trades(
        self, account_id: str, epoch: int, symbol: str, page: PageRequest
    ) -> tuple[list[tuple[str, Fill]], tuple | None]:
        after = page.after[0] if page.after else None
        rows = await self._pool.fetch(
            """SELECT * FROM paper_trades
               WHERE account_id = $1 AND epoch = $2 AND ($3 = '' OR symbol = $3)
                 AND ($5::bigint IS NULL OR sequence < $5)
               ORDER BY sequence DESC LIMIT $4""",
            account_id, epoch, symbol, page.size + 1, after,
        )  # fmt: skip
        last = rows[page.size - 1]["sequence"] if len(rows) > page.size else None
        return [_fill(row) for row in rows[: page.size]], ((last,) if last is not None else None)

    async def history(self, account_id: str, epoch: int) -> tuple[list[EquityPoint], list[Fill]]:
        """The epoch's whole equity curve and its closing fills, oldest first (for the metrics)."""
        async with self._pool.acquire() as connection:
            points = await connection.fetch(
                """SELECT time_ns, equity, symbol, close FROM paper_equity
                   WHERE account_id = $1 AND epoch = $2 ORDER BY sequence""",
                account_id,
                epoch,
            )
            fills = await connection.fetch(
                """SELECT * FROM paper_trades WHERE account_id = $1 AND epoch = $2 AND closing
                   ORDER BY sequence""",
                account_id,
                epoch,
            )
        curve = [EquityPoint(row["time_ns"], row["equity"], row["symbol"], row["close"]) for row in points]
        return curve, [_fill(row)[1] for row in fills]


class _Session:
    """`async with store.session(id) as session`: the account locked in a transaction, or None if busy."""

    def __init__(self, pool: asyncpg.Pool, account_id: str) -> None:
        self._pool = pool
        self._account_id = account_id
        self._connection: asyncpg.Connection | None = None
        self._transaction: asyncpg.transaction.Transaction | None = None

    async def __aenter__(self) -> AccountSession | None:
        self._connection = await self._pool.acquire()
        self._transaction = self._connection.transaction()
        await self._transaction.start()
        locked = await self._connection.fetchval(
            "SELECT pg_try_advisory_xact_lock($1, hashtext($2))", LOCK_CLASS, self._account_id
        )
        row = None
        if locked:
            row = await self._connection.fetchrow(
                "SELECT * FROM paper_accounts WHERE id = $1 FOR UPDATE", self._account_id
            )
        return AccountSession(self._connection, _account(row)) if row is not None else None

    async def __aexit__(self, kind: object, error: object, traceback: object) -> None:
        assert self._connection is not None
        assert self._transaction is not None
        try:
            if kind is None:
                await self._transaction.commit()
            else:
                await self._transaction.rollback()
        finally:
            await self._pool.release(self._connection)
