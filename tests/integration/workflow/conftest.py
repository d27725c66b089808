import grpc
import pytest

from alphintra.workflow.v1 import workflow_service_pb2_grpc
from services.core.ownership import Caller, Role
from services.mesh.identity import caller_metadata
from services.mesh.server import start_service
from services.workflow.service import DEFINITION

ALICE = Caller(user_id="alice", organization_id="acme", role=Role.TRADER)
BOB = Caller(user_id="bob", organization_id="acme", role=Role.TRADER)
ACME_ADMIN = Caller(user_id="root", organization_id="acme", role=Role.ADMIN)
VIEWER = Caller(user_id="val", organization_id="acme", role=Role.VIEWER)


class As:
    """A stub that presents one caller's identity on every call."""

    def __init__(self, stub: workflow_service_pb2_grpc.WorkflowServiceStub, caller: Caller) -> None:
        self._stub = stub
        self._metadata = caller_metadata(caller)

    def __getattr__(self, method: str):
        call = getattr(self._stub, method)

        async def invoke(request):
            return await call(request, metadata=self._metadata)

        return invoke


@pytest.fixture
async def workflow_stub(database_url):
    settings = DEFINITION.settings_type.load({"DATABASE_URL": database_url})
    service = await start_service(DEFINITION, settings)
    async with grpc.aio.insecure_channel(f"127.0.0.1:{service.port}") as channel:
        yield workflow_service_pb2_grpc.WorkflowServiceStub(channel)
    await service.stop(0)


@pytest.fixture
def as_alice(workflow_stub):
    return As(workflow_stub, ALICE)


@pytest.fixture
def as_bob(workflow_stub):
    return As(workflow_stub, BOB)


@pytest.fixture
def as_admin(workflow_stub):
    return As(workflow_stub, ACME_ADMIN)


@pytest.fixture
def as_viewer(workflow_stub):
    return As(workflow_stub, VIEWER)
