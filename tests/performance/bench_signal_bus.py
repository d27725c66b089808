"""The signal bus against redis-py doing the same work directly, in the same run, on the same Redis.

- durably acknowledged signals/s while 10 subscribers follow live: client-streamed publishes
  (4 streams) answered after Redis (appendfsync always) has the batch; reference: redis-py
  pipelining XADDs in batches of 1,000 (each batch one fsync, as the bus's writer does); the
  median of 3 rounds each, bus and reference alternating (each reference round once the bus's
  history and webhook consumers have stored the bus's round);
- deliveries/s to 100 subscribers reading the same 20,000 signals; reference: 100 redis-py
  readers doing XREAD COUNT 1000 over the same stream;
- publish→deliver latency p50/p99 at a steady 1,000 signals/s (unary publishes, one subscriber);
  reference: XADD then a blocking XREAD reader. Beside them, the peak time Redis itself spent in
  one AOF fsync during each latency phase (its latency monitor, `LATENCY LATEST`): no publish
  acknowledged after an fsync can be delivered sooner than that fsync, so it is this machine's
  floor for the tail.
The bus runs as its own process (`python -m services.signal_bus`), as deployed.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc
from redis.asyncio import Redis

from alphintra.signalbus.v1 import signal_bus_service_pb2 as messages
from alphintra.signalbus.v1 import signal_bus_service_pb2_grpc, signal_pb2
from services.core.ownership import Caller, Role
from services.mesh.devstack import EmbeddedPostgres, EmbeddedRedis
from services.mesh.devstack.ports import free_port
from services.mesh.devstack.processes import spawn, terminate
from services.mesh.identity import caller_metadata
from tests.performance.measurement import Measurement

PUBLISHED = 40_000
PUBLISH_STREAMS = 4
PUBLISH_ROUNDS = 3
LIVE_SUBSCRIBERS = 10
FANOUT_SIGNALS = 20_000
FANOUT_SUBSCRIBERS = 100
LATENCY_SECONDS = 5
LATENCY_RATE = 1_000
METADATA = caller_metadata(Caller("bench", "bench-org", Role.TRADER))
TOPIC_PREFIX = "bench"
SIGNALS_STREAM = f"{TOPIC_PREFIX}:signals"  # the bus's signal topic in Redis


def _signal(index: int, prefix: str) -> signal_pb2.Signal:
    return signal_pb2.Signal(
        signal_id=f"{prefix}-{index}",
        strategy_id="bench",
        symbol="BTC-USD",
        action=signal_pb2.ACTION_BUY,
        confidence=0.7,
        quantity=1,
        metadata={"sent": repr(time.perf_counter())},
    )


async def _wait_serving(address: str, process) -> None:
    async with grpc.aio.insecure_channel(address) as channel:
        health = health_pb2_grpc.HealthStub(channel)
        for _ in range(300):
            if process.poll() is not None:
                raise RuntimeError("the bus exited at start")
            try:
                reply = await health.Check(health_pb2.HealthCheckRequest(), timeout=1)
                if reply.status == health_pb2.HealthCheckResponse.SERVING:
                    return
            except grpc.aio.AioRpcError:
                pass
            await asyncio.sleep(0.1)
    raise RuntimeError("the bus did not start")


async def _follow(stub, until: int, counts: list[int], slot: int) -> None:
    call = stub.Subscribe(messages.SubscribeRequest(from_now=True, max_batch_size=1000), metadata=METADATA)
    while counts[slot] < until and (response := await call.read()) is not grpc.aio.EOF:
        counts[slot] += len(response.signals)
    call.cancel()


async def _bus_publish_rate(stub, batch: int = 500, published: int = PUBLISHED, round_: int = 0) -> float:
    """Acknowledged signals/s over PUBLISH_STREAMS client streams, `batch` signals per message
    (signal ids unique per `round_`, so that no round's signals are duplicates of another's)."""
    counts = [0] * LIVE_SUBSCRIBERS
    followers = [
        asyncio.create_task(_follow(stub, published, counts, slot)) for slot in range(LIVE_SUBSCRIBERS)
    ]
    await asyncio.sleep(1.0)
    per_stream = published // PUBLISH_STREAMS

    async def stream(number: int) -> None:
        async def requests():
            for start in range(0, per_stream, batch):
                signals = [
                    _signal(index, f"p{batch}-{round_}-{number}")
                    for index in range(start, min(start + batch, per_stream))
                ]
                if batch == 1:
                    yield messages.PublishSignalsRequest(signal=signals[0])
                else:
                    yield messages.PublishSignalsRequest(signals=signals)

        async for _ack in stub.PublishSignals(requests(), metadata=METADATA):
            pass

    started = time.perf_counter()
    await asyncio.gather(*(stream(number) for number in range(PUBLISH_STREAMS)))
    rate = published / (time.perf_counter() - started)
    await asyncio.wait_for(asyncio.gather(*followers), 60)
    return rate


async def _bus_single_publish_rate(stub) -> float:
    return await _bus_publish_rate(stub, batch=1, published=8_000)


async def _redis_publish_rate(client: Redis) -> float:
    body = _signal(0, "r").SerializeToString()
    started = time.perf_counter()
    for _batch in range(PUBLISHED // 1000):
        pipeline = client.pipeline(transaction=False)
        for _ in range(1000):
            pipeline.xadd("reference:publish", {"b": body, "g": "bench-org"})
        await pipeline.execute()
    return PUBLISHED / (time.perf_counter() - started)


async def _bus_delivery_rate(stub) -> float:
    async def requests():
        for index in range(FANOUT_SIGNALS):
            yield messages.PublishSignalsRequest(signal=_signal(index, "fan"))

    offsets = [ack.offset async for ack in stub.PublishSignals(requests(), metadata=METADATA)]
    last = offsets[-1]
    # just before the first of them (offsets are "<ms>-<seq>" on the Redis engine)
    before_first = f"{int(offsets[0].split('-')[0]) - 1}-{2**64 - 1}"

    async def read_all() -> int:
        request = messages.SubscribeRequest(from_offset=before_first, max_batch_size=1000)
        call = stub.Subscribe(request, metadata=METADATA)
        seen = 0
        while (response := await call.read()) is not grpc.aio.EOF:
            seen += len(response.signals)
            if response.resume_offset == last:
                break
        call.cancel()
        return seen

    started = time.perf_counter()
    counts = await asyncio.gather(*(read_all() for _ in range(FANOUT_SUBSCRIBERS)))
    return sum(counts) / (time.perf_counter() - started)


async def _redis_delivery_rate(client: Redis) -> float:
    body = _signal(0, "r").SerializeToString()
    for _batch in range(FANOUT_SIGNALS // 1000):
        pipeline = client.pipeline(transaction=False)
        for _ in range(1000):
            pipeline.xadd("reference:fanout", {"b": body, "g": "bench-org"})
        await pipeline.execute()

    async def read_all() -> int:
        after, seen = "0-0", 0
        while True:
            reply = await client.xread({"reference:fanout": after}, count=1000)
            if not reply:
                return seen
            entries = reply[0][1]
            seen += len(entries)
            after = entries[-1][0]

    started = time.perf_counter()
    counts = await asyncio.gather(*(read_all() for _ in range(FANOUT_SUBSCRIBERS)))
    return sum(counts) / (time.perf_counter() - started)


async def _paced(label: str, publish: Callable[[int], Awaitable[object]]) -> None:
    """Start `publish(index)` LATENCY_RATE times a second without waiting for the answers; the
    load client keeps only the publishes still in flight, and reports the ones that failed."""
    interval = 1 / LATENCY_RATE
    total = LATENCY_RATE * LATENCY_SECONDS
    pending: set[asyncio.Task] = set()
    failures: list[BaseException] = []

    async def publish_one(index: int) -> None:
        # awaited inside a task: a gRPC call object nobody references is cancelled when collected
        await publish(index)

    def finished(task: asyncio.Task) -> None:
        pending.discard(task)
        if not task.cancelled() and task.exception() is not None:
            failures.append(task.exception())

    started = time.perf_counter()
    for index in range(total):
        delay = started + index * interval - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        task = asyncio.create_task(publish_one(index))
        pending.add(task)
        task.add_done_callback(finished)
    await asyncio.gather(*pending, return_exceptions=True)
    if failures:
        print(f"{label} latency: {len(failures)} of {total} publishes failed", file=sys.stderr)


async def _bus_latency(stub) -> list[float]:
    latencies: list[float] = []
    total = LATENCY_RATE * LATENCY_SECONDS

    async def subscribe() -> None:
        call = stub.Subscribe(messages.SubscribeRequest(from_now=True), metadata=METADATA)
        while len(latencies) < total and (response := await call.read()) is not grpc.aio.EOF:
            now = time.perf_counter()
            latencies.extend(now - float(record.signal.metadata["sent"]) for record in response.signals)
        call.cancel()

    reader = asyncio.create_task(subscribe())
    await asyncio.sleep(0.5)
    await _paced(
        "signal bus",
        lambda index: stub.PublishSignal(
            messages.PublishSignalRequest(signal=_signal(index, "lat")), metadata=METADATA
        ),
    )
    await asyncio.sleep(1.0)  # the last deliveries
    reader.cancel()
    await asyncio.gather(reader, return_exceptions=True)
    return latencies


async def _redis_latency(client: Redis, url: str) -> list[float]:
    latencies: list[float] = []
    total = LATENCY_RATE * LATENCY_SECONDS
    reader_client = Redis.from_url(url)

    async def subscribe() -> None:
        after = "$"
        while len(latencies) < total:
            reply = await reader_client.xread({"reference:latency": after}, block=1000, count=1000)
            now = time.perf_counter()
            if reply:
                for offset, fields in reply[0][1]:
                    latencies.append(now - float(fields[b"sent"]))
                    after = offset

    reader = asyncio.create_task(subscribe())
    await asyncio.sleep(0.5)
    await _paced("redis-py", lambda _: client.xadd("reference:latency", {"sent": repr(time.perf_counter())}))
    await asyncio.wait_for(reader, 30)
    await reader_client.aclose()
    return latencies


async def _fsync_peak(client: Redis, phase: Callable[[], Awaitable[list[float]]]):
    """Run a latency phase with Redis's latency monitor on; return its latencies and the longest
    `appendfsync always` fsync Redis recorded meanwhile, in ms (0 when none took 1 ms)."""
    await client.config_set("latency-monitor-threshold", 1)
    await client.execute_command("LATENCY", "RESET")
    latencies = await phase()
    events = await client.execute_command("LATENCY", "LATEST")
    await client.config_set("latency-monitor-threshold", 0)
    peaks = [int(event[3]) for event in events if event[0] == b"aof-fsync-always"]
    return latencies, float(max(peaks, default=0))


async def _consumers_idle(client: Redis, timeout_seconds: float = 120.0) -> None:
    """Until the bus's history and webhook consumer groups have taken and acknowledged everything:
    they store a round's signals for a while after it is acknowledged, and the reference measured
    meanwhile would share the machine with them."""
    deadline = time.monotonic() + timeout_seconds
    while time.monotonic() < deadline:
        added = (await client.xinfo_stream(SIGNALS_STREAM))["entries-added"]
        groups = await client.xinfo_groups(SIGNALS_STREAM)
        # entries-read rather than lag, which Redis reports as unknown (nil) after some trims
        if groups and all(group["entries-read"] == added and group["pending"] == 0 for group in groups):
            return
        await asyncio.sleep(0.1)
    raise RuntimeError("the bus's consumers did not catch up with the round")


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))] * 1000


async def _on_fresh_channel(address: str, phase):
    """Each phase on its own connection, as separate clients would be."""
    async with grpc.aio.insecure_channel(address) as channel:
        return await phase(signal_bus_service_pb2_grpc.SignalBusServiceStub(channel))


async def _measure(address: str, redis_url: str) -> list[Measurement]:
    client = Redis.from_url(redis_url)
    # latency first: after the throughput phases the bus's history and webhook consumers spend
    # a while catching up on their 60,000 signals, which is not the steady 1,000/s being measured
    bus_latency, bus_fsync = await _fsync_peak(client, lambda: _on_fresh_channel(address, _bus_latency))
    redis_latency, redis_fsync = await _fsync_peak(client, lambda: _redis_latency(client, redis_url))
    # throughput: rounds alternating bus and reference, so that both see the same noisy spells of
    # this shared machine; the median of each
    bus_rates, redis_rates = [], []
    for round_ in range(PUBLISH_ROUNDS):
        bus_rates.append(
            await _on_fresh_channel(address, lambda stub, r=round_: _bus_publish_rate(stub, round_=r))
        )
        await _consumers_idle(client)
        redis_rates.append(await _redis_publish_rate(client))
    bus_publish, redis_publish = statistics.median(bus_rates), statistics.median(redis_rates)
    print(f"acknowledged signals/s by round: bus {[round(rate) for rate in bus_rates]}, "
          f"redis-py {[round(rate) for rate in redis_rates]}")  # fmt: skip
    bus_single_publish = await _on_fresh_channel(address, _bus_single_publish_rate)
    bus_delivery = await _on_fresh_channel(address, _bus_delivery_rate)
    redis_delivery = await _redis_delivery_rate(client)
    await client.aclose()
    return [
        Measurement(
            "signal bus: durably acknowledged signals/s, 500 per message, 10 live subscribers",
            "signals/s",
            bus_publish,
            "redis-py pipelined XADD (appendfsync always)",
            redis_publish,
            aim="≥ 50,000/s",
        ),
        Measurement(
            "signal bus: durably acknowledged signals/s, 1 per message, 10 live subscribers",
            "signals/s",
            bus_single_publish,
            "redis-py pipelined XADD (appendfsync always)",
            redis_publish,
        ),
        Measurement(
            "signal bus: deliveries/s to 100 subscribers",
            "deliveries/s",
            bus_delivery,
            "redis-py XREAD ×100",
            redis_delivery,
            aim="≥ 500,000/s",
        ),
        Measurement(
            "signal bus: publish→deliver p50 at 1,000 signals/s",
            "ms",
            _percentile(bus_latency, 0.5),
            "redis-py XADD→XREAD",
            _percentile(redis_latency, 0.5),
            higher_is_better=False,
        ),
        Measurement(
            "signal bus: publish→deliver p99 at 1,000 signals/s",
            "ms",
            _percentile(bus_latency, 0.99),
            "redis-py XADD→XREAD",
            _percentile(redis_latency, 0.99),
            higher_is_better=False,
            aim="≤ 5 ms",
        ),
        Measurement(
            "signal bus: Redis's longest AOF fsync during the 1,000/s phase (LATENCY LATEST)",
            "ms",
            bus_fsync,
            "the same during the redis-py phase",
            redis_fsync,
            higher_is_better=False,
        ),
    ]


def run() -> list[Measurement]:
    root = Path(tempfile.mkdtemp(prefix="alphintra-bench-bus-"))
    redis = EmbeddedRedis(root / "redis", appendfsync="always")
    postgres = EmbeddedPostgres(root / "postgres", fsync=False)
    port = free_port()
    process = None
    try:
        redis.start()
        postgres.start()
        environment = {
            **os.environ,
            "DATABASE_URL": postgres.url,
            "REDIS_URL": redis.url,
            "ALPHINTRA_SIGNAL_BUS__PORT": str(port),
            "ALPHINTRA_SIGNAL_BUS__TOPIC_PREFIX": TOPIC_PREFIX,
            "ALPHINTRA_SIGNAL_BUS__LOG_LEVEL": "WARNING",
        }
        process = spawn([sys.executable, "-m", "services.signal_bus"], root / "bus.log", environment)
        address = f"127.0.0.1:{port}"
        asyncio.run(_wait_serving(address, process))
        return asyncio.run(_measure(address, redis.url))
    except Exception:
        print((root / "bus.log").read_text()[-4000:], file=sys.stderr)
        raise
    finally:
        if process is not None:
            terminate(process, 10)
        redis.stop()
        postgres.stop()
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    for item in run():
        print(
            f"{item.benchmark}: {item.ours:,.2f} {item.unit} vs {item.reference_name} {item.reference:,.2f}"
        )
