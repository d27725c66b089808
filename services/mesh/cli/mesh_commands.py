"""`alphintra run` (the whole mesh on the embedded default, as `make run`) and
`alphintra health` (every service of a running mesh)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc


def _run(_arguments: argparse.Namespace) -> int:
    from services.mesh.devstack.__main__ import main as run_mesh  # noqa: PLC0415 - only this command needs it

    return run_mesh()


def _health(arguments: argparse.Namespace) -> int:
    endpoints_file = Path(arguments.run_dir) / "endpoints.json"
    if not endpoints_file.exists():
        print(
            f"no running mesh: {endpoints_file} does not exist (start one with `make run`)", file=sys.stderr
        )
        return 1
    endpoints = json.loads(endpoints_file.read_text())
    failures = 0
    for name, address in sorted(endpoints.get("services", {}).items()):
        target = address if isinstance(address, str) else address["grpc"]
        try:
            with grpc.insecure_channel(target) as channel:
                reply = health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=3)
            state = health_pb2.HealthCheckResponse.ServingStatus.Name(reply.status)
        except grpc.RpcError as error:
            state = f"unreachable ({error.code().name})"
        failures += state != "SERVING"
        print(f"{name:<12} {target:<22} {state}")
    return 1 if failures else 0


def register(commands: argparse._SubParsersAction) -> None:
    run = commands.add_parser("run", help="run the whole mesh on the embedded default (as `make run`)")
    run.set_defaults(handler=_run)
    health = commands.add_parser("health", help="check every service of a running mesh")
    health.add_argument("--run-dir", default=".run", help="the mesh's run directory (default .run)")
    health.set_defaults(handler=_health)
