"""ordered_answers: request order, and no reading past the window while answers are not taken."""

from __future__ import annotations

import asyncio

import pytest

from services.predictor.stream_window import ordered_answers


async def test_answers_come_in_request_order_whatever_finishes_first() -> None:
    async def requests():
        for index in range(10):
            yield index

    async def answer(index: int) -> int:
        await asyncio.sleep(0.001 * (10 - index))
        return index

    answers = [
        item
        async for item in ordered_answers(requests(), lambda index: asyncio.ensure_future(answer(index)), 4)
    ]

    assert answers == list(range(10))


async def test_a_slow_reader_stops_the_server_reading() -> None:
    pulled = 0

    async def requests():
        nonlocal pulled
        for index in range(1_000):
            pulled += 1
            yield index

    async def answer(index: int) -> int:
        return index

    answers = ordered_answers(requests(), answer, 8)
    assert await answers.__anext__() == 0
    await asyncio.sleep(0.05)

    # the window (8), the one being answered and the one waiting for room
    assert pulled <= 8 + 2
    await answers.aclose()


async def test_a_broken_request_stream_fails_after_the_answers_read_so_far() -> None:
    async def requests():
        yield 1
        yield 2
        raise ConnectionError("client went away")

    async def answer(index: int) -> int:
        return index

    seen = []

    async def consume() -> None:
        async for item in ordered_answers(requests(), answer, 4):
            seen.append(item)

    with pytest.raises(ConnectionError):
        await consume()

    assert seen == [1, 2]
