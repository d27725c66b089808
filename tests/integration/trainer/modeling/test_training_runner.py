"""The TRAINING runner on a platform dataset: an accepted ONNX model, registered with its lineage."""

from __future__ import annotations

import asyncio

import numpy as np
import onnxruntime
import pytest

from alphintra.strategy.v1 import training_pb2
from alphintra.trainer.v1 import model_registry_service_pb2 as registry
from alphintra.trainer.v1 import training_service_pb2 as jobs
from services.core.strategy import compile_graph, get_template
from services.trainer.modeling.training import run_training_job
from tests.integration.trainer.model_helpers import RecordingContext

pytestmark = pytest.mark.integration


def training_job(dataset_id: str) -> jobs.JobConfig:
    config = jobs.JobConfig()
    job = config.training
    job.spec.CopyFrom(
        compile_graph(get_template("macd_adx_trend").graph, workflow_id="wf-1", workflow_version=3)
    )
    job.dataset_id = dataset_id
    job.training.CopyFrom(
        training_pb2.TrainingConfig(
            model_family=training_pb2.MODEL_FAMILY_LIGHTGBM,
            label=training_pb2.LabelDefinition(
                forward_return=training_pb2.ForwardReturnLabel(threshold=0.0), horizon_bars=5
            ),
            split=training_pb2.DataSplit(
                train_fraction=0.6, validation_fraction=0.2, test_fraction=0.2, gap_bars=5
            ),
            seed=7,
            model_name="btc-macd-lgbm",
        )
    )
    return config


async def test_a_lightgbm_model_is_trained_checked_and_registered(modeling_trainer):
    platform, environment, registry_stub = modeling_trainer
    dataset_id = platform["BTC-USD daily 5y"]
    context = RecordingContext(job_id="job-train-1", owner_id="alice")
    result = await asyncio.to_thread(run_training_job, training_job(dataset_id), context, environment)
    training = result.training
    assert training.model_name == "btc-macd-lgbm"
    assert training.model_version == 1
    assert training.onnx_parity_max_error <= 1e-5
    assert {"test.roc_auc", "validation.log_loss", "test_backtest.sharpe_ratio"} <= set(training.metrics)
    assert training.test_backtest.metrics.bar_count > 0
    assert context.progress_reports[-1][0] == 1.0
    found = await registry_stub.GetModelVersion(
        registry.GetModelVersionRequest(model_name="btc-macd-lgbm", version=1)
    )
    version = found.model_version
    assert version.lineage.dataset_id == dataset_id
    assert version.lineage.dataset_content_hash.startswith("sha256:")
    assert (version.lineage.workflow_id, version.lineage.workflow_version) == ("wf-1", 3)
    assert version.lineage.job_id == "job-train-1"
    assert training.run_id
    assert version.lineage.run_id == training.run_id
    assert version.lineage.experiment_id
    assert list(version.signature.feature_names) == [
        "adx.adx", "adx.plus_di", "adx.minus_di", "macd.macd", "macd.signal", "macd.histogram",
    ]  # fmt: skip
    assert len(version.reference_distributions) == 6
    assert all(len(item.quantiles) == 101 for item in version.reference_distributions)
    content = b"".join([
        chunk.chunk async for chunk in registry_stub.DownloadModelArtifact(
            registry.DownloadModelArtifactRequest(model_name="btc-macd-lgbm", version=1))
    ])  # fmt: skip
    session = onnxruntime.InferenceSession(content, providers=["CPUExecutionProvider"])
    (probabilities,) = session.run(["probabilities"], {"features": np.zeros((2, 6), dtype=np.float32)})
    assert probabilities.shape == (2, 2)
    # a retried attempt of the same job finds its version instead of adding another
    again = await asyncio.to_thread(run_training_job, training_job(dataset_id), context, environment)
    assert again.training.model_version == 1
