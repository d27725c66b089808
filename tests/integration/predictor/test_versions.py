"""Hot reload under load, broken versions, fallback and the circuit breaker."""

from __future__ import annotations

import asyncio
import time

import grpc
import numpy as np
import pytest

from alphintra.predictor.v1 import predictor_service_pb2 as messages
from services.core.ownership import Caller, Role
from services.mesh.identity import caller_metadata
from tests.helpers import assert_eventually
from tests.integration.predictor.model_files import set_aliases
from tests.integration.predictor.requests import predict_request, rows_of, stream_request

pytestmark = pytest.mark.integration


async def served_version(stub, model: str = "churn") -> int:
    response = await stub.Predict(predict_request(model, rows_of(seed=30, count=1)))
    return response.predictions.model_version


async def versions_of(stub, model: str) -> dict[int, messages.ServedVersion]:
    response = await stub.ListModels(messages.ListModelsRequest(model_name=model))
    return {version.version: version for version in response.models[0].versions}


class SteadyLoad:
    """Streams and unary callers predicting without pause; every answer's version is recorded."""

    def __init__(self, stub, streams: int = 3, unary_callers: int = 2) -> None:
        self.stub = stub
        self.failures: list[str] = []
        self.versions: list[list[int]] = [[] for _ in range(streams + unary_callers)]
        self._stop = asyncio.Event()
        self._tasks = [asyncio.create_task(self._stream(index)) for index in range(streams)]
        self._tasks += [asyncio.create_task(self._unary(streams + index)) for index in range(unary_callers)]

    async def _stream(self, index: int) -> None:
        rows = rows_of(seed=index, count=2)

        async def requests():
            sequence = 0
            while not self._stop.is_set():
                sequence += 1
                yield stream_request("churn", rows, request_id=str(sequence))
                await asyncio.sleep(0.002)

        async for response in self.stub.PredictStream(requests()):
            if response.WhichOneof("outcome") == "error":
                self.failures.append(response.error.message)
            else:
                self.versions[index].append(response.predictions.model_version)

    async def _unary(self, index: int) -> None:
        rows = rows_of(seed=index, count=1)
        while not self._stop.is_set():
            try:
                response = await self.stub.Predict(predict_request("churn", rows))
                self.versions[index].append(response.predictions.model_version)
            except grpc.aio.AioRpcError as error:
                self.failures.append(f"{error.code()}: {error.details()}")
            await asyncio.sleep(0.002)

    async def stop(self) -> None:
        self._stop.set()
        await asyncio.gather(*self._tasks)


async def test_hot_swap_under_load_fails_no_request(stub, model_root) -> None:
    load = SteadyLoad(stub)
    await asyncio.sleep(0.3)

    set_aliases(model_root, "churn", {"production": 2})
    await assert_eventually(lambda: all(caller and caller[-1] == 2 for caller in load.versions), timeout=10)
    await asyncio.sleep(0.2)
    await load.stop()

    assert load.failures == []
    for caller in load.versions:
        assert set(caller) == {1, 2}
        switch = caller.index(2)
        assert caller[switch:] == [2] * (len(caller) - switch), "a caller went back to the old version"
    versions = await versions_of(stub, "churn")
    assert versions[2].aliases == ["production"]
    assert versions[1].fallback


async def test_a_corrupt_version_never_serves(stub, model_root) -> None:
    load = SteadyLoad(stub, streams=1, unary_callers=1)
    set_aliases(model_root, "churn", {"production": 3})

    await assert_eventually(
        lambda: _state(stub, 3, messages.SERVING_STATE_FAILED), timeout=10, message="version 3 never failed"
    )
    await asyncio.sleep(0.2)
    await load.stop()

    assert load.failures == []
    assert {version for caller in load.versions for version in caller} == {1}
    versions = await versions_of(stub, "churn")
    assert "onnxruntime" in versions[3].error_message
    assert versions[1].aliases == ["production"]


async def _state(stub, version: int, state: int) -> bool:
    versions = await versions_of(stub, "churn")
    return version in versions and versions[version].state == state


async def test_a_version_failing_its_warm_up_never_serves(stub, as_admin) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await stub.LoadModel(
            messages.LoadModelRequest(model_name="churn", version=4, wait_until_ready=True), **as_admin()
        )

    assert raised.value.code() is grpc.StatusCode.INVALID_ARGUMENT
    assert "warm-up" in raised.value.details()
    with pytest.raises(grpc.aio.AioRpcError) as direct:
        await stub.Predict(predict_request("churn", rows_of(seed=31, count=1), version=4))
    assert direct.value.code() is grpc.StatusCode.NOT_FOUND
    assert await served_version(stub) == 1


async def test_a_failing_default_falls_back_then_opens_its_circuit(stub, model_root) -> None:
    set_aliases(model_root, "fragile", {"production": 2})
    await assert_eventually(lambda: _served_is(stub, "fragile", 2), timeout=10)
    poison = np.full((1, 4), 50.0, dtype=np.float32)

    answers = [await stub.Predict(predict_request("fragile", poison)) for _ in range(6)]
    healthy = await stub.Predict(predict_request("fragile", np.zeros((1, 4), dtype=np.float32)))

    assert [(answer.predictions.model_version, answer.predictions.fallback) for answer in answers] == [
        (1, True)
    ] * 6
    # five failures in a row opened version 2's circuit: even good rows go to the fallback for now
    assert (healthy.predictions.model_version, healthy.predictions.fallback) == (1, True)


async def _served_is(stub, model: str, version: int) -> bool:
    response = await stub.Predict(predict_request(model, np.zeros((1, 4), dtype=np.float32)))
    return response.predictions.model_version == version


async def test_a_named_version_reports_its_own_failure(stub, as_admin) -> None:
    await stub.LoadModel(
        messages.LoadModelRequest(model_name="fragile", version=2, wait_until_ready=True), **as_admin()
    )
    poison = np.full((2, 4), 50.0, dtype=np.float32)

    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await stub.Predict(predict_request("fragile", poison, version=2))

    assert raised.value.code() is grpc.StatusCode.INTERNAL
    assert "Gather" in raised.value.details()


async def test_a_bad_row_sharing_a_batch_fails_alone(stub, as_admin) -> None:
    await stub.LoadModel(
        messages.LoadModelRequest(model_name="fragile", version=2, wait_until_ready=True), **as_admin()
    )
    good = np.zeros((1, 4), dtype=np.float32)
    poison = np.full((1, 4), 50.0, dtype=np.float32)
    requests = [
        stream_request("fragile", poison if index == 5 else good, request_id=str(index), version=2)
        for index in range(10)
    ]

    responses = [response async for response in stub.PredictStream(iter(requests))]

    assert [response.WhichOneof("outcome") for response in responses] == ["predictions"] * 5 + ["error"] + [
        "predictions"
    ] * 4


async def test_load_and_unload_need_an_admin(stub) -> None:
    trader = caller_metadata(Caller(user_id="t", role=Role.TRADER))
    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await stub.LoadModel(messages.LoadModelRequest(model_name="churn", version=2), metadata=trader)
    assert raised.value.code() is grpc.StatusCode.PERMISSION_DENIED
    with pytest.raises(grpc.aio.AioRpcError) as anonymous:
        await stub.UnloadModel(messages.UnloadModelRequest(model_name="churn"))
    assert anonymous.value.code() is grpc.StatusCode.UNAUTHENTICATED


async def test_unload_drains_and_removes(stub, as_admin) -> None:
    await stub.LoadModel(
        messages.LoadModelRequest(model_name="churn", version=2, wait_until_ready=True), **as_admin()
    )
    started = time.monotonic()

    response = await stub.UnloadModel(
        messages.UnloadModelRequest(model_name="churn", version=2), **as_admin()
    )

    assert time.monotonic() - started < 5
    assert {version.version for version in response.model.versions} <= {1, 2}
    await assert_eventually(lambda: _gone(stub, 2))
    assert await served_version(stub) == 1


async def _gone(stub, version: int) -> bool:
    return version not in await versions_of(stub, "churn")
