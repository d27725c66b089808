"""Helpers every test may import: waiting for eventual conditions, free ports."""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import Awaitable, Callable

from services.mesh.devstack.ports import free_port

__all__ = ["assert_eventually", "free_port"]


async def assert_eventually(
    predicate: Callable[[], bool | Awaitable[bool]],
    timeout: float = 5.0,  # noqa: ASYNC109 - a polling deadline, not a cancellation scope
    *,
    interval: float = 0.05,
    message: str = "",
) -> None:
    """Poll `predicate` (sync or async) until it returns true; fail with `message` after `timeout` seconds.

    A predicate may also assert: its AssertionError counts as "not yet", and the last
    one is shown if time runs out, so the failure says what was still wrong.
    """
    deadline = time.monotonic() + timeout
    last_error: AssertionError | None = None
    while True:
        try:
            outcome = predicate()
            if inspect.isawaitable(outcome):
                outcome = await outcome
            if outcome:
                return
        except AssertionError as error:
            last_error = error
        if time.monotonic() >= deadline:
            raise AssertionError(
                f"not true within {timeout}s{': ' + message if message else ''}"
            ) from last_error
        await asyncio.sleep(interval)
