"""Wiring of the no-code workflow service.

The generated base servicers answer UNIMPLEMENTED for every RPC whose behaviour has not
landed yet (the node catalog, workflows, validation, compilation and execution: the
strategy-engine issue); handlers replace them as it does.
"""

from collections.abc import Sequence
from pathlib import Path

from alphintra.workflow.v1 import workflow_service_pb2, workflow_service_pb2_grpc
from services.mesh.server import Registration, Resources, ServiceDefinition
from services.workflow.settings import WorkflowSettings


async def build(_resources: Resources) -> Sequence[Registration]:
    return [
        Registration.of(
            workflow_service_pb2,
            workflow_service_pb2_grpc,
            "WorkflowService",
            workflow_service_pb2_grpc.WorkflowServiceServicer(),
        ),
    ]


DEFINITION = ServiceDefinition(
    name="workflow",
    settings_type=WorkflowSettings,
    build=build,
    schema="workflow",
    migrations=Path(__file__).parent / "sql",
    needs_redis=False,
)
