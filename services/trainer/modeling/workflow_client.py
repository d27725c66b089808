"""The optimisation job's calls to the workflow service, as the job's owner.

A job runs in a process of its own with no incoming call to inherit an identity from, so it
presents its owner's identity itself (the mesh's private network trusts these headers; Envoy
strips them from outside calls). The workflow service applies its own ownership rules, and it
checks a version's `source_job_id` with the trainer, where the job is visible to its owner.

Synchronous gRPC: the runner is synchronous and makes two or three calls.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import grpc
from google.protobuf import field_mask_pb2

from alphintra.workflow.v1 import workflow_pb2, workflow_service_pb2, workflow_service_pb2_grpc
from services.core.errors import Unavailable
from services.core.ownership import Caller, Role
from services.mesh.identity import caller_metadata
from services.mesh.peer_errors import raise_from_peer

PEER = "workflow"
TIMEOUT_SECONDS = 30.0
RECENT_VERSIONS = 50

Reply = TypeVar("Reply")


class WorkflowClient:
    def __init__(self, address: str | None, owner_id: str) -> None:
        if not address:
            raise Unavailable("the workflow service is not configured (ALPHINTRA_TRAINER__WORKFLOW_ADDRESS)")
        self._channel = grpc.insecure_channel(address)
        self._stub = workflow_service_pb2_grpc.WorkflowServiceStub(self._channel)
        self._metadata = caller_metadata(Caller(user_id=owner_id, role=Role.TRADER))

    def __enter__(self) -> WorkflowClient:
        return self

    def __exit__(self, *_: object) -> None:
        self._channel.close()

    def _call(self, method: Callable[..., Reply], request: object) -> Reply:
        try:
            return method(request, metadata=self._metadata, timeout=TIMEOUT_SECONDS)
        except grpc.RpcError as error:
            raise_from_peer(error, PEER)  # type: ignore[arg-type]

    def version(self, workflow_id: str, version: int) -> workflow_pb2.WorkflowVersion:
        request = workflow_service_pb2.GetWorkflowVersionRequest(workflow_id=workflow_id, version=version)
        return self._call(self._stub.GetWorkflowVersion, request).workflow_version

    def save_graph(
        self, workflow_id: str, expected_version: int, graph: workflow_pb2.WorkflowGraph, summary: str,
        job_id: str,
    ) -> workflow_pb2.Workflow:  # fmt: skip
        """A new version with `graph`, made against `expected_version` and recorded as the job's."""
        request = workflow_service_pb2.UpdateWorkflowRequest(
            workflow=workflow_pb2.Workflow(id=workflow_id, graph=graph),
            update_mask=field_mask_pb2.FieldMask(paths=["graph"]),
            expected_version=expected_version,
            change_summary=summary,
            source_job_id=job_id,
        )
        return self._call(self._stub.UpdateWorkflow, request).workflow

    def version_by_job(self, workflow_id: str, job_id: str) -> int:
        """The number of a recent version the job saved (a retried job's earlier attempt), or 0."""
        request = workflow_service_pb2.ListWorkflowVersionsRequest(
            workflow_id=workflow_id, page_size=RECENT_VERSIONS
        )
        versions = self._call(self._stub.ListWorkflowVersions, request).versions
        return next((item.version for item in versions if item.source_job_id == job_id), 0)
