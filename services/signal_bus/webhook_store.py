"""PostgreSQL storage of webhooks and their deliveries (asyncpg).

Signing secrets are stored sealed (`secret_box.py`: AES-GCM under a key from the settings, the key
id beside the ciphertext) and opened only when a webhook is read or its deliveries are signed.

Deliveries are claimed for sending with `FOR UPDATE SKIP LOCKED` and a lease (their next attempt
moved past the send timeout), so several bus processes can send without sending one twice at
once, and a process that dies mid-send leaves its deliveries to be retried when the lease ends.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import asyncpg
from google.protobuf import timestamp_pb2

from alphintra.signalbus.v1 import signal_pb2, webhook_service_pb2
from services.core.errors import NotFound
from services.core.ownership import Ownership
from services.core.paging import PageRequest
from services.signal_bus.secret_box import SecretBox

SECRET_COLUMNS = ("secret", "previous_secret")

PENDING = webhook_service_pb2.DELIVERY_STATE_PENDING
SUCCEEDED = webhook_service_pb2.DELIVERY_STATE_SUCCEEDED
DEAD_LETTERED = webhook_service_pb2.DELIVERY_STATE_DEAD_LETTERED


@dataclass(frozen=True, slots=True)
class StoredWebhook:
    webhook: webhook_service_pb2.Webhook
    ownership: Ownership
    secret: str
    previous_secret: str | None
    previous_secret_expire_time: datetime | None


@dataclass(frozen=True, slots=True)
class NewDelivery:
    id: str
    webhook_id: str
    signal_id: str
    offset: str
    body: bytes


@dataclass(frozen=True, slots=True)
class DueDelivery:
    id: str
    webhook_id: str
    url: str
    body: bytes
    attempts: int
    max_attempts: int
    secrets: tuple[str, ...]


_SELECT = """
    SELECT w.*,
           (SELECT count(*) FROM webhook_deliveries d WHERE d.webhook_id = w.id AND d.state = 1) AS pending,
           (SELECT count(*) FROM webhook_deliveries d WHERE d.webhook_id = w.id AND d.state = 3) AS dead
    FROM webhooks w
"""


def _timestamp(target: timestamp_pb2.Timestamp, value: datetime | None) -> None:
    if value is not None:
        target.FromDatetime(value)


def secret_context(webhook_id: str) -> str:
    """What a sealed secret is bound to: its webhook (a copy in another row does not open)."""
    return f"webhooks/{webhook_id}"


def _webhook(row: asyncpg.Record, box: SecretBox) -> StoredWebhook:
    context = secret_context(row["id"])
    secret = box.open(row["secret"], context)
    previous = row["previous_secret"]
    webhook = webhook_service_pb2.Webhook(
        name=f"webhooks/{row['id']}",
        id=row["id"],
        owner_id=row["owner_id"],
        display_name=row["display_name"],
        url=row["url"],
        filter=signal_pb2.SignalFilter.FromString(row["filter"]),
        enabled=row["enabled"],
        max_attempts=row["max_attempts"],
        secret_hint=secret[-4:],
        etag=row["etag"],
        health=webhook_service_pb2.WebhookHealth(
            consecutive_failures=row["consecutive_failures"],
            last_error=row["last_error"],
            pending_deliveries=row["pending"],
            dead_letters=row["dead"],
        ),
    )
    _timestamp(webhook.health.last_success_time, row["last_success_time"])
    _timestamp(webhook.health.last_failure_time, row["last_failure_time"])
    _timestamp(webhook.create_time, row["create_time"])
    _timestamp(webhook.update_time, row["update_time"])
    return StoredWebhook(
        webhook=webhook,
        ownership=Ownership(row["owner_id"], row["organization_id"]),
        secret=secret,
        previous_secret=box.open(previous, context) if previous is not None else None,
        previous_secret_expire_time=row["previous_secret_expire_time"],
    )


def _delivery(row: asyncpg.Record) -> webhook_service_pb2.WebhookDelivery:
    delivery = webhook_service_pb2.WebhookDelivery(
        id=row["id"],
        webhook_id=row["webhook_id"],
        signal_id=row["signal_id"],
        offset=row["log_offset"],
        state=row["state"],
        attempts=row["attempts"],
        last_status_code=row["last_status_code"],
        last_error=row["last_error"],
    )
    _timestamp(delivery.create_time, row["create_time"])
    _timestamp(delivery.last_attempt_time, row["last_attempt_time"])
    if row["state"] == PENDING:
        _timestamp(delivery.next_attempt_time, row["next_attempt_time"])
    return delivery


class WebhookStore:
    def __init__(self, pool: asyncpg.Pool, box: SecretBox | None = None) -> None:
        self._pool = pool
        self._box = box or SecretBox({}, None)

    # -- webhooks -----------------------------------------------------------------------------

    async def create(
        self,
        *,
        webhook: webhook_service_pb2.Webhook,
        ownership: Ownership,
        secret: str,
        request_id: str | None,
        etag: str,
        now: datetime,
    ) -> StoredWebhook | None:
        """None when `request_id` was already used by this owner (a retry)."""
        inserted = await self._pool.fetchval(
            """INSERT INTO webhooks (id, owner_id, organization_id, display_name, url, filter, enabled,
                                     max_attempts, secret, request_id, etag, create_time, update_time)
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12)
               ON CONFLICT (owner_id, request_id) DO NOTHING RETURNING id""",
            webhook.id,
            ownership.owner_id,
            ownership.organization_id,
            webhook.display_name,
            webhook.url,
            webhook.filter.SerializeToString(),
            webhook.enabled,
            webhook.max_attempts,
            self._box.seal(secret, secret_context(webhook.id)),
            request_id,
            etag,
            now,
        )
        return None if inserted is None else await self.get(webhook.id)

    async def find_by_request_id(self, owner_id: str, request_id: str) -> StoredWebhook | None:
        row = await self._pool.fetchrow(
            _SELECT + " WHERE owner_id = $1 AND request_id = $2", owner_id, request_id
        )
        return None if row is None else _webhook(row, self._box)

    async def count(self, owner_id: str) -> int:
        return await self._pool.fetchval("SELECT count(*) FROM webhooks WHERE owner_id = $1", owner_id)

    async def get(self, webhook_id: str) -> StoredWebhook | None:
        row = await self._pool.fetchrow(_SELECT + " WHERE id = $1", webhook_id)
        return None if row is None else _webhook(row, self._box)

    async def list(
        self, owner_id: str, organization_id: str, page: PageRequest
    ) -> tuple[list[StoredWebhook], tuple | None]:
        where = "(owner_id = $1 OR ($2 <> '' AND organization_id = $2))"
        arguments: list[object] = [owner_id, organization_id]
        if page.after is not None:
            arguments += [datetime.fromisoformat(page.after[0]), page.after[1]]
            where += " AND (create_time, id) < ($3, $4)"
        rows = await self._pool.fetch(
            f"{_SELECT} WHERE {where} ORDER BY create_time DESC, id DESC LIMIT {page.size + 1}", *arguments
        )
        found = [_webhook(row, self._box) for row in rows[: page.size]]
        if len(rows) <= page.size:
            return found, None
        last = rows[page.size - 1]
        return found, (last["create_time"].isoformat(), last["id"])

    async def update(
        self, webhook_id: str, change: Callable[[StoredWebhook], dict[str, object]], now: datetime
    ) -> StoredWebhook | None:
        """Lock the webhook, let `change` check it and name the columns to set, set them."""
        async with self._pool.acquire() as connection, connection.transaction():
            row = await connection.fetchrow(_SELECT + " WHERE id = $1 FOR UPDATE OF w", webhook_id)
            if row is None:
                return None
            columns = change(_webhook(row, self._box))
            columns = {
                name: self._box.seal(value, secret_context(webhook_id))
                if name in SECRET_COLUMNS and isinstance(value, str)
                else value
                for name, value in columns.items()
            }
            assignments = ", ".join(f"{name} = ${index}" for index, name in enumerate(columns, start=3))
            await connection.execute(
                f"UPDATE webhooks SET update_time = $2, {assignments} WHERE id = $1",  # noqa: S608 - our column names
                webhook_id,
                now,
                *columns.values(),
            )
        return await self.get(webhook_id)

    async def delete(self, webhook_id: str, check: Callable[[StoredWebhook], None]) -> bool:
        async with self._pool.acquire() as connection, connection.transaction():
            row = await connection.fetchrow(_SELECT + " WHERE id = $1 FOR UPDATE OF w", webhook_id)
            if row is None:
                return False
            check(_webhook(row, self._box))
            await connection.execute("DELETE FROM webhooks WHERE id = $1", webhook_id)
        return True

    async def enabled(self) -> list[StoredWebhook]:
        rows = await self._pool.fetch(_SELECT + " WHERE enabled")
        return [_webhook(row, self._box) for row in rows]

    async def generation(self) -> int:
        """Moves (in the changing transaction) whenever which webhooks match which signals changes."""
        return await self._pool.fetchval("SELECT generation FROM webhook_generation")

    # -- deliveries ---------------------------------------------------------------------------

    async def add_deliveries(self, deliveries: list[NewDelivery], now: datetime) -> None:
        """Queue deliveries; one already queued for the same webhook and signal is kept as it is."""
        if not deliveries:
            return
        await self._pool.execute(
            """INSERT INTO webhook_deliveries
                   (id, webhook_id, signal_id, log_offset, body, state, create_time, next_attempt_time)
               SELECT d.id, d.webhook_id, d.signal_id, d.log_offset, d.body, 1, $6, $6
               FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::bytea[])
                    AS d (id, webhook_id, signal_id, log_offset, body)
               WHERE EXISTS (SELECT 1 FROM webhooks w WHERE w.id = d.webhook_id)
               ON CONFLICT (webhook_id, signal_id) DO NOTHING""",
            [item.id for item in deliveries],
            [item.webhook_id for item in deliveries],
            [item.signal_id for item in deliveries],
            [item.offset for item in deliveries],
            [item.body for item in deliveries],
            now,
        )

    async def claim_due(self, now: datetime, lease_until: datetime, limit: int) -> list[DueDelivery]:
        async with self._pool.acquire() as connection, connection.transaction():
            rows = await connection.fetch(
                """SELECT d.id, d.webhook_id, d.body, d.attempts, w.url, w.max_attempts, w.secret,
                          CASE WHEN w.previous_secret_expire_time > $1 THEN w.previous_secret END AS previous
                   FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id
                   WHERE d.state = 1 AND d.next_attempt_time <= $1 AND w.enabled
                   ORDER BY d.next_attempt_time LIMIT $2
                   FOR UPDATE OF d SKIP LOCKED""",
                now,
                limit,
            )
            if rows:
                await connection.execute(
                    "UPDATE webhook_deliveries SET next_attempt_time = $2 WHERE id = ANY($1::text[])",
                    [row["id"] for row in rows],
                    lease_until,
                )
        box = self._box
        return [
            DueDelivery(
                id=row["id"],
                webhook_id=row["webhook_id"],
                url=row["url"],
                body=row["body"],
                attempts=row["attempts"],
                max_attempts=row["max_attempts"],
                secrets=tuple(
                    box.open(sealed, secret_context(row["webhook_id"]))
                    for sealed in (row["secret"], row["previous"])
                    if sealed is not None
                ),
            )
            for row in rows
        ]

    async def record_attempt(
        self,
        delivery: DueDelivery,
        *,
        succeeded: bool,
        status_code: int,
        error: str,
        now: datetime,
        next_attempt: datetime | None,
    ) -> None:
        """One attempt's outcome: succeeded, retry at `next_attempt`, or (None) dead-lettered."""
        state = SUCCEEDED if succeeded else (PENDING if next_attempt is not None else DEAD_LETTERED)
        async with self._pool.acquire() as connection, connection.transaction():
            await connection.execute(
                """UPDATE webhook_deliveries
                   SET state = $2::smallint, attempts = attempts + 1, last_status_code = $3, last_error = $4,
                       last_attempt_time = $5::timestamptz, next_attempt_time = $6,
                       dead_letter_time = CASE WHEN $2::smallint = 3 THEN $5::timestamptz END
                   WHERE id = $1""",
                delivery.id,
                state,
                status_code,
                error,
                now,
                next_attempt,
            )
            if succeeded:
                await connection.execute(
                    "UPDATE webhooks SET consecutive_failures = 0, last_success_time = $2 WHERE id = $1",
                    delivery.webhook_id,
                    now,
                )
            else:
                await connection.execute(
                    """UPDATE webhooks SET consecutive_failures = consecutive_failures + 1,
                              last_failure_time = $2, last_error = $3 WHERE id = $1""",
                    delivery.webhook_id,
                    now,
                    error,
                )

    async def deliveries(
        self, webhook_id: str, state: int, page: PageRequest
    ) -> tuple[list[webhook_service_pb2.WebhookDelivery], tuple | None]:
        where = "webhook_id = $1 AND ($2::smallint = 0 OR state = $2::smallint)"
        arguments: list[object] = [webhook_id, state]
        if page.after is not None:
            arguments += [datetime.fromisoformat(page.after[0]), page.after[1]]
            where += " AND (create_time, id) < ($3, $4)"
        rows = await self._pool.fetch(
            f"SELECT * FROM webhook_deliveries WHERE {where} ORDER BY create_time DESC, id DESC "  # noqa: S608
            f"LIMIT {page.size + 1}",
            *arguments,
        )
        found = [_delivery(row) for row in rows[: page.size]]
        if len(rows) <= page.size:
            return found, None
        last = rows[page.size - 1]
        return found, (last["create_time"].isoformat(), last["id"])

    async def dead_letters(
        self, webhook_id: str, page: PageRequest
    ) -> tuple[list[tuple[webhook_service_pb2.WebhookDelivery, signal_pb2.Signal]], tuple | None]:
        where = "webhook_id = $1 AND state = 3"
        arguments: list[object] = [webhook_id]
        if page.after is not None:
            arguments += [datetime.fromisoformat(page.after[0]), page.after[1]]
            where += " AND (dead_letter_time, id) > ($2, $3)"
        rows = await self._pool.fetch(
            f"SELECT * FROM webhook_deliveries WHERE {where} ORDER BY dead_letter_time, id "  # noqa: S608
            f"LIMIT {page.size + 1}",
            *arguments,
        )
        found = [(_delivery(row), signal_pb2.Signal.FromString(row["body"])) for row in rows[: page.size]]
        if len(rows) <= page.size:
            return found, None
        last = rows[page.size - 1]
        return found, (last["dead_letter_time"].isoformat(), last["id"])

    async def replay(
        self, webhook_id: str, delivery_ids: list[str], now: datetime
    ) -> tuple[list[str], list[str]]:
        """Queue dead letters again (all when `delivery_ids` is empty): (replayed ids, ids that were not)."""
        async with self._pool.acquire() as connection, connection.transaction():
            rows = await connection.fetch(
                """UPDATE webhook_deliveries
                   SET state = 1, attempts = 0, next_attempt_time = $3, dead_letter_time = NULL
                   WHERE webhook_id = $1 AND state = 3
                     AND (cardinality($2::text[]) = 0 OR id = ANY($2::text[]))
                   RETURNING id""",
                webhook_id,
                delivery_ids,
                now,
            )
            replayed = [row["id"] for row in rows]
            missing = sorted(set(delivery_ids) - set(replayed))
            if missing:  # raised inside the transaction: nothing is replayed
                raise NotFound("dead letter", ", ".join(missing))
        return replayed
