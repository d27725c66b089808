"""The OPTIMIZATION runner on a platform dataset, against a real workflow service and Optuna on PostgreSQL."""

from __future__ import annotations

import asyncio
import threading

import optuna
import pytest

from alphintra.strategy.v1.optimization_pb2 import Objective, OptimizationConfig, Sampler
from alphintra.trainer.v1 import experiment_service_pb2
from alphintra.trainer.v1 import training_service_pb2 as jobs
from alphintra.workflow.v1 import workflow_pb2, workflow_service_pb2
from services.core.backtest import BacktestConfig
from services.core.errors import InvalidArgument
from services.core.modeling.optimization import Hooks, optimize
from services.core.modeling.synthetic import synthetic_bars
from services.core.strategy import compile_graph, get_template
from services.core.strategy.parameters import to_python
from services.trainer.jobs.contract import JobEnvironment
from services.trainer.modeling.optimization import run_optimization_job
from services.trainer.modeling.study_storage import SCHEMA, open_storage
from tests.helpers import assert_eventually
from tests.integration.trainer.model_helpers import RecordingContext

pytestmark = pytest.mark.integration

TRIALS = 12


async def stored_workflow(mesh) -> workflow_pb2.Workflow:
    created = await mesh.workflows.CreateWorkflow(
        workflow_service_pb2.CreateWorkflowRequest(
            workflow=workflow_pb2.Workflow(
                display_name="sma cross", graph=get_template("sma_crossover").graph
            ),
            request_id="create-sma",
        )
    )
    return created.workflow


async def queued_optimization(mesh, workflow: workflow_pb2.Workflow, trials: int = TRIALS) -> jobs.Job:
    job = jobs.Job(kind=jobs.JOB_KIND_OPTIMIZATION, display_name="tune sma")
    job.config.optimization.dataset_id = mesh.platform["BTC-USD daily 5y"]
    job.config.optimization.optimization.CopyFrom(
        OptimizationConfig(
            sampler=Sampler.SAMPLER_TPE, objective=Objective.OBJECTIVE_SHARPE, trial_count=trials, seed=11
        )
    )
    response = await mesh.training.CreateJobFromWorkflow(
        jobs.CreateJobFromWorkflowRequest(
            workflow_id=workflow.id, workflow_version=workflow.version, job=job, request_id="tune-1"
        )
    )
    return response.job


async def test_an_optimisation_improves_the_defaults_and_saves_a_workflow_version(optimization_mesh):
    mesh = optimization_mesh
    workflow = await stored_workflow(mesh)
    job = await queued_optimization(mesh, workflow)
    context = RecordingContext(job_id=job.id, owner_id="alice")

    result = await asyncio.to_thread(run_optimization_job, job.config, context, mesh.job_environment)

    optimization = result.optimization
    assert len(optimization.trials) == TRIALS
    defaults = optimization.trials[0]
    spec = compile_graph(workflow.graph)
    assert {name: to_python(value) for name, value in defaults.parameters.items()} == {
        tunable.name: to_python(tunable.current_value) for tunable in spec.tunable_parameters
    }
    assert optimization.best_objective_value > defaults.objective_value  # in-sample, improved
    bar_count = optimization.in_sample_metrics.bar_count + optimization.out_of_sample_metrics.bar_count
    assert bar_count > 1200  # five years of daily bars
    assert optimization.out_of_sample_metrics.bar_count == bar_count - int(bar_count * 0.7)  # reported
    assert optimization.in_sample_metrics.sharpe_ratio == pytest.approx(optimization.best_objective_value)
    objective_reports = [item for item in context.metrics if item[0] == "objective"]
    assert [trial for *_, trial in objective_reports] == list(range(TRIALS))
    assert context.progress_reports[-1] == (1.0, "done")

    # the optimised parameters are a new version of the workflow, recorded as this job's
    assert optimization.new_workflow_version == workflow.version + 1
    saved = await mesh.workflows.GetWorkflowVersion(
        workflow_service_pb2.GetWorkflowVersionRequest(workflow_id=workflow.id, version=workflow.version + 1)
    )
    version = saved.workflow_version
    assert version.source_job_id == job.id
    assert version.change_summary.startswith("optimised: ")
    assert f"(job {job.id[:8]}…)" in version.change_summary
    tuned = compile_graph(version.graph)
    best = {name: to_python(value) for name, value in optimization.best_parameters.items()}
    assert {tunable.name: to_python(tunable.current_value) for tunable in tuned.tunable_parameters} == best

    # the job's run in the workflow's experiment: its settings, the trial series, the best values
    (run,) = (
        await mesh.experiments.SearchRuns(
            experiment_service_pb2.SearchRunsRequest(filter=f"attributes.job_id = '{job.id}'")
        )
    ).runs
    assert run.status == experiment_service_pb2.RUN_STATUS_FINISHED
    assert run.params["sampler"] == "TPE"
    assert run.params["workflow_id"] == workflow.id
    assert {key for key in run.params if key.startswith("best.")} == {f"best.{name}" for name in best}
    assert run.tags["new_workflow_version"] == str(workflow.version + 1)
    latest = {metric.key: metric for metric in run.latest_metrics}
    assert latest["best_objective"].value == pytest.approx(optimization.best_objective_value)
    assert "out_of_sample.total_return" in latest
    experiment = await mesh.experiments.GetExperiment(
        experiment_service_pb2.GetExperimentRequest(experiment_id=run.experiment_id)
    )
    assert experiment.experiment.display_name == f"workflow {workflow.id}"

    # the study is in Optuna's schema, named by the job; a retried attempt adds no trial, finds the version
    storage = open_storage(mesh.job_environment.database_url)
    try:
        assert len(optuna.load_study(study_name=job.id, storage=storage).trials) == TRIALS
    finally:
        storage.engine.dispose()
    again = await asyncio.to_thread(run_optimization_job, job.config, context, mesh.job_environment)
    assert again.optimization.new_workflow_version == workflow.version + 1
    assert again.optimization.best_parameters == optimization.best_parameters


@pytest.mark.parametrize("optimization_mesh", [1], indirect=True)
async def test_an_optimisation_job_runs_through_a_worker(optimization_mesh):
    """The whole path: CreateJobFromWorkflow, a worker's child process, the workflow service, the result."""
    mesh = optimization_mesh
    workflow = await stored_workflow(mesh)
    job = await queued_optimization(mesh, workflow, trials=6)

    async def finished() -> bool:
        found = (await mesh.training.GetJob(jobs.GetJobRequest(job_id=job.id))).job
        assert found.state not in (jobs.JOB_STATE_FAILED, jobs.JOB_STATE_CANCELLED), found.error
        return found.state == jobs.JOB_STATE_SUCCEEDED

    await assert_eventually(finished, timeout=90.0, interval=0.5)
    done = (await mesh.training.GetJob(jobs.GetJobRequest(job_id=job.id))).job
    assert len(done.result.optimization.trials) == 6
    assert done.result.optimization.new_workflow_version in (0, workflow.version + 1)
    current = (
        await mesh.workflows.GetWorkflow(workflow_service_pb2.GetWorkflowRequest(workflow_id=workflow.id))
    ).workflow
    assert current.version == workflow.version + (1 if done.result.optimization.new_workflow_version else 0)


def test_a_spec_without_a_workflow_is_refused(tmp_path):
    config = jobs.JobConfig()
    config.optimization.spec.CopyFrom(compile_graph(get_template("sma_crossover").graph))
    config.optimization.dataset_id = "any"
    environment = JobEnvironment(database_url="postgresql://unused", redis_url="", artifacts_root=tmp_path)
    with pytest.raises(InvalidArgument) as caught:
        run_optimization_job(config, RecordingContext(job_id="job-x", owner_id="alice"), environment)
    assert caught.value.message == "optimisation needs a stored workflow"
    assert caught.value.violations[0].field == "job.config.optimization.spec.workflow_id"


def test_two_workers_share_one_study(database_url):
    """Two threads, each with its own storage as separate workers would have, on one fresh database."""
    graph = get_template("sma_crossover").graph
    bars = synthetic_bars(700, seed=3)
    config = OptimizationConfig(sampler=Sampler.SAMPLER_RANDOM, trial_count=16, seed=5)
    ran: dict[str, list[int]] = {"first": [], "second": []}
    start = threading.Barrier(2)
    failures: list[BaseException] = []

    def worker(name: str) -> None:
        try:
            start.wait()
            storage = open_storage(database_url)  # both create the schema at once: the advisory lock
            try:
                hooks = Hooks(trial=lambda number, value: ran[name].append(number))
                optimize(
                    graph, bars, BacktestConfig(), config, storage=storage, study_name="shared", hooks=hooks
                )
            finally:
                storage.engine.dispose()
        except BaseException as error:  # reported by the test thread
            failures.append(error)

    threads = [threading.Thread(target=worker, args=(name,)) for name in ran]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not failures, failures
    assert ran["first"], ran
    assert ran["second"], ran
    assert not set(ran["first"]) & set(ran["second"])
    storage = open_storage(database_url)
    try:
        study = optuna.load_study(study_name="shared", storage=storage)
        assert sorted(ran["first"] + ran["second"]) == [trial.number for trial in study.trials]
        assert len(study.trials) >= 16
        with storage.engine.connect() as connection:
            schema = connection.exec_driver_sql("SELECT current_schema()").scalar()
        assert schema == SCHEMA
    finally:
        storage.engine.dispose()
