"""The experiment tracker over gRPC: experiments, runs, params, tags, metric series, search, comparison."""

from __future__ import annotations

import grpc
import pytest
from google.protobuf import field_mask_pb2

from alphintra.trainer.v1 import experiment_service_pb2 as messages
from tests.integration.trainer.datasets.helpers import expect_error, field_violations

pytestmark = pytest.mark.integration

INVALID = grpc.StatusCode.INVALID_ARGUMENT


async def new_experiment(stub, name: str = "btc trend", **fields) -> messages.Experiment:
    request = messages.CreateExperimentRequest(experiment=messages.Experiment(display_name=name), **fields)
    return (await stub.CreateExperiment(request)).experiment


async def new_run(stub, experiment_id: str, params: dict[str, str], tags: dict[str, str] | None = None,
                  **metrics: float) -> messages.Run:  # fmt: skip
    run = (
        await stub.CreateRun(
            messages.CreateRunRequest(experiment_id=experiment_id, params=params, tags=tags or {})
        )
    ).run
    if metrics:
        points = [messages.Metric(key=key, value=value) for key, value in metrics.items()]
        await stub.LogRunMetrics(messages.LogRunMetricsRequest(run_id=run.id, metrics=points))
    return run


async def search(stub, filter_text: str, **fields) -> list[str]:
    response = await stub.SearchRuns(messages.SearchRunsRequest(filter=filter_text, **fields))
    return [run.id for run in response.runs]


async def test_experiments_are_named_once_per_owner_and_listed_recent_first(
    experiments_alice, experiments_bob
):
    first = await new_experiment(experiments_alice, "one", request_id="e-1")
    assert first.name == f"experiments/{first.id}"
    assert first.owner_id == "alice"
    assert (await new_experiment(experiments_alice, "one", request_id="e-1")).id == first.id  # a retry
    await expect_error(new_experiment(experiments_alice, "ONE"), grpc.StatusCode.ALREADY_EXISTS)
    await expect_error(
        new_experiment(experiments_alice, "two", request_id="e-1"), grpc.StatusCode.ALREADY_EXISTS
    )
    assert (await new_experiment(experiments_bob, "one")).owner_id == "bob"  # names are per owner
    second = await new_experiment(experiments_alice, "two")
    await new_run(experiments_alice, first.id, {})  # a new run makes `one` the most recent
    listed = await experiments_alice.ListExperiments(messages.ListExperimentsRequest(page_size=1))
    assert [item.display_name for item in listed.experiments] == ["one"]
    assert listed.experiments[0].run_count == 1
    rest = await experiments_alice.ListExperiments(
        messages.ListExperimentsRequest(page_size=1, page_token=listed.next_page_token)
    )
    assert [item.id for item in rest.experiments] == [second.id]
    assert rest.next_page_token == ""
    problems = field_violations(await expect_error(new_experiment(experiments_alice, " "), INVALID))
    assert "experiment.display_name" in problems


async def test_a_run_records_params_once_tags_and_metric_series(experiments_alice):
    experiment = await new_experiment(experiments_alice)
    run = await new_run(experiments_alice, experiment.id, {"model": "lgbm"}, {"stage": "dev"})
    assert run.status == messages.RUN_STATUS_RUNNING
    await experiments_alice.LogRunParams(
        messages.LogRunParamsRequest(run_id=run.id, params={"model": "lgbm", "seed": "7"})
    )
    error = await expect_error(
        experiments_alice.LogRunParams(messages.LogRunParamsRequest(run_id=run.id, params={"model": "mlp"})),
        INVALID,
    )
    assert field_violations(error) == {"params[model]": "already logged as 'lgbm'"}
    await experiments_alice.SetRunTags(
        messages.SetRunTagsRequest(run_id=run.id, tags={"stage": "", "kind": "wf"})
    )
    points = [
        messages.Metric(key="loss", value=value, step=step) for step, value in ((0, 0.9), (2, 0.5), (1, 0.7))
    ]
    await experiments_alice.LogRunMetrics(messages.LogRunMetricsRequest(run_id=run.id, metrics=points))
    stored = (await experiments_alice.GetRun(messages.GetRunRequest(run_id=run.id))).run
    assert dict(stored.params) == {"model": "lgbm", "seed": "7"}
    assert dict(stored.tags) == {"kind": "wf"}
    assert [(metric.key, metric.value, metric.step) for metric in stored.latest_metrics] == [("loss", 0.5, 2)]
    assert stored.latest_metrics[0].HasField("time")

    finished = await experiments_alice.UpdateRun(
        messages.UpdateRunRequest(
            run=messages.Run(id=run.id, status=messages.RUN_STATUS_FINISHED, etag=stored.etag),
            update_mask=field_mask_pb2.FieldMask(paths=["status"]),
        )
    )
    assert finished.run.status == messages.RUN_STATUS_FINISHED
    assert finished.run.HasField("end_time")
    stale = messages.UpdateRunRequest(
        run=messages.Run(id=run.id, display_name="x", etag=stored.etag),
        update_mask=field_mask_pb2.FieldMask(paths=["display_name"]),
    )
    await expect_error(experiments_alice.UpdateRun(stale), grpc.StatusCode.ABORTED)
    back = messages.UpdateRunRequest(
        run=messages.Run(id=run.id, status=messages.RUN_STATUS_RUNNING),
        update_mask=field_mask_pb2.FieldMask(paths=["status"]),
    )
    assert "run.status" in field_violations(await expect_error(experiments_alice.UpdateRun(back), INVALID))
    late = messages.LogRunMetricsRequest(
        run_id=run.id, metrics=[messages.Metric(key="loss", value=0.1, step=3)]
    )
    await expect_error(experiments_alice.LogRunMetrics(late), grpc.StatusCode.FAILED_PRECONDITION)
    nan = messages.LogRunMetricsRequest(run_id=run.id, metrics=[messages.Metric(key="", value=float("nan"))])
    assert set(field_violations(await expect_error(experiments_alice.LogRunMetrics(nan), INVALID))) == {
        "metrics[0].key", "metrics[0].value",
    }  # fmt: skip


async def test_search_filters_orders_and_pages(experiments_alice, experiments_bob):
    experiment = await new_experiment(experiments_alice)
    other = await new_experiment(experiments_alice, "other")
    good = await new_run(experiments_alice, experiment.id, {"model": "lgbm"}, {"stage": "prod"}, sharpe=1.8)
    draft = await new_run(experiments_alice, experiment.id, {"model": "lgbm"}, {"stage": "dev"}, sharpe=2.5)
    weak = await new_run(experiments_alice, experiment.id, {"model": "mlp"}, {"stage": "prod"}, sharpe=0.4)
    elsewhere = await new_run(experiments_alice, other.id, {"model": "lgbm"}, {}, sharpe=3.0)
    await new_run(experiments_bob, (await new_experiment(experiments_bob)).id, {"model": "lgbm"}, sharpe=9.0)

    found = await search(
        experiments_alice, 'metrics.sharpe > 1 and params.model = "lgbm" and tags.stage != "dev"',
        experiment_ids=[experiment.id],
    )  # fmt: skip
    assert found == [good.id]
    assert await search(experiments_alice, "params.model LIKE 'lg%'", order_by=["metrics.sharpe DESC"]) == [
        elsewhere.id,
        draft.id,
        good.id,
    ]  # fmt: skip  (Bob's run is not Alice's to find)
    assert await search(experiments_alice, "attributes.status = 'RUNNING' and metrics.sharpe <= 0.4") == [
        weak.id
    ]
    first_page = await experiments_alice.SearchRuns(
        messages.SearchRunsRequest(order_by=["metrics.sharpe ASC"], page_size=3)
    )
    assert [run.id for run in first_page.runs] == [weak.id, good.id, draft.id]
    second_page = await experiments_alice.SearchRuns(
        messages.SearchRunsRequest(
            order_by=["metrics.sharpe ASC"], page_size=3, page_token=first_page.next_page_token
        )
    )
    assert [run.id for run in second_page.runs] == [elsewhere.id]
    assert second_page.next_page_token == ""
    # a string value is data: quotes and SQL inside it match nothing and change nothing
    assert await search(experiments_alice, "params.model = 'x'' OR ''1''=''1'' --'") == []
    assert await search(experiments_alice, 'tags.stage = "prod\'; DROP TABLE experiment_runs; --"') == []
    assert len(await search(experiments_alice, "")) == 4


@pytest.mark.parametrize(
    "hostile",
    [
        "metrics.sharpe > 1 or 1 = 1",
        "metrics.sharpe > 1; DROP TABLE experiment_runs",
        "params.model = 'lgbm' --",
        "attributes.owner_id = 'bob'",
        "metrics.sharpe > (SELECT 1)",
        "params.model = lgbm",
    ],
)
async def test_a_hostile_filter_is_refused_with_a_field_violation(experiments_alice, hostile):
    await new_run(
        experiments_alice, (await new_experiment(experiments_alice)).id, {"model": "lgbm"}, sharpe=1.0
    )
    error = await expect_error(
        experiments_alice.SearchRuns(messages.SearchRunsRequest(filter=hostile)), INVALID
    )
    assert list(field_violations(error)) == ["filter"]
    assert field_violations(error)["filter"].startswith("at character ")
    assert len(await search(experiments_alice, "")) == 1  # nothing was run


async def test_compare_runs_side_by_side(experiments_alice):
    experiment = await new_experiment(experiments_alice)
    first = await new_run(experiments_alice, experiment.id, {"model": "lgbm", "seed": "1"}, sharpe=1.0)
    second = await new_run(
        experiments_alice, experiment.id, {"model": "lgbm", "depth": "3"}, sharpe=2.0, loss=0.3
    )
    await experiments_alice.LogRunMetrics(
        messages.LogRunMetricsRequest(
            run_id=first.id, metrics=[messages.Metric(key="sharpe", value=1.5, step=1)]
        )
    )
    compared = await experiments_alice.CompareRuns(
        messages.CompareRunsRequest(run_ids=[second.id, first.id], history_metric_keys=["sharpe"])
    )
    assert [run.id for run in compared.runs] == [second.id, first.id]
    assert list(compared.param_keys) == ["depth", "model", "seed"]
    assert list(compared.metric_keys) == ["loss", "sharpe"]
    assert list(compared.differing_param_keys) == ["depth", "seed"]
    histories = {(history.run_id, history.key): [point.value for point in history.points]
                 for history in compared.metric_histories}  # fmt: skip
    assert histories == {(second.id, "sharpe"): [2.0], (first.id, "sharpe"): [1.0, 1.5]}
    await expect_error(
        experiments_alice.CompareRuns(messages.CompareRunsRequest(run_ids=[first.id])), INVALID
    )


async def test_runs_and_experiments_are_per_owner(experiments_alice, experiments_bob, experiments_admin):
    experiment = await new_experiment(experiments_alice)
    run = await new_run(experiments_alice, experiment.id, {"model": "lgbm"}, sharpe=1.0)
    not_found = grpc.StatusCode.NOT_FOUND
    await expect_error(
        experiments_bob.GetExperiment(messages.GetExperimentRequest(experiment_id=experiment.id)), not_found
    )
    await expect_error(experiments_bob.GetRun(messages.GetRunRequest(run_id=run.id)), not_found)
    await expect_error(
        experiments_bob.CreateRun(messages.CreateRunRequest(experiment_id=experiment.id)), not_found
    )
    await expect_error(
        experiments_bob.SetRunTags(messages.SetRunTagsRequest(run_id=run.id, tags={"x": "y"})), not_found
    )
    await expect_error(
        experiments_bob.CompareRuns(messages.CompareRunsRequest(run_ids=[run.id, run.id])), not_found
    )
    await expect_error(
        experiments_bob.SearchRuns(messages.SearchRunsRequest(experiment_ids=[experiment.id])), not_found
    )
    assert await search(experiments_bob, "") == []
    listed = await experiments_bob.ListExperiments(messages.ListExperimentsRequest())
    assert list(listed.experiments) == []
    # an admin of Alice's organisation reads, but does not write
    assert (await experiments_admin.GetRun(messages.GetRunRequest(run_id=run.id))).run.id == run.id
    assert await search(experiments_admin, "", experiment_ids=[experiment.id]) == [run.id]
    await expect_error(
        experiments_admin.LogRunParams(messages.LogRunParamsRequest(run_id=run.id, params={"a": "b"})),
        grpc.StatusCode.PERMISSION_DENIED,
    )
