"""Real peers of the predictor for the registry and deployment tests: a trainer (its model registry), a
signal bus and a workflow service, each a real grpc.aio server on port 0, plus registration helpers.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import grpc
import numpy as np
import onnx
import onnxruntime

from alphintra.trainer.v1 import model_registry_service_pb2 as registry
from alphintra.trainer.v1 import model_registry_service_pb2_grpc
from services.core.ownership import Caller, Role
from services.mesh.identity import caller_metadata
from services.mesh.server import RunningService, start_service
from services.predictor.service import DEFINITION as PREDICTOR
from services.signal_bus.service import DEFINITION as SIGNAL_BUS
from services.trainer.service import DEFINITION as TRAINER
from services.workflow.service import DEFINITION as WORKFLOW

ALICE = Caller(user_id="alice", organization_id="acme", role=Role.TRADER, tier="premium")
BOB = Caller(user_id="bob", organization_id="acme", role=Role.TRADER, tier="premium")
OPERATOR = Caller(user_id="ops", organization_id="acme", role=Role.ADMIN, tier="premium")


@dataclass
class Peers:
    """Where the predictor's peers listen, and what they share with it."""

    database_url: str
    redis_url: str
    namespace: str
    artifacts: Path
    trainer: RunningService | None = None
    bus: RunningService | None = None
    workflow: RunningService | None = None

    @property
    def alias_channel(self) -> str:
        return f"{self.namespace}.aliases"

    @property
    def feature_cache_prefix(self) -> str:
        return f"{self.namespace}.features"

    def predictor_environment(self, **settings: object) -> dict[str, str]:
        environment = {
            "DATABASE_URL": self.database_url,
            "REDIS_URL": self.redis_url,
            "ALPHINTRA_PREDICTOR__WARMUP_RUNS": "1",
            "ALPHINTRA_PREDICTOR__DRIFT_CHECK_SECONDS": "0",
            "ALPHINTRA_PREDICTOR__REGISTRY_ALIAS_CHANNEL": self.alias_channel,
            "ALPHINTRA_PREDICTOR__REGISTRY_RECONNECT_SECONDS": "0.1",
            "ALPHINTRA_PREDICTOR__FEATURE_CACHE_PREFIX": self.feature_cache_prefix,
            "ALPHINTRA_PREDICTOR__DEPLOYMENT_RETRY_SECONDS": "0.2",
            "ALPHINTRA_PREDICTOR__ARTIFACTS_ROOT": str(self.artifacts),
            "ALPHINTRA_PREDICTOR__MODEL_CACHE_DIRECTORY": str(self.artifacts.parent / "predictor-cache"),
        }
        peers = (("TRAINER", self.trainer), ("SIGNAL_BUS", self.bus), ("WORKFLOW", self.workflow))
        for name, service in peers:
            if service is not None:
                environment[f"ALPHINTRA_PREDICTOR__{name}_ADDRESS"] = f"127.0.0.1:{service.port}"
        for name, value in settings.items():
            key = f"ALPHINTRA_PREDICTOR__{name.upper()}"
            if value is None:
                environment.pop(key, None)
            else:
                environment[key] = str(value)
        return environment


@asynccontextmanager
async def running_peers(
    database_url: str,
    redis_url: str,
    namespace: str,
    artifacts: Path,
    *,
    bus: bool = False,
    workflow: bool = False,
) -> AsyncIterator[Peers]:
    peers = Peers(database_url, redis_url, namespace, artifacts)
    started: list[RunningService] = []
    try:
        peers.trainer = await start_service(
            TRAINER,
            TRAINER.settings_type.load(
                {
                    "DATABASE_URL": database_url,
                    "REDIS_URL": redis_url,
                    "ALPHINTRA_TRAINER__ARTIFACTS_ROOT": str(artifacts),
                    "ALPHINTRA_TRAINER__EMBEDDED_WORKERS": "0",
                    "ALPHINTRA_TRAINER__DATASET_PLATFORM_DEFAULTS": "false",
                    "ALPHINTRA_TRAINER__REGISTRY_ALIAS_CHANNEL": peers.alias_channel,
                }
            ),
        )
        started.append(peers.trainer)
        if bus:
            peers.bus = await start_service(
                SIGNAL_BUS,
                SIGNAL_BUS.settings_type.load(
                    {
                        "DATABASE_URL": database_url,
                        "REDIS_URL": redis_url,
                        "ALPHINTRA_SIGNAL_BUS__TOPIC_PREFIX": namespace,
                        "ALPHINTRA_SIGNAL_BUS__HEARTBEAT_SECONDS": "0.2",
                    }
                ),
            )
            started.append(peers.bus)
        if workflow:
            peers.workflow = await start_service(
                WORKFLOW, WORKFLOW.settings_type.load({"DATABASE_URL": database_url})
            )
            started.append(peers.workflow)
        yield peers
    finally:
        for service in reversed(started):
            await service.stop(0)


@asynccontextmanager
async def running_predictor(environment: dict[str, str]) -> AsyncIterator[RunningService]:
    service = await start_service(PREDICTOR, PREDICTOR.settings_type.load(environment))
    try:
        yield service
    finally:
        await service.stop(0)


def channel_to(service: RunningService) -> grpc.aio.Channel:
    return grpc.aio.insecure_channel(f"127.0.0.1:{service.port}")


def signature_of(
    onnx_bytes: bytes, feature_names: list[str], class_names: list[str]
) -> registry.ModelSignature:
    """The registry signature of an ONNX model, read from its graph."""
    graph = onnx.load_from_string(onnx_bytes).graph
    datatypes = {onnx.TensorProto.FLOAT: "FP32", onnx.TensorProto.INT64: "INT64"}
    signature = registry.ModelSignature(feature_names=feature_names, class_names=class_names)
    for values, target in ((graph.input, signature.inputs), (graph.output, signature.outputs)):
        for value in values:
            tensor = value.type.tensor_type
            shape = [dimension.dim_value or -1 for dimension in tensor.shape.dim]
            target.add(name=value.name, datatype=datatypes.get(tensor.elem_type, "FP32"), shape=shape)
    return signature


async def register_version(
    trainer: RunningService,
    owner: Caller,
    model_name: str,
    onnx_bytes: bytes,
    feature_names: list[str],
    *,
    class_names: tuple[str, ...] = ("0", "1"),
    lineage: registry.ModelLineage | None = None,
) -> int:
    """Create the model if needed and add a version holding `onnx_bytes`; its number."""
    metadata = caller_metadata(owner)
    async with channel_to(trainer) as channel:
        stub = model_registry_service_pb2_grpc.ModelRegistryServiceStub(channel)
        listed = await stub.ListModels(registry.ListModelsRequest(query=model_name), metadata=metadata)
        if model_name not in [model.model_name for model in listed.models]:
            await stub.CreateModel(
                registry.CreateModelRequest(model=registry.Model(model_name=model_name)), metadata=metadata
            )
        version = registry.ModelVersion(signature=signature_of(onnx_bytes, feature_names, list(class_names)))
        if lineage is not None:
            version.lineage.CopyFrom(lineage)
        response = await stub.CreateModelVersion(
            registry.CreateModelVersionRequest(
                model_name=model_name, model_version=version, artifact_content=onnx_bytes
            ),
            metadata=metadata,
        )
    return response.model_version.version


async def set_alias(
    trainer: RunningService, owner: Caller, model_name: str, alias: str, version: int
) -> None:
    async with channel_to(trainer) as channel:
        stub = model_registry_service_pb2_grpc.ModelRegistryServiceStub(channel)
        await stub.SetModelAlias(
            registry.SetModelAliasRequest(model_name=model_name, alias=alias, version=version),
            metadata=caller_metadata(owner),
        )


def onnx_probabilities(onnx_bytes: bytes, rows: np.ndarray) -> np.ndarray:
    """The model's class probabilities on `rows`, from a plain in-process onnxruntime session."""
    session = onnxruntime.InferenceSession(onnx_bytes, providers=["CPUExecutionProvider"])
    outputs = session.run(None, {session.get_inputs()[0].name: rows.astype(np.float32)})
    return outputs[1]
