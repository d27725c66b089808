"""A/B splits: proportions within tolerance, sticky keys, per-arm metrics, validation."""

from __future__ import annotations

from collections import Counter

import grpc
import pytest
from prometheus_client import REGISTRY

from alphintra.predictor.v1 import predictor_service_pb2 as messages
from tests.integration.predictor.requests import error_violations, rows_of, stream_request

pytestmark = pytest.mark.integration


async def split(
    stub, as_admin, allocations: list[tuple[int, int]], sticky: bool
) -> messages.SetTrafficSplitResponse:
    return await stub.SetTrafficSplit(
        messages.SetTrafficSplitRequest(
            model_name="churn",
            traffic_split=messages.TrafficSplit(
                allocations=[
                    messages.TrafficAllocation(version=version, percent=percent)
                    for version, percent in allocations
                ],
                sticky=sticky,
            ),
        ),
        **as_admin(),
    )


@pytest.fixture
async def two_versions(stub, as_admin) -> None:
    await stub.LoadModel(
        messages.LoadModelRequest(model_name="churn", version=2, wait_until_ready=True), **as_admin()
    )


async def predicted_versions(stub, keys: list[str]) -> list[int]:
    rows = rows_of(seed=40, count=1)
    requests = [stream_request("churn", rows, request_id=key, routing_key=key) for key in keys]
    return [response.predictions.model_version async for response in stub.PredictStream(iter(requests))]


def arm_requests(version: int) -> float:
    value = REGISTRY.get_sample_value(
        "alphintra_predictor_requests_total", {"model": "churn", "version": str(version), "route": "split"}
    )
    return value or 0.0


async def test_random_split_proportions_are_within_tolerance(stub, as_admin, two_versions) -> None:
    before = arm_requests(2)
    response = await split(stub, as_admin, [(1, 70), (2, 30)], sticky=False)
    assert [(item.version, item.percent) for item in response.model.traffic_split.allocations] == [
        (1, 70),
        (2, 30),
    ]

    counts = Counter(await predicted_versions(stub, [""] * 2_000))

    # binomial(2000, 0.3): standard deviation about 20, so ±100 is five of them
    assert abs(counts[2] - 600) < 100
    assert counts[1] + counts[2] == 2_000
    assert arm_requests(2) - before == counts[2]


async def test_sticky_split_keeps_each_key_on_its_arm(stub, as_admin, two_versions) -> None:
    await split(stub, as_admin, [(1, 50), (2, 50)], sticky=True)
    keys = [f"user-{index}" for index in range(400)]

    first = await predicted_versions(stub, keys)
    second = await predicted_versions(stub, list(reversed(keys)))

    assert first == list(reversed(second))
    counts = Counter(first)
    assert abs(counts[1] - 200) < 60


async def test_an_empty_split_removes_it(stub, as_admin, two_versions) -> None:
    await split(stub, as_admin, [(1, 0), (2, 100)], sticky=False)
    assert set(await predicted_versions(stub, [""] * 20)) == {2}

    response = await stub.SetTrafficSplit(messages.SetTrafficSplitRequest(model_name="churn"), **as_admin())

    assert not response.model.HasField("traffic_split")
    assert set(await predicted_versions(stub, [""] * 20)) == {1}


@pytest.mark.parametrize(
    ("allocations", "fields"),
    [
        ([(1, 60), (2, 30)], ["traffic_split.allocations"]),
        ([(1, 50), (1, 50)], ["traffic_split.allocations[1].version"]),
        (
            [(1, 150), (2, -50)],
            ["traffic_split.allocations[0].percent", "traffic_split.allocations[1].percent"],
        ),
    ],
    ids=["sum", "twice", "range"],
)
async def test_invalid_splits_are_rejected(stub, as_admin, two_versions, allocations, fields) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await split(stub, as_admin, allocations, sticky=False)

    assert raised.value.code() is grpc.StatusCode.INVALID_ARGUMENT
    assert error_violations(raised.value) == fields


async def test_a_split_over_a_version_not_loaded_is_a_failed_precondition(stub, as_admin) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await split(stub, as_admin, [(1, 50), (2, 50)], sticky=False)

    assert raised.value.code() is grpc.StatusCode.FAILED_PRECONDITION


async def test_a_version_in_the_split_cannot_be_unloaded(stub, as_admin, two_versions) -> None:
    await split(stub, as_admin, [(1, 50), (2, 50)], sticky=True)

    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await stub.UnloadModel(messages.UnloadModelRequest(model_name="churn", version=2), **as_admin())

    assert raised.value.code() is grpc.StatusCode.FAILED_PRECONDITION
