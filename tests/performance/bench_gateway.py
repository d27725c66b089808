"""What Envoy costs per call: one unary RPC direct vs through the full front door, in the same run.

The front door is TLS + JWT verification (ES256) + RBAC on the claims + the per-user rate
limit + the REST/JSON transcoder, exactly as `make run` renders it (with a budget large enough
not to refuse the benchmark). The RPC is the gateway's WhoAmI (one indexed PostgreSQL read),
called sequentially by one client so that the figures are latencies, not throughput:

    direct         gRPC to the service, identity in headers as Envoy would forward it
    envoy gRPC     gRPC over TLS with a bearer token
    envoy REST     GET /v1/auth/whoami over HTTPS (HTTP/1.1, keep-alive): adds transcoding

Aim (DESIGN.md): Envoy adds at most 0.5 ms at p50. The REST client (httpx) spends more of
its own time per call than grpcio does, so its row includes client cost, not only Envoy's.
"""

from __future__ import annotations

import json
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import grpc
import jwt

from alphintra.auth.v1 import auth_pb2, auth_pb2_grpc
from services.core.identity.tiers import PlanTier
from services.mesh.devstack import EmbeddedPostgres, EmbeddedRedis
from services.mesh.envoy_config import Bucket, RateLimits
from tests.integration.gateway.front_door import mesh_behind_envoy, private_database
from tests.performance.measurement import Measurement

WARM_UP_CALLS = 300
MEASURED_CALLS = 3000
ROUNDS = 3
# large enough never to refuse the benchmark: the filter still checks every call
UNLIMITED = Bucket(max_tokens=1_000_000, tokens_per_fill=1_000_000)
RATE_LIMITS = RateLimits(per_tier=dict.fromkeys(PlanTier, UNLIMITED), anonymous=UNLIMITED)


def latencies_ms(call: Callable[[], object], count: int) -> list[float]:
    samples = []
    for _ in range(count):
        started = time.perf_counter()
        call()
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def run() -> list[Measurement]:
    base = Path(tempfile.mkdtemp(prefix="alphintra-bench-gateway-"))
    postgres = EmbeddedPostgres(base / "postgres", fsync=False)
    redis = EmbeddedRedis(base / "redis", appendfsync="everysec")
    postgres.start()
    redis.start()
    try:
        with (
            private_database(postgres.url) as database_url,
            mesh_behind_envoy(
                base / "run", database_url, redis.url, services=("gateway",), rate_limits=RATE_LIMITS
            ) as mesh,
        ):
            return _measure(mesh)
    finally:
        redis.stop()
        postgres.stop()
        shutil.rmtree(base, ignore_errors=True)


def _measure(mesh) -> list[Measurement]:
    token = mesh.sign_in().tokens.access_token
    claims = jwt.decode(token, options={"verify_signature": False})
    forwarded = (
        ("x-alphintra-user-id", claims["sub"]),
        ("x-alphintra-org-id", claims["org"]),
        ("x-alphintra-role", claims["role"]),
        ("x-alphintra-tier", claims["tier"]),
    )
    endpoint = mesh.endpoints["gateway"]
    direct_channel = grpc.insecure_channel(endpoint.address)
    direct = auth_pb2_grpc.AuthServiceStub(direct_channel)
    through = auth_pb2_grpc.AuthServiceStub(mesh.channel())
    request = auth_pb2.WhoAmIRequest()
    bearer = (("authorization", f"Bearer {token}"),)
    paths: dict[str, Callable[[], object]] = {
        "direct": lambda: direct.WhoAmI(request, metadata=forwarded, timeout=5),
        "envoy gRPC": lambda: through.WhoAmI(request, metadata=bearer, timeout=5),
    }
    samples: dict[str, list[float]] = {name: [] for name in [*paths, "envoy REST"]}
    with mesh.http() as http:
        paths["envoy REST"] = lambda: http.get(
            "/v1/auth/whoami", headers={"authorization": f"Bearer {token}"}
        )
        for call in paths.values():
            latencies_ms(call, WARM_UP_CALLS)
        # interleaved rounds: drift on a shared machine hits every path alike
        for _ in range(ROUNDS):
            for name, call in paths.items():
                samples[name] += latencies_ms(call, MEASURED_CALLS // ROUNDS)
    direct_channel.close()
    _report_envoy_time(mesh.envoy.log_path)
    return _report(samples)


def _report_envoy_time(log_path: Path) -> None:
    """Envoy's own share, from its access log's timings (µs, medians over every WhoAmI it logged):
    how long it held a request after the client had sent it, and an answer after the service had."""
    held: dict[str, list[int]] = {"envoy gRPC": [], "envoy REST": []}
    answered: dict[str, list[int]] = {"envoy gRPC": [], "envoy REST": []}
    for line in log_path.read_text(errors="replace").splitlines():
        if not line.startswith("{"):
            continue
        entry = json.loads(line)
        if not entry.get("grpc_method", "").endswith("/WhoAmI") or entry.get("envoy_response_us") is None:
            continue
        name = "envoy REST" if entry["path"].startswith("/v1/") else "envoy gRPC"
        # null: Envoy had already forwarded the request before the client finished sending it
        held[name].append(entry["envoy_request_us"] or 0)
        answered[name].append(entry["envoy_response_us"])
    print(
        "envoy's own time per call (µs, p50; from its access log): "
        + ", ".join(
            f"{name} request {statistics.median(held[name]):.0f}"
            f" + response {statistics.median(answered[name]):.0f}"
            for name in held
            if held[name]
        ),
        flush=True,
    )


def _report(samples: dict[str, list[float]]) -> list[Measurement]:
    direct = samples["direct"]
    measurements = []
    for name in ("envoy gRPC", "envoy REST"):
        for label, fraction in (("p50", 0.5), ("p95", 0.95)):
            ours, reference = percentile(samples[name], fraction), percentile(direct, fraction)
            measurements.append(
                Measurement(
                    benchmark=f"gateway: WhoAmI {label} through {name} (TLS+JWT+RBAC+rate limit+transcoder)",
                    unit="ms",
                    ours=ours,
                    reference_name="direct gRPC",
                    reference=reference,
                    higher_is_better=False,
                    aim=f"adds ≤ 0.5 ms at p50 (adds {ours - reference:+.2f} ms)" if label == "p50" else "",
                )
            )
    print(
        "gateway latencies (ms): "
        + ", ".join(f"{name} p50 {statistics.median(values):.3f}" for name, values in samples.items()),
        flush=True,
    )
    return measurements
