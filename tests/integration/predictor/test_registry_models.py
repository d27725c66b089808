"""Registry-backed models: a real trainer's registry, the predictor serving its versions per owner.

The version's ONNX bytes come from the shared artifact store (or a download when the store is not
shared), the alias `production` decides the version, and moving the alias hot-swaps the predictor
(the registry's Redis event) while a client keeps predicting, without a failed request.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import grpc
import numpy as np
import pytest

from alphintra.predictor.v1 import predictor_service_pb2 as messages
from alphintra.predictor.v1 import predictor_service_pb2_grpc
from services.mesh.identity import caller_metadata
from tests.integration.predictor.mesh_services import (
    ALICE,
    BOB,
    OPERATOR,
    channel_to,
    onnx_probabilities,
    register_version,
    running_peers,
    running_predictor,
    set_alias,
)
from tests.integration.predictor.model_files import FEATURE_NAMES, classifier_bytes, training_data

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]

MODEL = "btc-trend"
KEY = f"alice/{MODEL}"


def predict_request(rows: np.ndarray, name: str = MODEL) -> messages.PredictRequest:
    request = messages.PredictRequest(model_name=name, request_id="r")
    request.features.rows, request.features.columns = rows.shape
    request.features.values.extend(rows.ravel().tolist())
    return request


@pytest.fixture(scope="module")
def versions() -> tuple[bytes, bytes]:
    return classifier_bytes(seed=1), classifier_bytes(seed=2, trees=12)


@pytest.mark.parametrize("shared_store", [True, False], ids=["shared-store", "download"])
async def test_a_registry_version_is_served_to_its_owner_only(
    database_url, redis_url, namespace, tmp_path: Path, versions, shared_store: bool
) -> None:
    rows = training_data(seed=9, rows=5)[0]
    async with running_peers(database_url, redis_url, namespace, tmp_path / "artifacts") as peers:
        first = await register_version(peers.trainer, ALICE, MODEL, versions[0], FEATURE_NAMES)
        await set_alias(peers.trainer, ALICE, MODEL, "production", first)
        settings = {} if shared_store else {"artifacts_root": None}
        async with (
            running_predictor(peers.predictor_environment(**settings)) as predictor,
            channel_to(predictor) as channel,
        ):
            stub = predictor_service_pb2_grpc.PredictorServiceStub(channel)
            await stub.LoadModel(
                messages.LoadModelRequest(model_name=KEY, alias="production", wait_until_ready=True),
                metadata=caller_metadata(OPERATOR),
            )

            answer = await stub.Predict(predict_request(rows), metadata=caller_metadata(ALICE))
            for name in (MODEL, KEY):
                with pytest.raises(grpc.aio.AioRpcError) as raised:
                    await stub.Predict(predict_request(rows, name), metadata=caller_metadata(BOB))
                assert raised.value.code() is grpc.StatusCode.NOT_FOUND
            listed_by_bob = await stub.ListModels(messages.ListModelsRequest(), metadata=caller_metadata(BOB))
            with pytest.raises(grpc.aio.AioRpcError) as loading_bobs:
                await stub.LoadModel(
                    messages.LoadModelRequest(model_name=f"bob/{MODEL}", wait_until_ready=True),
                    metadata=caller_metadata(OPERATOR),
                )

    assert answer.predictions.model_version == first
    assert answer.predictions.model_name == KEY
    probabilities = np.array(answer.predictions.probabilities.values).reshape(5, 2)
    np.testing.assert_allclose(probabilities, onnx_probabilities(versions[0], rows), rtol=1e-6)
    assert KEY not in [model.model_name for model in listed_by_bob.models]
    # bob has no such model in the registry: the registry's NOT_FOUND comes back as is
    assert loading_bobs.value.code() is grpc.StatusCode.NOT_FOUND
    if not shared_store:
        assert any((tmp_path / "predictor-cache").rglob("*")), "the artifact was downloaded into the cache"


async def test_moving_production_hot_swaps_under_a_running_client(
    database_url, redis_url, namespace, tmp_path: Path, versions
) -> None:
    rows = training_data(seed=9, rows=4)[0]
    async with running_peers(database_url, redis_url, namespace, tmp_path / "artifacts") as peers:
        first = await register_version(peers.trainer, ALICE, MODEL, versions[0], FEATURE_NAMES)
        second = await register_version(peers.trainer, ALICE, MODEL, versions[1], FEATURE_NAMES)
        await set_alias(peers.trainer, ALICE, MODEL, "production", first)
        async with (
            running_predictor(peers.predictor_environment()) as predictor,
            channel_to(predictor) as channel,
        ):
            stub = predictor_service_pb2_grpc.PredictorServiceStub(channel)
            await stub.LoadModel(
                messages.LoadModelRequest(model_name=KEY, alias="production", wait_until_ready=True),
                metadata=caller_metadata(OPERATOR),
            )
            answers: list[messages.PredictResponse] = []
            failures: list[grpc.aio.AioRpcError] = []
            swapped = asyncio.Event()
            warmed = asyncio.Event()

            async def client() -> None:
                while not swapped.is_set() or len(answers) < 20:
                    try:
                        answer = await stub.Predict(predict_request(rows), metadata=caller_metadata(ALICE))
                    except grpc.aio.AioRpcError as error:
                        failures.append(error)
                        continue
                    answers.append(answer)
                    if len(answers) >= 20:
                        warmed.set()
                    if answer.predictions.model_version == second:
                        swapped.set()

            running = asyncio.create_task(client())
            await asyncio.wait_for(warmed.wait(), timeout=20)
            await set_alias(peers.trainer, ALICE, MODEL, "production", second)
            await asyncio.wait_for(swapped.wait(), timeout=20)
            await running

    assert failures == []
    served = [answer.predictions.model_version for answer in answers]
    switch = served.index(second)
    assert set(served[:switch]) == {first}
    assert set(served[switch:]) == {second}, "one atomic switch"
    latest = np.array(answers[-1].predictions.probabilities.values).reshape(4, 2)
    np.testing.assert_allclose(latest, onnx_probabilities(versions[1], rows), rtol=1e-6)
