"""Building prediction requests and reading rich error details in the predictor's tests."""

from __future__ import annotations

import grpc
import numpy as np
from google.rpc import error_details_pb2, status_pb2
from grpc_status import rpc_status

from alphintra.predictor.v1 import predictor_service_pb2 as messages


def matrix(rows: np.ndarray) -> messages.FeatureMatrix:
    return messages.FeatureMatrix(rows=rows.shape[0], columns=rows.shape[1], values=rows.ravel().tolist())


def predict_request(
    model: str, rows: np.ndarray, request_id: str = "", **fields: object
) -> messages.PredictRequest:
    return messages.PredictRequest(request_id=request_id, model_name=model, features=matrix(rows), **fields)


def stream_request(
    model: str, rows: np.ndarray, request_id: str = "", **fields: object
) -> messages.PredictStreamRequest:
    return messages.PredictStreamRequest(
        request_id=request_id, model_name=model, features=matrix(rows), **fields
    )


def rows_of(seed: int, count: int, features: int = 4) -> np.ndarray:
    return np.random.default_rng(seed).normal(0.0, 1.0, (count, features)).astype(np.float32)


def field_violations(status: status_pb2.Status) -> list[str]:
    fields = []
    for detail in status.details:
        if detail.Is(error_details_pb2.BadRequest.DESCRIPTOR):
            bad_request = error_details_pb2.BadRequest()
            detail.Unpack(bad_request)
            fields.extend(violation.field for violation in bad_request.field_violations)
    return fields


def error_violations(error: grpc.aio.AioRpcError) -> list[str]:
    status = rpc_status.from_call(error)
    assert status is not None, "the error carries no rich status"
    return field_violations(status)
