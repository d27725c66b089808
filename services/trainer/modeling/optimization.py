"""The OPTIMIZATION job: a stored workflow's parameters tuned by a shared Optuna study.

The job's spec names the workflow version it was compiled from; the optimiser works on the graph
(it writes trial values into nodes and compiles them), so the runner reads that version from the
workflow service, as the job's owner. The study (`services.core.modeling.optimization.optimize`)
lives in Optuna's RDB storage on PostgreSQL under the job's id, so every worker running this job
(a second worker, or a retried attempt) adds trials to the same study.

When the best parameters differ from the workflow's, they are saved as a new version of the
workflow made against the version optimised (`UpdateWorkflow`, `source_job_id` = the job), and
its number goes into the result. A retried attempt finds the version its earlier attempt saved;
a workflow edited meanwhile is left alone (the result still holds the best parameters).
"""

from __future__ import annotations

import math

from alphintra.strategy.v1.optimization_pb2 import Objective, Sampler
from alphintra.trainer.v1 import training_service_pb2 as jobs
from alphintra.workflow.v1.workflow_pb2 import WorkflowGraph
from services.core.analysis.search import KEY_METRICS
from services.core.errors import Aborted, FieldViolation, InvalidArgument, Unavailable
from services.core.modeling.optimization import Hooks, OptimizationOutcome, optimize, with_ranges
from services.core.strategy import apply_parameters, compile_graph
from services.mesh import conversions
from services.trainer.datasets.loading import load_bars_sync
from services.trainer.jobs.contract import JobContext, JobEnvironment, TemporaryJobFailure
from services.trainer.modeling.optimization_result import change_summary, changed_parameters, result_message
from services.trainer.modeling.study_storage import study_storage
from services.trainer.modeling.tracking import tracked_run
from services.trainer.modeling.workflow_client import WorkflowClient

FIELD = "job.config.optimization"


def run_optimization_job(
    config: jobs.JobConfig, context: JobContext, environment: JobEnvironment
) -> jobs.JobResult:
    job = config.optimization
    if not job.spec.workflow_id:
        raise InvalidArgument(
            "optimisation needs a stored workflow",
            [
                FieldViolation(
                    f"{FIELD}.spec.workflow_id", "create the job from a workflow (CreateJobFromWorkflow)"
                )
            ],
        )
    try:
        with WorkflowClient(environment.workflow_address, context.owner_id) as workflows:
            return _optimise(job, context, environment, workflows)
    except Unavailable as error:  # the workflow service or the database may come back: retry
        raise TemporaryJobFailure(error.message) from error


def _optimise(
    job: jobs.OptimizationJobConfig,
    context: JobContext,
    environment: JobEnvironment,
    workflows: WorkflowClient,
) -> jobs.JobResult:
    workflow_id, workflow_version = job.spec.workflow_id, job.spec.workflow_version
    graph = workflows.version(workflow_id, workflow_version).graph
    context.progress(0.0, "loading the dataset")
    record, bars = load_bars_sync(
        environment.database_url, environment.artifacts_root, context.owner_id, job.dataset_id,
        schema=environment.schema,
    )  # fmt: skip
    context.log(
        f"optimising workflow {workflow_id} v{workflow_version} on {len(bars)} bars ({record.content_hash})"
    )
    backtest_config = conversions.config_from_proto(job.backtest, f"{FIELD}.backtest")
    with tracked_run(
        environment, context, experiment=f"workflow {workflow_id}",
        display_name=f"optimisation job {context.job_id[:8]}", params=_run_params(job, record.content_hash),
        tags={"kind": "optimization"},
    ) as run:  # fmt: skip
        tracked = run.context
        hooks = Hooks(
            progress=tracked.progress, trial=lambda number, value: _trial_done(tracked, number, value),
            check_cancelled=tracked.check_cancelled,
        )  # fmt: skip
        with study_storage(environment.database_url) as storage:
            outcome = optimize(
                graph, bars, backtest_config, job.optimization, storage=storage, study_name=context.job_id,
                hooks=hooks, field_name=f"{FIELD}.optimization",
            )  # fmt: skip
        result = result_message(outcome, bars, backtest_config.initial_cash)
        _report(context, outcome)
        context.check_cancelled()
        context.progress(0.95, "saving the optimised workflow")
        result.new_workflow_version = _save_version(job, context, workflows, graph, outcome)
        run.finish(
            _run_metrics(outcome),
            params={f"best.{name}": str(value) for name, value in outcome.best.parameters.items()},
            tags={"new_workflow_version": str(result.new_workflow_version),
                  "overfitting_warning": str(result.overfitting_warning).lower()},
        )  # fmt: skip
    context.log(f"recorded as run {run.run_id} of experiment {run.run.experiment_id}")
    context.progress(1.0, "done")
    return jobs.JobResult(optimization=result)


def _run_params(job: jobs.OptimizationJobConfig, content_hash: str) -> dict[str, str]:
    config = job.optimization
    return {
        "dataset_id": job.dataset_id,
        "dataset_content_hash": content_hash,
        "workflow_id": job.spec.workflow_id,
        "workflow_version": str(job.spec.workflow_version),
        "sampler": Sampler.Name(config.sampler).removeprefix("SAMPLER_"),
        "objective": Objective.Name(config.objective).removeprefix("OBJECTIVE_"),
        "trial_count": str(config.trial_count),
        "seed": str(config.seed),
        "walk_forward": str(config.HasField("walk_forward")).lower(),
    }


def _run_metrics(outcome: OptimizationOutcome) -> dict[str, float]:
    metrics = {"best_objective": outcome.best.value}
    for prefix, span in (("in_sample", outcome.in_sample), ("out_of_sample", outcome.out_of_sample)):
        values = span.metrics.as_dict()
        metrics.update({f"{prefix}.{name}": float(values[name]) for name in KEY_METRICS})
    return metrics


def _trial_done(context: JobContext, number: int, value: float) -> None:
    if math.isfinite(value):
        context.metric("objective", value, step=number, trial=number)


def _report(context: JobContext, outcome: OptimizationOutcome) -> None:
    counts = {
        state: sum(trial.state == state for trial in outcome.trials)
        for state in ("complete", "pruned", "failed")
    }
    context.log(
        f"{len(outcome.trials)} trials ({counts['complete']} complete, {counts['pruned']} pruned, "
        f"{counts['failed']} failed); best #{outcome.best.number}: {outcome.best.value:.4g} "
        f"with {outcome.best.parameters}"
    )
    context.log(
        f"in-sample objective {outcome.in_sample.objective:.4g}, "
        f"out-of-sample {outcome.out_of_sample.objective:.4g}"
    )
    if outcome.overfitting_reason:
        context.log(f"overfitting warning: {outcome.overfitting_reason}", "warning")


def _save_version(
    job: jobs.OptimizationJobConfig, context: JobContext, workflows: WorkflowClient, graph: WorkflowGraph,
    outcome: OptimizationOutcome,
) -> int:  # fmt: skip
    workflow_id, optimised = job.spec.workflow_id, job.spec.workflow_version
    spec = compile_graph(with_ranges(graph, job.optimization, f"{FIELD}.optimization"))
    changes = changed_parameters(spec, outcome.best.parameters)
    if not changes:
        context.log("the workflow's own parameters were the best: no new version saved")
        return 0
    earlier = workflows.version_by_job(workflow_id, context.job_id)
    if earlier:
        context.log(f"workflow version {earlier} was saved by an earlier attempt of this job")
        return earlier
    tuned = apply_parameters(graph, {name: value for name, _, value in changes})
    summary = change_summary(changes, context.job_id)
    try:
        saved = workflows.save_graph(workflow_id, optimised, tuned, summary, context.job_id)
    except Aborted as error:
        context.log(
            f"workflow {workflow_id} changed since v{optimised}, no version saved: {error.message}", "warning"
        )
        return 0
    context.log(f"saved workflow {workflow_id} version {saved.version}: {summary}")
    return saved.version
