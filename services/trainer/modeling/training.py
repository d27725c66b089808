"""The TRAINING job: a model on a strategy's features, exported to ONNX, checked, registered.

The pipeline is pure code (`services.core.modeling.training`); this runner loads the dataset,
reports progress and per-trial metrics to the job, stores the accepted ONNX file in the
artifact store, registers the version (signature, metrics, lineage, reference distributions)
and returns the TrainingResult with the test-split backtest.
"""

from __future__ import annotations

import hashlib
import math

from alphintra.strategy.v1 import training_pb2
from alphintra.trainer.v1 import model_registry_service_pb2 as registry
from alphintra.trainer.v1 import training_service_pb2 as jobs
from services.core.backtest import Bars
from services.core.modeling.scoring import METRIC_NAMES
from services.core.modeling.training import Hooks, TrainingOutcome, train_model
from services.core.strategy.parameters import from_python, to_python
from services.mesh import conversions
from services.mesh.artifacts import ArtifactStore
from services.trainer.datasets.loading import load_bars_sync
from services.trainer.datasets.records import DatasetRecord
from services.trainer.jobs.contract import JobContext, JobEnvironment
from services.trainer.modeling.registration import register_version
from services.trainer.modeling.tracking import RunTracker, tracked_run


def run_training_job(
    config: jobs.JobConfig, context: JobContext, environment: JobEnvironment
) -> jobs.JobResult:
    job = config.training
    context.log(f"loading dataset {job.dataset_id}")
    record, bars = load_bars_sync(
        environment.database_url, environment.artifacts_root, context.owner_id, job.dataset_id,
        schema=environment.schema,
    )  # fmt: skip
    result = train_and_register(job, record, bars, context, environment)
    return jobs.JobResult(training=result)


def train_and_register(
    job: jobs.TrainingJobConfig, record: DatasetRecord, bars: Bars, context: JobContext,
    environment: JobEnvironment,
) -> training_pb2.TrainingResult:  # fmt: skip
    model_name = job.training.model_name or f"model-{context.job_id[:12]}"
    with tracked_run(
        environment, context, experiment=f"model {model_name}",
        display_name=f"training job {context.job_id[:8]}", params=training_params(job, record),
        tags={"kind": "training"},
    ) as run:  # fmt: skip
        outcome = train(job, bars, run.context)
        result = register_outcome(
            job, outcome, run.context, environment, record=record, bars=bars, model_name=model_name, run=run
        )
        run.finish(dict(result.metrics), tags=version_tags(result, outcome))
    context.progress(1.0, "registered")
    return result


def training_params(job: jobs.TrainingJobConfig, record: DatasetRecord) -> dict[str, str]:
    """The run's parameters: what the model was trained on and how."""
    config = job.training
    params = {
        "dataset_id": record.id,
        "dataset_content_hash": record.content_hash,
        "workflow_id": job.spec.workflow_id,
        "workflow_version": str(job.spec.workflow_version),
        "model_family": training_pb2.ModelFamily.Name(config.model_family).removeprefix("MODEL_FAMILY_"),
        "label": config.label.WhichOneof("source") or "",
        "horizon_bars": str(config.label.horizon_bars),
        "gap_bars": str(config.split.gap_bars),
        "seed": str(config.seed),
        "hyperparameter_trials": str(config.hyperparameter_search.trial_count),
    }
    for name, value in config.hyperparameters.items():
        params[f"hyperparameters.{name}"] = str(to_python(value))
    return params


def version_tags(result: training_pb2.TrainingResult, outcome: TrainingOutcome) -> dict[str, str]:
    return {
        "model_name": result.model_name,
        "model_version": str(result.model_version),
        "artifact.model.onnx": "sha256:" + hashlib.sha256(outcome.exported.content).hexdigest(),
    }


def train(job: jobs.TrainingJobConfig, bars: Bars, context: JobContext) -> TrainingOutcome:
    """The accepted model (its ONNX form checked against the native one), reporting to the job."""
    backtest_config = conversions.config_from_proto(job.backtest, "backtest")
    metric_name = "validation." + _search_metric(job.training)
    hooks = Hooks(
        progress=context.progress,
        trial=lambda number, value: context.metric(metric_name, value, step=number, trial=number),
        check_cancelled=context.check_cancelled,
    )
    outcome = train_model(job.spec, bars, job.training, backtest_config, hooks)
    context.log(
        f"ONNX parity: max |native − onnx| = {outcome.parity_error:.3g} on {outcome.split.test.size} rows"
    )
    context.check_cancelled()
    return outcome


def register_outcome(
    job: jobs.TrainingJobConfig, outcome: TrainingOutcome, context: JobContext, environment: JobEnvironment,
    *, record: DatasetRecord, bars: Bars, model_name: str, run: RunTracker, parent_version: int = 0,
) -> training_pb2.TrainingResult:  # fmt: skip
    """The ONNX file into the artifact store, the version into the registry, and the job's result."""
    stored = ArtifactStore(environment.artifacts_root).put_bytes(outcome.exported.content)
    version = version_message(
        job, record, outcome, stored.digest, job_id=context.job_id, parent_version=parent_version
    )
    version.lineage.experiment_id = run.run.experiment_id
    version.lineage.run_id = run.run_id
    registered = register_version(
        environment, owner_id=context.owner_id, job_id=context.job_id, model_name=model_name, version=version,
        training_job=job.SerializeToString(),
    )  # fmt: skip
    context.log(f"registered {model_name} version {registered.version.version}")
    result = training_result(job, outcome, bars, registered.model_name, registered.version.version)
    result.run_id = run.run_id
    return result


def _search_metric(config: training_pb2.TrainingConfig) -> str:
    return METRIC_NAMES.get(config.hyperparameter_search.metric, "score")


def version_message(
    job: jobs.TrainingJobConfig, record: DatasetRecord, outcome: TrainingOutcome, digest: str, *, job_id: str,
    parent_version: int,
) -> registry.ModelVersion:  # fmt: skip
    version = registry.ModelVersion(description=f"trained by job {job_id}")
    version.artifact.digest = "sha256:" + digest
    for tensor in outcome.exported.inputs:
        version.signature.inputs.add(name=tensor.name, datatype=tensor.datatype, shape=list(tensor.shape))
    for tensor in outcome.exported.outputs:
        version.signature.outputs.add(name=tensor.name, datatype=tensor.datatype, shape=list(tensor.shape))
    version.signature.feature_names.extend(outcome.dataset.names)
    if not outcome.dataset.regression:
        version.signature.class_names.extend(["0", "1"])
    for name, value in outcome.metrics.items():
        if math.isfinite(value):
            version.metrics[name] = value
    version.metrics["onnx_parity_max_error"] = outcome.parity_error
    lineage = version.lineage
    lineage.dataset_id = record.id
    lineage.dataset_content_hash = record.content_hash
    lineage.workflow_id = job.spec.workflow_id
    lineage.workflow_version = job.spec.workflow_version
    lineage.training_config.CopyFrom(job.training)
    lineage.parent_version = parent_version
    lineage.job_id = job_id
    for item in outcome.distributions:
        version.reference_distributions.add(
            feature=item.feature, bin_edges=item.bin_edges, bin_fractions=item.bin_fractions,
            quantiles=item.quantiles, mean=item.mean, standard_deviation=item.standard_deviation,
        )  # fmt: skip
    version.tags["signal_threshold"] = repr(outcome.threshold)
    return version


def training_result(
    job: jobs.TrainingJobConfig, outcome: TrainingOutcome, bars: Bars, model_name: str, version: int
) -> training_pb2.TrainingResult:
    backtest_config = conversions.config_from_proto(job.backtest, "backtest")
    result = training_pb2.TrainingResult(
        model_name=model_name,
        model_version=version,
        onnx_parity_max_error=outcome.parity_error,
        test_backtest=conversions.result_to_proto(
            outcome.test_backtest, outcome.test_bars, backtest_config, job.backtest,
            symbol=job.spec.data_source.symbol,
        ),
    )  # fmt: skip
    for name, value in outcome.metrics.items():
        result.metrics[name] = value
    for name, value in outcome.hyperparameters.items():
        result.best_hyperparameters[name].CopyFrom(from_python(value))
    for name, value in outcome.feature_importances.items():
        result.feature_importances[name] = value
    return result
