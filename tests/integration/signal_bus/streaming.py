"""Reading subscription streams in tests: collect until a count, remember the resume offset."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

import grpc

from alphintra.signalbus.v1 import signal_bus_service_pb2 as messages


@dataclass
class Received:
    signal_ids: list[str] = field(default_factory=list)
    offsets: list[str] = field(default_factory=list)
    resume_offset: str = ""
    batches: int = 0


async def collect(call, count: int, timeout: float = 10.0, received: Received | None = None) -> Received:  # noqa: ASYNC109
    """Read `call` (a Subscribe stream; read() allows one read before) until `count` signals came."""
    received = received or Received()

    async def read() -> None:
        while (response := await call.read()) is not grpc.aio.EOF:
            received.batches += 1
            for record in response.signals:
                received.signal_ids.append(record.signal.signal_id)
                received.offsets.append(record.offset)
            received.resume_offset = response.resume_offset
            if len(received.signal_ids) >= count:
                return

    try:
        await asyncio.wait_for(read(), timeout)
    finally:
        call.cancel()
    return received


def subscribe_request(**fields: object) -> messages.SubscribeRequest:
    return messages.SubscribeRequest(**fields)


async def collect_until(call, last_offset: str, timeout: float = 10.0) -> Received:  # noqa: ASYNC109
    """Read `call` until its resume offset reaches `last_offset` (everything up to it was considered)."""
    received = Received()

    async def read() -> None:
        while (response := await call.read()) is not grpc.aio.EOF:
            received.batches += 1
            for record in response.signals:
                received.signal_ids.append(record.signal.signal_id)
                received.offsets.append(record.offset)
            received.resume_offset = response.resume_offset
            if response.resume_offset == last_offset:
                return

    try:
        await asyncio.wait_for(read(), timeout)
    finally:
        call.cancel()
    return received
