"""Drill: PostgreSQL restarted under load. The service says NOT_SERVING while it is gone, answers
UNAVAILABLE (never INTERNAL) meanwhile, serves again when it is back, and loses no acknowledged write."""

from __future__ import annotations

import asyncio
import shutil
import tempfile
import time
from pathlib import Path

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from alphintra.workflow.v1 import workflow_pb2, workflow_service_pb2_grpc
from alphintra.workflow.v1 import workflow_service_pb2 as messages
from services.core.ownership import Caller, Role
from services.mesh.devstack.ports import free_port
from services.mesh.devstack.postgres import EmbeddedPostgres
from services.mesh.identity import caller_metadata
from services.mesh.server import start_service
from services.workflow.service import DEFINITION

pytestmark = [pytest.mark.integration, pytest.mark.slow]

ALICE = caller_metadata(Caller(user_id="alice", organization_id="acme", role=Role.TRADER))


@pytest.fixture
def own_postgres():
    """A PostgreSQL of this test's own, on a fixed port so that it can be restarted in place."""
    data_dir = Path(tempfile.mkdtemp(prefix="alphintra-drill-pg-"))
    server = EmbeddedPostgres(data_dir, port=free_port(), fsync=False)
    server.start()
    try:
        yield server
    finally:
        server.stop()
        shutil.rmtree(data_dir, ignore_errors=True)


async def _health(channel: grpc.aio.Channel) -> int:
    reply = await health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=2)
    return reply.status


async def _until_health(channel: grpc.aio.Channel, wanted: int, timeout_seconds: float) -> float:
    started = time.monotonic()
    while time.monotonic() - started < timeout_seconds:
        if await _health(channel) == wanted:
            return time.monotonic() - started
        await asyncio.sleep(0.05)
    raise AssertionError(f"health never became {health_pb2.HealthCheckResponse.ServingStatus.Name(wanted)}")


async def test_postgres_restart_under_load(own_postgres):
    database_url = own_postgres.create_database("drill")
    settings = DEFINITION.settings_type.load(
        {"DATABASE_URL": database_url, "ALPHINTRA_WORKFLOW__DEPENDENCY_CHECK_INTERVAL_SECONDS": "0.2"}
    )
    service = await start_service(DEFINITION, settings)
    acknowledged: list[str] = []
    codes: dict[str, int] = {}
    stop_writing = asyncio.Event()
    try:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{service.port}") as channel:
            stub = workflow_service_pb2_grpc.WorkflowServiceStub(channel)

            async def write() -> None:
                number = 0
                while not stop_writing.is_set():
                    number += 1
                    workflow = workflow_pb2.Workflow(display_name=f"w{number}")
                    try:
                        reply = await stub.CreateWorkflow(
                            messages.CreateWorkflowRequest(workflow=workflow, request_id=f"r{number}"),
                            metadata=ALICE, timeout=5,
                        )  # fmt: skip
                        acknowledged.append(reply.workflow.id)
                        codes["OK"] = codes.get("OK", 0) + 1
                    except grpc.aio.AioRpcError as error:
                        codes[error.code().name] = codes.get(error.code().name, 0) + 1
                        await asyncio.sleep(0.02)

            writer = asyncio.create_task(write())
            await asyncio.sleep(0.5)
            before_outage = len(acknowledged)
            assert before_outage > 0
            await asyncio.to_thread(own_postgres.stop)
            await _until_health(channel, health_pb2.HealthCheckResponse.NOT_SERVING, timeout_seconds=10)
            await asyncio.sleep(0.5)
            await asyncio.to_thread(own_postgres.start)
            await _until_health(channel, health_pb2.HealthCheckResponse.SERVING, timeout_seconds=15)
            recovered_at = len(acknowledged)
            await asyncio.sleep(1.0)
            stop_writing.set()
            await writer
            assert len(acknowledged) > recovered_at, "writes did not resume after PostgreSQL came back"
            assert codes.get("UNAVAILABLE", 0) > 0, codes
            assert set(codes) <= {"OK", "UNAVAILABLE"}, f"only OK or UNAVAILABLE expected: {codes}"
            stored = set()
            for workflow_id in acknowledged:
                reply = await stub.GetWorkflow(
                    messages.GetWorkflowRequest(workflow_id=workflow_id), metadata=ALICE, timeout=5
                )
                stored.add(reply.workflow.id)
            assert stored == set(acknowledged)
    finally:
        stop_writing.set()
        await service.stop(0)
