"""Wiring of the no-code workflow service.

Workflows are stored per owner with immutable versions; graphs are validated,
compiled, executed (STRATEGY mode here or on the trainer for stored datasets; MODEL mode as
trainer jobs), traced, and cloned from templates.
"""

from collections.abc import Sequence
from pathlib import Path

from alphintra.workflow.v1 import workflow_service_pb2, workflow_service_pb2_grpc
from services.mesh.server import Registration, Resources, ServiceDefinition
from services.workflow.app import WorkflowApp
from services.workflow.executions import ExecutionStore
from services.workflow.handlers import WorkflowHandlers
from services.workflow.settings import WorkflowSettings
from services.workflow.store import WorkflowStore
from services.workflow.strategies import StrategyRuns
from services.workflow.trainer_client import TrainerClient


async def build(resources: Resources) -> Sequence[Registration]:
    assert resources.database is not None  # the definition asks for a schema
    settings = resources.settings
    assert isinstance(settings, WorkflowSettings)
    trainer = TrainerClient(settings.trainer_address)
    resources.on_close(trainer.close)
    app = WorkflowApp(WorkflowStore(resources.database), resources.clock, check_job=trainer.get_job)
    runs = StrategyRuns(app, ExecutionStore(resources.database), resources.clock, trainer)
    return [
        Registration.of(
            workflow_service_pb2, workflow_service_pb2_grpc, "WorkflowService", WorkflowHandlers(app, runs)
        )
    ]


DEFINITION = ServiceDefinition(
    name="workflow",
    settings_type=WorkflowSettings,
    build=build,
    schema="workflow",
    migrations=Path(__file__).parent / "sql",
    needs_redis=False,
)
