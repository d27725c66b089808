"""The model registry over gRPC, against real PostgreSQL and Redis."""

from __future__ import annotations

import asyncio
import hashlib
import json

import grpc
import numpy as np
import pytest
from redis.asyncio import Redis

from alphintra.strategy.v1.training_pb2 import ModelFamily
from alphintra.trainer.v1 import model_registry_service_pb2 as messages
from services.core.modeling.export import export_onnx
from services.core.modeling.families import fit_model
from tests.helpers import assert_eventually

pytestmark = pytest.mark.integration


def tiny_onnx(seed: int) -> bytes:
    rng = np.random.default_rng(seed)
    features = rng.normal(size=(200, 3))
    labels = (features[:, 0] + rng.normal(size=200) > 0).astype(float)
    model = fit_model(
        ModelFamily.MODEL_FAMILY_LOGISTIC_REGRESSION, {}, features, labels, regression=False, seed=seed
    )
    return export_onnx(model, 3).content


def version_message(**fields) -> messages.ModelVersion:
    version = messages.ModelVersion(**fields)
    version.signature.inputs.add(name="features", datatype="FP32", shape=[-1, 3])
    version.signature.outputs.add(name="probabilities", datatype="FP32", shape=[-1, 2])
    version.signature.feature_names.extend(["a.value", "b.value", "c.value"])
    return version


async def new_model(stub, name: str = "btc-trend") -> messages.Model:
    return (await stub.CreateModel(messages.CreateModelRequest(model=messages.Model(model_name=name)))).model


async def add_version(stub, name: str, seed: int, **fields) -> messages.ModelVersion:
    request = messages.CreateModelVersionRequest(
        model_name=name, model_version=version_message(**fields), artifact_content=tiny_onnx(seed)
    )
    return (await stub.CreateModelVersion(request)).model_version


async def test_versions_are_monotonic_under_concurrent_creates(registry_alice):
    await new_model(registry_alice)
    created = await asyncio.gather(*(add_version(registry_alice, "btc-trend", seed) for seed in range(8)))
    assert sorted(version.version for version in created) == list(range(1, 9))
    model = (await registry_alice.GetModel(messages.GetModelRequest(model_name="btc-trend"))).model
    assert model.latest_version == 8
    listed = await registry_alice.ListModelVersions(
        messages.ListModelVersionsRequest(model_name="btc-trend", page_size=5)
    )
    assert [version.version for version in listed.model_versions] == [8, 7, 6, 5, 4]
    rest = await registry_alice.ListModelVersions(
        messages.ListModelVersionsRequest(
            model_name="btc-trend", page_size=5, page_token=listed.next_page_token
        )
    )
    assert [version.version for version in rest.model_versions] == [3, 2, 1]
    assert rest.next_page_token == ""


async def test_an_alias_change_reaches_a_redis_subscriber(registry_alice, registry_environment, redis_url):
    await new_model(registry_alice)
    first = await add_version(registry_alice, "btc-trend", 1)
    second = await add_version(registry_alice, "btc-trend", 2)
    redis = Redis.from_url(redis_url)
    pubsub = redis.pubsub()
    await pubsub.subscribe(registry_environment["ALPHINTRA_TRAINER__REGISTRY_ALIAS_CHANNEL"])
    received = []

    async def collect() -> bool:
        message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=0.2)
        if message is not None:
            received.append(json.loads(message["data"]))
        return len(received) >= 3

    try:
        for version in (1, 2):
            await registry_alice.SetModelAlias(
                messages.SetModelAliasRequest(model_name="btc-trend", alias="production", version=version)
            )
        await registry_alice.DeleteModelAlias(
            messages.DeleteModelAliasRequest(model_name="btc-trend", alias="production")
        )
        await assert_eventually(collect, timeout=5.0)
    finally:
        await pubsub.aclose()
        await redis.aclose()
    keys = {"owner_id", "model", "alias", "version", "artifact_digest"}
    assert all(keys <= event.keys() for event in received)
    assert [(event["version"], event["artifact_digest"]) for event in received] == [
        (1, first.artifact.digest),
        (2, second.artifact.digest),
        (0, ""),
    ]
    assert {event["owner_id"] for event in received} == {"alice"}


async def test_rollback_and_alias_history(registry_alice):
    await new_model(registry_alice)
    for seed in (1, 2, 3):
        await add_version(registry_alice, "btc-trend", seed)
    for version in (1, 3):
        await registry_alice.SetModelAlias(
            messages.SetModelAliasRequest(model_name="btc-trend", alias="production", version=version)
        )
    rolled = await registry_alice.RollbackModelAlias(
        messages.RollbackModelAliasRequest(model_name="btc-trend", alias="production")
    )
    assert (rolled.change.version, rolled.change.previous_version) == (1, 3)
    found = await registry_alice.GetModelVersion(
        messages.GetModelVersionRequest(model_name="btc-trend", alias="production")
    )
    assert found.model_version.version == 1
    assert list(found.model_version.aliases) == ["production"]
    history = await registry_alice.ListAliasHistory(
        messages.ListAliasHistoryRequest(model_name="btc-trend", alias="production")
    )
    assert [(change.version, change.previous_version) for change in history.changes] == [
        (1, 3),
        (3, 1),
        (1, 0),
    ]
    with pytest.raises(grpc.aio.AioRpcError) as stale:
        await registry_alice.SetModelAlias(
            messages.SetModelAliasRequest(
                model_name="btc-trend", alias="production", version=2, expected_current_version=3
            )
        )
    assert stale.value.code() == grpc.StatusCode.ABORTED
    await registry_alice.SetModelAlias(
        messages.SetModelAliasRequest(model_name="btc-trend", alias="staging", version=2)
    )
    with pytest.raises(grpc.aio.AioRpcError) as first_only:
        await registry_alice.RollbackModelAlias(
            messages.RollbackModelAliasRequest(model_name="btc-trend", alias="staging")
        )
    assert first_only.value.code() == grpc.StatusCode.FAILED_PRECONDITION


async def test_download_streams_the_stored_bytes(registry_alice, registry_environment):
    await new_model(registry_alice)
    content = tiny_onnx(5)
    await add_version(registry_alice, "btc-trend", 5)
    chunks = [chunk async for chunk in registry_alice.DownloadModelArtifact(
        messages.DownloadModelArtifactRequest(model_name="btc-trend", version=1))]  # fmt: skip
    assert b"".join(chunk.chunk for chunk in chunks) == content
    assert chunks[0].digest == "sha256:" + hashlib.sha256(content).hexdigest()
    assert chunks[0].total_size_bytes == len(content)
    resumed = [chunk async for chunk in registry_alice.DownloadModelArtifact(
        messages.DownloadModelArtifactRequest(model_name="btc-trend", version=1, offset=100))]  # fmt: skip
    assert b"".join(chunk.chunk for chunk in resumed) == content[100:]
    with pytest.raises(grpc.aio.AioRpcError) as beyond:
        async for _ in registry_alice.DownloadModelArtifact(
            messages.DownloadModelArtifactRequest(model_name="btc-trend", version=1, offset=len(content) + 1)
        ):
            pass
    assert beyond.value.code() == grpc.StatusCode.OUT_OF_RANGE


async def test_ownership(registry_alice, registry_bob, registry_admin):
    await new_model(registry_alice)
    await add_version(registry_alice, "btc-trend", 1)
    for call, request in (
        ("GetModel", messages.GetModelRequest(model_name="btc-trend")),
        ("GetModelVersion", messages.GetModelVersionRequest(model_name="btc-trend", version=1)),
        (
            "SetModelAlias",
            messages.SetModelAliasRequest(model_name="btc-trend", alias="production", version=1),
        ),
        (
            "CreateModelVersion",
            messages.CreateModelVersionRequest(
                model_name="btc-trend", model_version=version_message(), artifact_content=tiny_onnx(2)
            ),
        ),
    ):
        with pytest.raises(grpc.aio.AioRpcError) as hidden:
            await getattr(registry_bob, call)(request)
        assert hidden.value.code() == grpc.StatusCode.NOT_FOUND, call
    assert [
        model.model_name for model in (await registry_bob.ListModels(messages.ListModelsRequest())).models
    ] == []
    # an admin of the organisation reads, but does not promote
    assert (
        await registry_admin.GetModel(messages.GetModelRequest(model_name="btc-trend"))
    ).model.owner_id == "alice"
    with pytest.raises(grpc.aio.AioRpcError) as denied:
        await registry_admin.SetModelAlias(
            messages.SetModelAliasRequest(model_name="btc-trend", alias="production", version=1)
        )
    assert denied.value.code() == grpc.StatusCode.PERMISSION_DENIED
    with pytest.raises(grpc.aio.AioRpcError) as taken:
        await new_model(registry_bob)
    assert taken.value.code() == grpc.StatusCode.ALREADY_EXISTS


async def test_bad_input_is_refused(registry_alice):
    with pytest.raises(grpc.aio.AioRpcError) as bad_name:
        await new_model(registry_alice, "Bad Name")
    assert bad_name.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    await new_model(registry_alice)
    with pytest.raises(grpc.aio.AioRpcError) as not_onnx:
        await registry_alice.CreateModelVersion(
            messages.CreateModelVersionRequest(
                model_name="btc-trend", model_version=version_message(), artifact_content=b"not a model"
            )
        )
    assert not_onnx.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    retried = [
        await registry_alice.CreateModelVersion(
            messages.CreateModelVersionRequest(
                model_name="btc-trend",
                model_version=version_message(),
                artifact_content=tiny_onnx(1),
                request_id="r1",
            )
        )
        for _ in range(2)
    ]
    assert retried[0].model_version.version == retried[1].model_version.version == 1
    with pytest.raises(grpc.aio.AioRpcError) as bad_cron:
        await registry_alice.SetRetrainingSchedule(
            messages.SetRetrainingScheduleRequest(
                model_name="btc-trend",
                schedule=messages.RetrainingSchedule(
                    enabled=True, cron="every monday", dataset_id="d", holdout_fraction=0.2
                ),
            )
        )
    assert bad_cron.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "invalid retraining schedule" in bad_cron.value.details()
