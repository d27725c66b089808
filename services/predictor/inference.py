"""The KServe v2 / Open Inference Protocol handlers.

Server-level health and metadata are real already. The model-level RPCs (ModelReady,
ModelMetadata, ModelInfer, ModelStreamInfer) stay UNIMPLEMENTED, from the generated base
class, until the predictor issue brings the model repository.
"""

from __future__ import annotations

from importlib.metadata import version

import grpc

from inference import grpc_service_pb2, grpc_service_pb2_grpc

SERVER_NAME = "alphintra-predictor"


class InferenceHandlers(grpc_service_pb2_grpc.GRPCInferenceServiceServicer):
    async def ServerLive(
        self, request: grpc_service_pb2.ServerLiveRequest, context: grpc.aio.ServicerContext
    ) -> grpc_service_pb2.ServerLiveResponse:
        return grpc_service_pb2.ServerLiveResponse(live=True)

    async def ServerReady(
        self, request: grpc_service_pb2.ServerReadyRequest, context: grpc.aio.ServicerContext
    ) -> grpc_service_pb2.ServerReadyResponse:
        # ready means "every model this server was asked to serve is loaded"; it serves none yet
        return grpc_service_pb2.ServerReadyResponse(ready=True)

    async def ServerMetadata(
        self, request: grpc_service_pb2.ServerMetadataRequest, context: grpc.aio.ServicerContext
    ) -> grpc_service_pb2.ServerMetadataResponse:
        return grpc_service_pb2.ServerMetadataResponse(name=SERVER_NAME, version=version("alphintra"))
