"""PredictStream: in order, ids echoed, a bad item answered in-band while the stream goes on."""

from __future__ import annotations

import grpc
import numpy as np
import pytest

from alphintra.predictor.v1 import predictor_service_pb2 as messages
from tests.integration.predictor.requests import field_violations, rows_of, stream_request

pytestmark = pytest.mark.integration


async def test_a_malformed_item_in_the_middle_does_not_end_the_stream(stub) -> None:
    good = rows_of(seed=21, count=3)
    malformed = stream_request("churn", good, request_id="bad")
    malformed.features.columns = 5
    unknown = stream_request("nope", good, request_id="unknown")
    requests = [
        stream_request("churn", good, request_id="a"),
        malformed,
        stream_request("churn", good, request_id="b"),
        unknown,
        stream_request("price", good, request_id="c"),
    ]

    call = stub.PredictStream(iter(requests))
    responses = [response async for response in call]

    assert [response.request_id for response in responses] == ["a", "bad", "b", "unknown", "c"]
    assert [response.WhichOneof("outcome") for response in responses] == [
        "predictions",
        "error",
        "predictions",
        "error",
        "predictions",
    ]
    assert responses[1].error.code == grpc.StatusCode.INVALID_ARGUMENT.value[0]
    assert field_violations(responses[1].error) == ["features.values"]
    assert responses[3].error.code == grpc.StatusCode.NOT_FOUND.value[0]
    assert list(responses[0].predictions.labels) == list(responses[2].predictions.labels)
    assert await call.code() is grpc.StatusCode.OK


async def test_many_requests_are_answered_in_request_order(stub) -> None:
    rows = rows_of(seed=22, count=200)
    requests = [
        stream_request("churn", rows[index : index + 1 + index % 3], request_id=str(index))
        for index in range(150)
    ]
    unary = await stub.Predict(messages.PredictRequest(model_name="churn", features=requests[0].features))

    responses = [response async for response in stub.PredictStream(iter(requests))]

    assert [response.request_id for response in responses] == [str(index) for index in range(150)]
    assert [len(response.predictions.labels) for response in responses] == [
        1 + index % 3 for index in range(150)
    ]
    assert list(responses[0].predictions.labels) == list(unary.predictions.labels)


async def test_interleaved_writes_and_reads(stub) -> None:
    call = stub.PredictStream()
    rows = rows_of(seed=23, count=4)
    for index in range(20):
        await call.write(stream_request("price", rows, request_id=f"q{index}"))
        response = await call.read()
        assert response.request_id == f"q{index}"
        assert np.isfinite(response.predictions.values).all()
    await call.done_writing()
    assert await call.code() is grpc.StatusCode.OK
