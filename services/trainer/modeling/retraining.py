"""The RETRAINING job: a model retrained on fresh data, promoted to `staging` only when it is better.

The version under the job's alias (usually `production`) says how it was trained: the
TrainingJobConfig stored with it (spec, training config, backtest settings). The candidate is
trained the same way on the dataset's bars before a recent holdout (the last `holdout_fraction`,
default 0.2), registered as the next version (parent: the baseline), and both are scored on the
holdout through their ONNX files with the metric the model was tuned on. `staging` moves to the
candidate only when it beats the baseline by `promotion_margin` (a fraction of the baseline's
metric); the move is published on the alias channel like any alias change. The result says which
metric, both values, and why it was or was not promoted.
"""

from __future__ import annotations

from alphintra.trainer.v1 import training_service_pb2 as jobs
from services.core.analysis.walk_forward import slice_bars
from services.core.errors import FieldViolation, InvalidArgument
from services.core.modeling.export import onnx_scores
from services.core.modeling.holdout import onnx_model_scores, recent_holdout
from services.core.modeling.scoring import better
from services.trainer.datasets.loading import load_bars_sync
from services.trainer.jobs.contract import JobContext, JobEnvironment
from services.trainer.modeling.registration import promote, read_baseline
from services.trainer.modeling.tracking import tracked_run
from services.trainer.modeling.training import register_outcome, train, training_params, version_tags

FIELD = "job.config.retraining"
PROMOTED_ALIAS = "staging"
DEFAULT_ALIAS = "production"


def run_retraining_job(
    config: jobs.JobConfig, context: JobContext, environment: JobEnvironment
) -> jobs.JobResult:
    job = config.retraining
    if job.promotion_margin < 0:
        raise InvalidArgument(
            "invalid retraining", [FieldViolation(f"{FIELD}.promotion_margin", "a fraction ≥ 0")]
        )
    alias = job.alias or DEFAULT_ALIAS
    baseline = read_baseline(environment, owner_id=context.owner_id, model_name=job.model_name, alias=alias)
    number = baseline.version.version
    training_job = jobs.TrainingJobConfig.FromString(baseline.training_job)
    dataset_id = job.dataset_id or baseline.version.lineage.dataset_id
    context.log(f"retraining {job.model_name} v{number} ({alias}) on dataset {dataset_id}")
    record, bars = load_bars_sync(
        environment.database_url, environment.artifacts_root, context.owner_id, dataset_id,
        schema=environment.schema,
    )  # fmt: skip
    training_job.dataset_id = dataset_id
    holdout = recent_holdout(
        training_job.spec, bars, training_job.training, job.holdout_fraction, f"{FIELD}.holdout_fraction"
    )
    training_bars = slice_bars(bars, 0, holdout.start)
    params = {
        **training_params(training_job, record), "baseline_version": str(number), "alias": alias,
        "promotion_margin": repr(job.promotion_margin), "holdout_bars": str(len(bars) - holdout.start),
    }  # fmt: skip
    with tracked_run(
        environment, context, experiment=f"model {job.model_name}",
        display_name=f"retraining job {context.job_id[:8]}", params=params, tags={"kind": "retraining"},
    ) as run:  # fmt: skip
        outcome = train(training_job, training_bars, run.context)
        candidate_metric = holdout.metric_of(onnx_scores(outcome.exported, holdout.features))
        baseline_metric = holdout.metric_of(onnx_model_scores(baseline.content, holdout.features))
        training = register_outcome(
            training_job, outcome, run.context, environment, record=record, bars=training_bars,
            model_name=job.model_name, parent_version=number, run=run,
        )  # fmt: skip
        promoted = better(holdout.metric, candidate_metric, baseline_metric, job.promotion_margin)
        holdout_metrics = {f"holdout.candidate.{holdout.metric}": candidate_metric,
                           f"holdout.baseline.{holdout.metric}": baseline_metric}  # fmt: skip
        run.finish(
            {**training.metrics, **holdout_metrics},
            tags={**version_tags(training, outcome), "promoted": str(promoted).lower()},
        )
    candidate = training.model_version
    comparison = (
        f"holdout {holdout.metric} on the last {len(bars) - holdout.start} bars: candidate v{candidate} "
        f"{candidate_metric:.6g}, {alias} v{number} {baseline_metric:.6g}"
    )
    if promoted:
        reason = (
            f"{comparison}; better by at least {job.promotion_margin:.1%}: {PROMOTED_ALIAS} → v{candidate}"
        )
        promote(
            environment, model_name=job.model_name, alias=PROMOTED_ALIAS, version=candidate, reason=reason
        )
    else:
        reason = f"{comparison}; not better by {job.promotion_margin:.1%}: {PROMOTED_ALIAS} unchanged"
    context.log(reason)
    context.progress(1.0, "promoted" if promoted else "compared")
    return jobs.JobResult(
        retraining=jobs.RetrainingJobResult(
            training=training,
            baseline_version=number,
            baseline_holdout_metric=baseline_metric,
            candidate_holdout_metric=candidate_metric,
            promoted=promoted,
            reason=reason,
        )
    )
