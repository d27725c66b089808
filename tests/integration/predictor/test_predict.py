"""Predict and ListModels: answers equal onnxruntime's own, and every bad request is named."""

from __future__ import annotations

import grpc
import numpy as np
import onnxruntime
import pytest

from alphintra.predictor.v1 import predictor_service_pb2 as messages
from tests.integration.predictor.requests import error_violations, predict_request, rows_of

pytestmark = pytest.mark.integration


def reference_outputs(model_root, name: str, version: int, rows: np.ndarray) -> list[np.ndarray]:
    session = onnxruntime.InferenceSession(str(model_root / name / str(version) / "model.onnx"))
    return session.run(None, {"X": rows})


async def test_classifier_predictions_equal_onnxruntime_in_process(stub, model_root) -> None:
    rows = rows_of(seed=11, count=25)
    labels, probabilities = reference_outputs(model_root, "churn", 1, rows)

    response = await stub.Predict(predict_request("churn", rows, request_id="r-1"))

    predictions = response.predictions
    assert response.request_id == "r-1"
    assert (predictions.model_name, predictions.model_version, predictions.fallback) == ("churn", 1, False)
    assert list(predictions.labels) == labels.tolist()
    assert (predictions.probabilities.rows, predictions.probabilities.columns) == probabilities.shape
    np.testing.assert_array_equal(
        np.array(predictions.probabilities.values, dtype=np.float32), probabilities.ravel()
    )
    assert list(predictions.class_names) == ["0", "1"]


async def test_one_row_and_many_rows_agree(stub) -> None:
    rows = rows_of(seed=12, count=8)

    whole = await stub.Predict(predict_request("churn", rows))
    singles = [await stub.Predict(predict_request("churn", rows[index : index + 1])) for index in range(8)]

    assert list(whole.predictions.labels) == [single.predictions.labels[0] for single in singles]


async def test_regressor_values_equal_onnxruntime_in_process(stub, model_root) -> None:
    rows = rows_of(seed=13, count=10)
    (values,) = reference_outputs(model_root, "price", 1, rows)

    response = await stub.Predict(predict_request("price", rows))

    np.testing.assert_array_equal(np.array(response.predictions.values, dtype=np.float32), values.ravel())
    assert response.predictions.model_version == 1


async def test_a_version_can_be_asked_for_by_number_or_alias(stub, as_admin) -> None:
    await stub.LoadModel(
        messages.LoadModelRequest(model_name="churn", version=2, wait_until_ready=True), **as_admin()
    )
    rows = rows_of(seed=14, count=3)

    by_version = await stub.Predict(predict_request("churn", rows, version=2))
    by_alias = await stub.Predict(predict_request("churn", rows, alias="production"))
    by_default = await stub.Predict(predict_request("churn", rows))

    assert by_version.predictions.model_version == 2
    assert by_alias.predictions.model_version == 1
    assert by_default.predictions.model_version == 1


async def test_list_models_reports_versions_readiness_and_default(stub) -> None:
    response = await stub.ListModels(messages.ListModelsRequest())

    models = {model.model_name: model for model in response.models}
    assert set(models) == {"churn", "price", "fragile"}
    churn = models["churn"]
    assert churn.default_version == 1
    (version,) = churn.versions
    assert (version.version, version.state, list(version.aliases)) == (
        1,
        messages.SERVING_STATE_READY,
        ["production"],
    )
    assert version.feature_count == 4
    assert version.load_time.seconds > 0


def _bad(**changes: object) -> messages.PredictRequest:
    request = predict_request("churn", rows_of(seed=15, count=2))
    for name, value in changes.items():
        if name == "values":
            del request.features.values[:]
            request.features.values.extend(value)  # type: ignore[arg-type]
        elif name in ("rows", "columns"):
            setattr(request.features, name, value)
        elif name == "no_features":
            request.ClearField("features")
        else:
            setattr(request, name, value)
    return request


@pytest.mark.parametrize(
    ("request_", "fields"),
    [
        (_bad(model_name=""), ["model_name"]),
        (_bad(no_features=True), ["features"]),
        (_bad(rows=0), ["features.rows"]),
        (_bad(columns=0), ["features.columns"]),
        (_bad(rows=3), ["features.values"]),
        (_bad(rows=4, columns=2), ["features.columns"]),
        (_bad(values=[float("nan")] + [0.0] * 7), ["features.values[0]"]),
        (_bad(values=[0.0] * 5 + [float("inf")] * 3), ["features.values[5]"]),
        (_bad(version=0), ["version"]),
        (_bad(alias=""), ["alias"]),
        (_bad(model_name="", rows=5), ["model_name", "features.values"]),
    ],
    ids=[
        "no-model",
        "no-features",
        "zero-rows",
        "zero-columns",
        "shape-mismatch",
        "wrong-feature-count",
        "nan",
        "infinity",
        "version-zero",
        "empty-alias",
        "two-problems",
    ],
)
async def test_bad_input_is_invalid_argument_with_field_violations(stub, request_, fields) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await stub.Predict(request_)

    assert raised.value.code() is grpc.StatusCode.INVALID_ARGUMENT
    assert error_violations(raised.value) == fields


@pytest.mark.parametrize(
    "changes",
    [{"model_name": "nope"}, {"version": 9}, {"alias": "staging"}],
    ids=["model", "version", "alias"],
)
async def test_what_is_not_served_is_not_found(stub, changes) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await stub.Predict(_bad(**changes))

    assert raised.value.code() is grpc.StatusCode.NOT_FOUND
