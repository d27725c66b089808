"""CreateJobFromWorkflow: compile a workflow version through WorkflowService, then queue a job on it.

The trainer never reads the workflow service's tables: it asks over gRPC with the caller's identity
(forwarded by `mesh_channel`), so the workflow service applies its own ownership rule and reports
graph errors naming node ids, which come back to the caller unchanged (`raise_from_peer`).
"""

from __future__ import annotations

import grpc

from alphintra.strategy.v1 import strategy_spec_pb2
from alphintra.trainer.v1 import training_service_pb2 as messages
from alphintra.workflow.v1 import workflow_service_pb2, workflow_service_pb2_grpc
from services.core.errors import FailedPrecondition, FieldViolation, InvalidArgument, Unavailable
from services.core.ownership import Caller, Role, require_role
from services.mesh.clients import mesh_channel
from services.mesh.peer_errors import raise_from_peer
from services.trainer.jobs import kinds
from services.trainer.jobs.app import JobsApp, Provenance

PEER = "workflow"
COMPILE_TIMEOUT_SECONDS = 30.0


class WorkflowJobs:
    def __init__(self, jobs: JobsApp, workflow_address: str | None) -> None:
        self._jobs = jobs
        self._address = workflow_address
        self._channel: grpc.aio.Channel | None = None

    async def close(self) -> None:
        if self._channel is not None:
            await self._channel.close()
            self._channel = None

    async def _compile(self, workflow_id: str, version: int) -> strategy_spec_pb2.StrategySpec:
        if not self._address:
            raise Unavailable("the workflow service is not configured (ALPHINTRA_TRAINER__WORKFLOW_ADDRESS)")
        if self._channel is None:
            self._channel = mesh_channel(self._address)
        stub = workflow_service_pb2_grpc.WorkflowServiceStub(self._channel)
        request = workflow_service_pb2.CompileWorkflowRequest(workflow_id=workflow_id, version=version)
        try:
            response = await stub.CompileWorkflow(request, timeout=COMPILE_TIMEOUT_SECONDS)
        except grpc.aio.AioRpcError as error:
            raise_from_peer(error, PEER)
        return response.spec

    async def create(
        self, caller: Caller, workflow_id: str, workflow_version: int, job: messages.Job, request_id: str
    ) -> messages.Job:
        require_role(caller, Role.TRADER)
        member = _spec_member(job, workflow_id, workflow_version)
        spec = await self._compile(workflow_id, workflow_version)
        if job.kind == messages.JOB_KIND_OPTIMIZATION and not spec.tunable_parameters:
            raise FailedPrecondition(
                "the workflow has no optimization ranges: give a node parameter a range to optimise",
                [("OPTIMIZATION_RANGES", f"workflows/{workflow_id}", "no tunable parameters")],
            )
        filled = messages.Job()
        filled.CopyFrom(job)
        getattr(filled.config, member).spec.CopyFrom(spec)
        provenance = Provenance(workflow_id, spec.workflow_version or workflow_version)
        return await self._jobs.create(caller, filled, request_id, provenance)


def _spec_member(job: messages.Job, workflow_id: str, workflow_version: int) -> str:
    """The config member whose spec the compiled workflow fills; every problem of the request at once."""
    violations = []
    if not workflow_id:
        violations.append(FieldViolation("workflow_id", "required"))
    if workflow_version < 0:
        violations.append(FieldViolation("workflow_version", "must be ≥ 0 (0 means the latest)"))
    member = kinds.CONFIG_MEMBER.get(job.kind, "")
    if member and "spec" not in getattr(job.config, member).DESCRIPTOR.fields_by_name:
        violations.append(
            FieldViolation(
                "job.kind", f"a {messages.JobKind.Name(job.kind)} job does not run a workflow's spec"
            )
        )
    elif member and getattr(job.config, member).HasField("spec"):
        violations.append(
            FieldViolation(f"job.config.{member}.spec", "leave it unset: the compiled workflow fills it")
        )
    elif not member:
        violations.append(FieldViolation("job.kind", "choose the kind of job to run on the workflow"))
    if violations:
        raise InvalidArgument("invalid job from workflow", violations)
    return member
