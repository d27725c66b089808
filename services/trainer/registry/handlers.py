"""gRPC handlers of the model registry: protobuf <-> the facade, nothing else."""

from __future__ import annotations

from collections.abc import AsyncIterator

import grpc

from alphintra.trainer.v1 import model_registry_service_pb2 as messages
from alphintra.trainer.v1 import model_registry_service_pb2_grpc
from services.mesh.identity import current_caller
from services.trainer.registry.app import ArtifactCorrupted, RegistryApp

Context = grpc.aio.ServicerContext


def _selector(
    request: messages.GetModelVersionRequest | messages.DownloadModelArtifactRequest,
) -> tuple[int, str]:
    which = request.WhichOneof("selector")
    return (request.version, "") if which != "alias" else (0, request.alias)


class RegistryHandlers(model_registry_service_pb2_grpc.ModelRegistryServiceServicer):
    def __init__(self, app: RegistryApp) -> None:
        self._app = app

    async def CreateModel(
        self, request: messages.CreateModelRequest, context: Context
    ) -> messages.CreateModelResponse:
        model = await self._app.create_model(current_caller(), request.model, request.request_id)
        return messages.CreateModelResponse(model=model)

    async def GetModel(
        self, request: messages.GetModelRequest, context: Context
    ) -> messages.GetModelResponse:
        return messages.GetModelResponse(
            model=await self._app.get_model(current_caller(), request.model_name)
        )

    async def ListModels(
        self, request: messages.ListModelsRequest, context: Context
    ) -> messages.ListModelsResponse:
        page = await self._app.list_models(
            current_caller(), request.page_size, request.page_token, request.query
        )
        return messages.ListModelsResponse(models=page.items, next_page_token=page.next_page_token)

    async def CreateModelVersion(
        self, request: messages.CreateModelVersionRequest, context: Context
    ) -> messages.CreateModelVersionResponse:
        version = await self._app.create_version(
            current_caller(),
            request.model_name,
            request.model_version,
            request.artifact_content,
            request.request_id,
        )
        return messages.CreateModelVersionResponse(model_version=version)

    async def GetModelVersion(
        self, request: messages.GetModelVersionRequest, context: Context
    ) -> messages.GetModelVersionResponse:
        version, alias = _selector(request)
        found = await self._app.get_version(current_caller(), request.model_name, version, alias)
        return messages.GetModelVersionResponse(model_version=found)

    async def ListModelVersions(
        self, request: messages.ListModelVersionsRequest, context: Context
    ) -> messages.ListModelVersionsResponse:
        page = await self._app.list_versions(
            current_caller(), request.model_name, request.page_size, request.page_token
        )
        return messages.ListModelVersionsResponse(
            model_versions=page.items, next_page_token=page.next_page_token
        )

    async def SetModelAlias(
        self, request: messages.SetModelAliasRequest, context: Context
    ) -> messages.SetModelAliasResponse:
        change = await self._app.set_alias(
            current_caller(), request.model_name, request.alias, request.version,
            expected=request.expected_current_version, reason=request.reason,
        )  # fmt: skip
        return messages.SetModelAliasResponse(change=change)

    async def DeleteModelAlias(
        self, request: messages.DeleteModelAliasRequest, context: Context
    ) -> messages.DeleteModelAliasResponse:
        change = await self._app.delete_alias(
            current_caller(), request.model_name, request.alias, request.reason
        )
        return messages.DeleteModelAliasResponse(change=change)

    async def ListAliasHistory(
        self, request: messages.ListAliasHistoryRequest, context: Context
    ) -> messages.ListAliasHistoryResponse:
        page = await self._app.alias_history(
            current_caller(), request.model_name, request.alias, request.page_size, request.page_token
        )
        return messages.ListAliasHistoryResponse(changes=page.items, next_page_token=page.next_page_token)

    async def RollbackModelAlias(
        self, request: messages.RollbackModelAliasRequest, context: Context
    ) -> messages.RollbackModelAliasResponse:
        change = await self._app.rollback_alias(
            current_caller(),
            request.model_name,
            request.alias,
            request.expected_current_version,
            request.reason,
        )
        return messages.RollbackModelAliasResponse(change=change)

    async def GetModelLineage(
        self, request: messages.GetModelLineageRequest, context: Context
    ) -> messages.GetModelLineageResponse:
        return await self._app.lineage(current_caller(), request.model_name, request.version)

    async def DownloadModelArtifact(
        self, request: messages.DownloadModelArtifactRequest, context: Context
    ) -> AsyncIterator[messages.DownloadModelArtifactResponse]:
        version, alias = _selector(request)
        try:
            chunks = await self._app.download(
                current_caller(), request.model_name, version, alias, request.offset
            )
        except ArtifactCorrupted as error:
            await context.abort(grpc.StatusCode.DATA_LOSS, str(error))
        async for chunk in chunks:
            yield chunk

    async def SetRetrainingSchedule(
        self, request: messages.SetRetrainingScheduleRequest, context: Context
    ) -> messages.SetRetrainingScheduleResponse:
        model = await self._app.set_schedule(current_caller(), request.model_name, request.schedule)
        return messages.SetRetrainingScheduleResponse(model=model)
