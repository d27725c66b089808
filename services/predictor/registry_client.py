"""The predictor's calls to the trainer's ModelRegistryService, made on behalf of a model's owner.

Registry models are owned: the predictor reads a model as its owner (the owner's identity
headers on the call), so the registry's own ownership rule decides, and another user's model is
NOT_FOUND here exactly as it is there. Errors come back as the taxonomy (`raise_from_peer`).
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import grpc

from alphintra.trainer.v1 import model_registry_service_pb2 as messages
from alphintra.trainer.v1 import model_registry_service_pb2_grpc
from services.core.errors import NotFound, Unavailable
from services.core.ownership import Caller, Role
from services.mesh.clients import mesh_channel
from services.mesh.identity import caller_metadata
from services.mesh.peer_errors import raise_from_peer

PEER = "trainer"


def owner_metadata(owner_id: str) -> tuple[tuple[str, str], ...]:
    return caller_metadata(Caller(user_id=owner_id, role=Role.TRADER))


class RegistryClient:
    def __init__(self, address: str | None, *, timeout_seconds: float = 30.0) -> None:
        self._address = address
        self._timeout = timeout_seconds
        self._channel: grpc.aio.Channel | None = None

    @property
    def configured(self) -> bool:
        return bool(self._address)

    def _stub(self) -> model_registry_service_pb2_grpc.ModelRegistryServiceStub:
        if not self._address:
            raise Unavailable("the model registry is not configured (ALPHINTRA_PREDICTOR__TRAINER_ADDRESS)")
        if self._channel is None:
            self._channel = mesh_channel(self._address)
        return model_registry_service_pb2_grpc.ModelRegistryServiceStub(self._channel)

    async def close(self) -> None:
        if self._channel is not None:
            await self._channel.close()
            self._channel = None

    async def model(self, owner_id: str, model_name: str) -> messages.Model:
        request = messages.GetModelRequest(model_name=model_name)
        try:
            response = await self._stub().GetModel(
                request, metadata=owner_metadata(owner_id), timeout=self._timeout
            )
        except grpc.aio.AioRpcError as error:
            raise_from_peer(error, PEER)
        return response.model

    async def readable_by(self, caller: Caller, owner_id: str, model_name: str) -> bool:
        """Whether the registry lets `caller` (with their own identity) read the owner's model."""
        if not self.configured:
            return False
        request = messages.GetModelRequest(model_name=model_name)
        try:
            response = await self._stub().GetModel(
                request, metadata=caller_metadata(caller), timeout=self._timeout
            )
        except grpc.aio.AioRpcError as error:
            try:
                raise_from_peer(error, PEER)
            except NotFound:
                return False
        return response.model.owner_id == owner_id

    async def version(
        self, owner_id: str, model_name: str, *, version: int | None = None, alias: str | None = None
    ) -> messages.ModelVersion:
        """The version asked for, or the one `alias` points at, or (neither) the latest."""
        if version is None and alias is None:
            version = (await self.model(owner_id, model_name)).latest_version
        request = messages.GetModelVersionRequest(model_name=model_name)
        if alias is not None:
            request.alias = alias
        else:
            request.version = version or 0
        try:
            response = await self._stub().GetModelVersion(
                request, metadata=owner_metadata(owner_id), timeout=self._timeout
            )
        except grpc.aio.AioRpcError as error:
            raise_from_peer(error, PEER)
        return response.model_version

    async def download(self, owner_id: str, model_name: str, version: int) -> AsyncIterator[bytes]:
        """The version's artifact in chunks, in order (the caller checks the digest)."""
        request = messages.DownloadModelArtifactRequest(model_name=model_name, version=version)
        call = self._stub().DownloadModelArtifact(
            request, metadata=owner_metadata(owner_id), timeout=self._timeout
        )
        try:
            async for message in call:
                if message.chunk:
                    yield message.chunk
        except grpc.aio.AioRpcError as error:
            raise_from_peer(error, PEER)
