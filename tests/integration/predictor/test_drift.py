"""Drift: detected on a shifted input, not on an unshifted one; reported, measured and alerted."""

from __future__ import annotations

import logging

import grpc
import numpy as np
import pytest
from google.protobuf import duration_pb2
from prometheus_client import REGISTRY

from alphintra.predictor.v1 import predictor_service_pb2 as messages
from tests.helpers import assert_eventually
from tests.integration.predictor.model_files import training_data
from tests.integration.predictor.requests import predict_request

pytestmark = pytest.mark.integration


@pytest.fixture
def predictor_settings() -> dict[str, object]:
    return {"drift_check_seconds": 0.1}


async def send(stub, rows: np.ndarray) -> None:
    for start in range(0, rows.shape[0], 50):
        await stub.Predict(predict_request("churn", rows[start : start + 50]))


def unshifted(count: int) -> np.ndarray:
    features, _ = training_data(seed=5, rows=count)
    return features


async def drift_report(stub) -> messages.GetDriftReportResponse:
    return await stub.GetDriftReport(
        messages.GetDriftReportRequest(model_name="churn", window=duration_pb2.Duration(seconds=600))
    )


async def test_unshifted_input_shows_no_drift(stub) -> None:
    await send(stub, unshifted(1_000))

    report = await drift_report(stub)

    assert report.row_count == 1_000
    assert report.version == 1
    assert report.level == messages.DRIFT_LEVEL_NONE
    assert [feature.feature for feature in report.features] == ["x0", "x1", "x2", "x3"]
    assert max(feature.psi for feature in report.features) < 0.1
    assert min(feature.ks_p_value for feature in report.features) > 0.001


async def test_shifted_input_is_detected_reported_and_alerted(stub, caplog) -> None:
    rows = unshifted(1_000)
    rows[:, 2] += 1.5
    caplog.set_level(logging.WARNING, logger="alphintra.predictor.drift")

    await send(stub, rows)
    report = await drift_report(stub)

    features = {feature.feature: feature for feature in report.features}
    assert report.level == messages.DRIFT_LEVEL_SIGNIFICANT
    assert features["x2"].level == messages.DRIFT_LEVEL_SIGNIFICANT
    assert features["x2"].ks_statistic > 0.3
    assert features["x2"].mean == pytest.approx(1.5, abs=0.15)
    assert features["x0"].level == messages.DRIFT_LEVEL_NONE
    labels = {"model": "churn", "version": "1", "feature": "x2"}
    await assert_eventually(
        lambda: (REGISTRY.get_sample_value("alphintra_predictor_drift_alerts_total", labels) or 0) >= 1
    )
    assert REGISTRY.get_sample_value("alphintra_predictor_feature_psi", labels) > 0.25
    assert any(
        getattr(record, "event", "") == "drift_alert" and record.feature == "x2" for record in caplog.records
    )


async def test_too_few_rows_is_a_failed_precondition(stub) -> None:
    await send(stub, unshifted(50))

    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await drift_report(stub)

    assert raised.value.code() is grpc.StatusCode.FAILED_PRECONDITION


async def test_a_version_without_reference_is_a_failed_precondition(stub) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await stub.GetDriftReport(messages.GetDriftReportRequest(model_name="price"))

    assert raised.value.code() is grpc.StatusCode.FAILED_PRECONDITION
