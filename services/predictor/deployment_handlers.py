"""DeploymentService handlers: protobuf <-> the Deployments facade, nothing else."""

from __future__ import annotations

import grpc

from alphintra.predictor.v1 import deployment_service_pb2 as messages
from alphintra.predictor.v1 import deployment_service_pb2_grpc
from services.core.errors import FieldViolation, InvalidArgument
from services.mesh.identity import current_caller
from services.predictor.deployments import Deployments


def _required_id(deployment_id: str) -> str:
    if not deployment_id:
        raise InvalidArgument("deployment_id is required", [FieldViolation("deployment_id", "required")])
    return deployment_id


class DeploymentHandlers(deployment_service_pb2_grpc.DeploymentServiceServicer):
    def __init__(self, deployments: Deployments) -> None:
        self._deployments = deployments

    async def CreateDeployment(
        self, request: messages.CreateDeploymentRequest, context: grpc.aio.ServicerContext
    ) -> messages.CreateDeploymentResponse:
        deployment = await self._deployments.create(current_caller(), request.deployment, request.request_id)
        return messages.CreateDeploymentResponse(deployment=deployment)

    async def StopDeployment(
        self, request: messages.StopDeploymentRequest, context: grpc.aio.ServicerContext
    ) -> messages.StopDeploymentResponse:
        deployment = await self._deployments.stop(
            current_caller(), _required_id(request.deployment_id), request.reason
        )
        return messages.StopDeploymentResponse(deployment=deployment)

    async def GetDeployment(
        self, request: messages.GetDeploymentRequest, context: grpc.aio.ServicerContext
    ) -> messages.GetDeploymentResponse:
        deployment = await self._deployments.get(current_caller(), _required_id(request.deployment_id))
        return messages.GetDeploymentResponse(deployment=deployment)

    async def ListDeployments(
        self, request: messages.ListDeploymentsRequest, context: grpc.aio.ServicerContext
    ) -> messages.ListDeploymentsResponse:
        items, token = await self._deployments.list(
            current_caller(), request.page_size, request.page_token, request.state
        )
        return messages.ListDeploymentsResponse(deployments=items, next_page_token=token)

    async def GetLatestFeatures(
        self, request: messages.GetLatestFeaturesRequest, context: grpc.aio.ServicerContext
    ) -> messages.GetLatestFeaturesResponse:
        found = await self._deployments.latest_features(
            current_caller(), _required_id(request.deployment_id), request.symbol
        )
        response = messages.GetLatestFeaturesResponse()
        for item in found:
            entry = response.symbols.add(
                symbol=item.symbol, feature_names=item.names, values=item.values, ready=item.ready
            )
            entry.bar_time.FromDatetime(item.bar_time)
        return response
