"""Client-streamed publishing: each request acknowledged in request order, once it is durable.

Reading the requests and awaiting their acknowledgements are decoupled, so many publishes are in
flight at once and land in the same durable write; a bounded number of unacknowledged requests
keeps a fast client from queueing without limit. A request the bus rejects (invalid, forbidden)
is answered with its error in its place, and the stream goes on.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

from google.rpc import status_pb2

from services.core.errors import AlphintraError
from services.mesh.context import request_id_var
from services.mesh.status import to_rpc_status
from services.signal_bus.log import Appended

Request = TypeVar("Request")
Response = TypeVar("Response")

MAX_IN_FLIGHT = 10_000


@dataclass(frozen=True, slots=True)
class Pending(Generic[Response]):
    future: asyncio.Future[Appended]
    build: Callable[[Appended], Response]


Outcome = Pending[Response] | Response


def error_status(error: AlphintraError) -> status_pb2.Status:
    return to_rpc_status(error, request_id_var.get())


async def acknowledge_in_order(
    requests: AsyncIterator[Request], accept: Callable[[Request], Outcome]
) -> AsyncIterator[Response]:
    """`accept` answers at once (a rejection) or with a Pending append; responses follow request order.

    At most MAX_IN_FLIGHT unacknowledged signals per stream: a message carrying a batch counts as
    its signals, so batching does not loosen the bound.
    """
    outcomes: asyncio.Queue[tuple[Outcome, int] | None] = asyncio.Queue()
    room = asyncio.Semaphore(MAX_IN_FLIGHT)

    async def read() -> None:
        try:
            async for request in requests:
                weight = min(len(getattr(request, "signals", ())) or 1, MAX_IN_FLIGHT)
                for _ in range(weight):
                    await room.acquire()
                outcomes.put_nowait((accept(request), weight))
        finally:
            outcomes.put_nowait(None)

    reader = asyncio.create_task(read())
    try:
        while (item := await outcomes.get()) is not None:
            outcome, weight = item
            response = outcome.build(await outcome.future) if isinstance(outcome, Pending) else outcome
            for _ in range(weight):
                room.release()
            yield response
        await reader
    finally:
        reader.cancel()
        await asyncio.gather(reader, return_exceptions=True)
