"""SIGTERM lets in-flight calls finish, refuses new ones, and exits cleanly."""

import asyncio
import os
import re
import signal
import sys

import grpc
import pytest

from .runtime_helpers import unary

pytestmark = pytest.mark.integration


async def _start_probe_process(grace: float) -> tuple[asyncio.subprocess.Process, int]:
    environment = {**os.environ, "ALPHINTRA_PROBE__GRACE_PERIOD_SECONDS": str(grace)}
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.integration.slow_service",
        env=environment,
        stderr=asyncio.subprocess.PIPE,
    )
    assert process.stderr is not None
    while True:
        line = (await asyncio.wait_for(process.stderr.readline(), timeout=30)).decode()
        assert line, "the probe service exited before serving"
        if match := re.search(r"serving on 127\.0\.0\.1:(\d+)", line):
            return process, int(match[1])


async def test_sigterm_finishes_in_flight_calls_then_exits():
    process, port = await _start_probe_process(grace=10)
    try:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
            sleep = unary(channel, "Sleep")
            in_flight = asyncio.ensure_future(sleep(b"1.5"))
            await asyncio.sleep(0.5)
            process.send_signal(signal.SIGTERM)
            assert await asyncio.wait_for(in_flight, timeout=10) == b"finished 1.5"
        exit_code = await asyncio.wait_for(process.wait(), timeout=10)
        assert exit_code == 0
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


async def test_calls_arriving_after_sigterm_are_refused():
    process, port = await _start_probe_process(grace=10)
    try:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
            sleep = unary(channel, "Sleep")
            in_flight = asyncio.ensure_future(sleep(b"1.5"))
            await asyncio.sleep(0.5)
            process.send_signal(signal.SIGTERM)
            await asyncio.sleep(0.3)
            with pytest.raises(grpc.aio.AioRpcError) as refused:
                await sleep(b"0", timeout=5)
            assert refused.value.code() == grpc.StatusCode.UNAVAILABLE
            await in_flight
        await asyncio.wait_for(process.wait(), timeout=10)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


async def test_the_grace_period_bounds_shutdown():
    process, port = await _start_probe_process(grace=0.5)
    try:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
            in_flight = asyncio.ensure_future(unary(channel, "Sleep")(b"30"))
            await asyncio.sleep(0.5)
            process.send_signal(signal.SIGTERM)
            with pytest.raises(grpc.aio.AioRpcError) as cut:
                await asyncio.wait_for(in_flight, timeout=10)
            assert cut.value.code() in {grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.CANCELLED}
        assert await asyncio.wait_for(process.wait(), timeout=10) == 0
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
