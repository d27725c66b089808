"""PostgreSQL and Redis going away, and coming back: what callers see and what health reports.

Two promises. A call that fails because a dependency is unreachable answers UNAVAILABLE (retry
later: the one code Envoy and clients retry) rather than INTERNAL, and logs one warning line
instead of a stack trace. And the service's health follows its dependencies: a watchdog pings
them every few seconds and turns the gRPC health status NOT_SERVING while one is down (so
Envoy's active health checks take the instance out of rotation) and SERVING again when it is
back; the pools reconnect by themselves.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

import asyncpg
import redis.exceptions

from services.core.errors import FieldViolation, InvalidArgument, Unavailable

log = logging.getLogger("alphintra.dependencies")

_CONNECTION_ERRORS: tuple[type[BaseException], ...] = (
    asyncpg.PostgresConnectionError,
    asyncpg.CannotConnectNowError,
    asyncpg.ConnectionDoesNotExistError,
    asyncpg.InterfaceError,
    # a connection the server dropped mid-operation can leave asyncpg's protocol in a state it calls
    # "internal" (MagicStack/asyncpg#1069); it is the outage seen from inside the driver
    asyncpg.InternalClientError,
    redis.exceptions.ConnectionError,
    redis.exceptions.TimeoutError,
    ConnectionError,
    TimeoutError,
)


def as_bad_input(error: BaseException) -> InvalidArgument | None:
    """PostgreSQL refusing a value (SQLSTATE class 22: a NUL character in text, a number or date out
    of its range) is the request's fault, not ours: INVALID_ARGUMENT, without echoing the value."""
    if isinstance(error, asyncpg.DataError):
        return InvalidArgument(
            "the request holds a value that cannot be stored or compared",
            [FieldViolation("request", f"{type(error).__name__}: e.g. a NUL character in a text field")],
        )
    return None


def as_unavailable(error: BaseException) -> Unavailable | None:
    """The caller-facing error for a dependency failure, or None when `error` is something else."""
    if isinstance(error, _CONNECTION_ERRORS):
        return Unavailable(f"a dependency is unreachable ({type(error).__name__}); retry shortly",
                           retry_after_seconds=1.0)  # fmt: skip
    if isinstance(error, OSError) and error.errno is not None:
        return Unavailable(
            f"a dependency is unreachable ({error.strerror}); retry shortly", retry_after_seconds=1.0
        )
    return None


Probe = Callable[[], Awaitable[object]]


class DependencyWatchdog:
    """Pings each dependency every `interval` seconds; calls `on_change(healthy)` when health flips."""

    def __init__(
        self,
        probes: dict[str, Probe],
        on_change: Callable[[bool], Awaitable[None]],
        *,
        interval_seconds: float,
        timeout_seconds: float,
    ) -> None:
        self._probes = probes
        self._on_change = on_change
        self._interval = interval_seconds
        self._timeout = timeout_seconds
        self._task: asyncio.Task[None] | None = None
        self.healthy = True

    def start(self) -> None:
        if self._probes and self._interval > 0:
            self._task = asyncio.create_task(self._run(), name="dependency-watchdog")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def check(self) -> dict[str, str]:
        """Each dependency's problem ("" when fine)."""
        problems = {}
        for name, probe in self._probes.items():
            try:
                await asyncio.wait_for(probe(), self._timeout)
                problems[name] = ""
            except Exception as error:
                problems[name] = f"{type(error).__name__}: {error}"
        return problems

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self._interval)
            problems = await self.check()
            healthy = not any(problems.values())
            if healthy == self.healthy:
                continue
            self.healthy = healthy
            if healthy:
                log.warning("dependencies are back: serving again")
            else:
                down = ", ".join(f"{name} ({problem})" for name, problem in problems.items() if problem)
                log.warning("dependency down, reporting NOT_SERVING: %s", down)
            await self._on_change(healthy)
