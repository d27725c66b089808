"""Every service starts on real PostgreSQL and Redis, migrates, reports SERVING and offers reflection."""

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc

from alphintra.trainer.v1 import dataset_service_pb2, dataset_service_pb2_grpc
from inference import grpc_service_pb2, grpc_service_pb2_grpc
from services.gateway.service import DEFINITION as GATEWAY
from services.mesh.server import Registration, Resources, ServiceDefinition, start_service
from services.mesh.settings import ServiceSettings
from services.predictor.service import DEFINITION as PREDICTOR
from services.signal_bus.service import DEFINITION as SIGNAL_BUS
from services.trainer.service import DEFINITION as TRAINER
from services.workflow.service import DEFINITION as WORKFLOW

pytestmark = pytest.mark.integration

DEFINITIONS = [GATEWAY, WORKFLOW, TRAINER, PREDICTOR, SIGNAL_BUS]


@pytest.fixture(params=DEFINITIONS, ids=lambda definition: definition.name)
async def running(request, database_url, redis_url):
    definition = request.param
    settings = definition.settings_type.load({"DATABASE_URL": database_url, "REDIS_URL": redis_url})
    service = await start_service(definition, settings)
    async with grpc.aio.insecure_channel(f"127.0.0.1:{service.port}") as channel:
        yield service, channel
    await service.stop(0)


async def _reflected_services(channel):
    stub = reflection_pb2_grpc.ServerReflectionStub(channel)
    responses = stub.ServerReflectionInfo(iter([reflection_pb2.ServerReflectionRequest(list_services="")]))
    async for response in responses:
        return {service.name for service in response.list_services_response.service}
    raise AssertionError("reflection answered nothing")


async def _file_for(channel, symbol):
    stub = reflection_pb2_grpc.ServerReflectionStub(channel)
    request = reflection_pb2.ServerReflectionRequest(file_containing_symbol=symbol)
    async for response in stub.ServerReflectionInfo(iter([request])):
        return response
    raise AssertionError("reflection answered nothing")


async def test_reports_serving_for_itself_and_each_of_its_services(running):
    service, channel = running
    health = health_pb2_grpc.HealthStub(channel)
    for name in ["", *(registration.full_name for registration in service.registrations)]:
        reply = await health.Check(health_pb2.HealthCheckRequest(service=name))
        assert reply.status == health_pb2.HealthCheckResponse.SERVING, name


async def test_reflection_lists_its_services_and_serves_their_descriptors(running):
    service, channel = running
    names = {registration.full_name for registration in service.registrations}
    assert names
    listed = await _reflected_services(channel)
    assert names | {"grpc.health.v1.Health", "grpc.reflection.v1alpha.ServerReflection"} <= listed
    for name in names:
        response = await _file_for(channel, name)
        assert response.file_descriptor_response.file_descriptor_proto, name


async def test_the_schema_is_migrated(running):
    service, _ = running
    async with service.resources.database.acquire() as connection:
        versions = await connection.fetch(
            f"SELECT version FROM {service.definition.schema}.schema_migrations ORDER BY version"
        )
    assert [row["version"] for row in versions][:1] == [1]


async def test_health_goes_not_serving_when_stopping(database_url, redis_url):
    settings = WORKFLOW.settings_type.load({"DATABASE_URL": database_url, "REDIS_URL": redis_url})
    service = await start_service(WORKFLOW, settings)
    async with grpc.aio.insecure_channel(f"127.0.0.1:{service.port}") as channel:
        await service.set_serving(False)
        reply = await health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest())
        assert reply.status == health_pb2.HealthCheckResponse.NOT_SERVING
    await service.stop(0)


async def test_an_rpc_without_behaviour_answers_unimplemented():
    """A generated base servicer (an RPC whose behaviour has not landed) says so, honestly."""

    async def build(_resources: Resources) -> list[Registration]:
        servicer = dataset_service_pb2_grpc.DatasetServiceServicer()
        return [Registration.of(dataset_service_pb2, dataset_service_pb2_grpc, "DatasetService", servicer)]

    definition = ServiceDefinition(name="bare", settings_type=ServiceSettings, build=build)
    service = await start_service(definition, ServiceSettings())
    try:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{service.port}") as channel:
            stub = dataset_service_pb2_grpc.DatasetServiceStub(channel)
            with pytest.raises(grpc.aio.AioRpcError) as caught:
                await stub.ListDatasets(dataset_service_pb2.ListDatasetsRequest())
            assert caught.value.code() == grpc.StatusCode.UNIMPLEMENTED
    finally:
        await service.stop(0)


async def test_the_predictor_answers_kserve_server_health_and_metadata(database_url, redis_url):
    settings = PREDICTOR.settings_type.load({"DATABASE_URL": database_url, "REDIS_URL": redis_url})
    service = await start_service(PREDICTOR, settings)
    try:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{service.port}") as channel:
            stub = grpc_service_pb2_grpc.GRPCInferenceServiceStub(channel)
            assert (await stub.ServerLive(grpc_service_pb2.ServerLiveRequest())).live
            assert (await stub.ServerReady(grpc_service_pb2.ServerReadyRequest())).ready
            metadata = await stub.ServerMetadata(grpc_service_pb2.ServerMetadataRequest())
            assert metadata.name == "alphintra-predictor"
            assert metadata.version
    finally:
        await service.stop(0)


async def test_a_service_without_its_database_says_which_setting_is_missing():
    settings = WORKFLOW.settings_type.load({})
    with pytest.raises(ConnectionError, match="DATABASE_URL"):
        await start_service(WORKFLOW, settings)
