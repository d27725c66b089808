"""CreateJob's checks, idempotency, listing and paging, and the ownership of every job RPC."""

import grpc
import pytest
from google.rpc import error_details_pb2, status_pb2

from alphintra.trainer.v1 import training_service_pb2 as messages
from tests.integration.trainer.conftest import (
    JOBS_ADMIN,
    JOBS_ALICE,
    JOBS_BOB,
    JOBS_OUTSIDER,
    scripted_job,
)
from tests.integration.trainer.jobs.helpers import wait_until_finished, watch_all

pytestmark = pytest.mark.integration


def field_violations(error: grpc.aio.AioRpcError) -> dict[str, str]:
    for key, value in error.trailing_metadata():
        if key == "grpc-status-details-bin":
            status = status_pb2.Status.FromString(value)
            for detail in status.details:
                if detail.Is(error_details_pb2.BadRequest.DESCRIPTOR):
                    bad = error_details_pb2.BadRequest()
                    detail.Unpack(bad)
                    return {item.field: item.description for item in bad.field_violations}
    return {}


async def create(stub, job: messages.Job, request_id: str = "") -> messages.Job:
    return (await stub.CreateJob(messages.CreateJobRequest(job=job, request_id=request_id))).job


async def test_bad_jobs_are_refused_naming_every_field(jobs_trainer):
    alice = jobs_trainer.training(JOBS_ALICE)
    job = scripted_job("steps=1", max_attempts=99, memory_limit_bytes=10)
    job.kind = messages.JOB_KIND_TRAINING
    job.timeout.FromSeconds(10**7)
    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await create(alice, job)
    assert raised.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert set(field_violations(raised.value)) == {
        "job.config",
        "job.timeout",
        "job.memory_limit_bytes",
        "job.max_attempts",
    }

    bad_spec = scripted_job("steps=1")
    bad_spec.config.backtest.spec.spec_version = "9"
    bad_spec.config.backtest.dataset_id = ""
    bad_spec.config.backtest.backtest.commission_fraction = -1
    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await create(alice, bad_spec)
    assert set(field_violations(raised.value)) == {
        "job.config.backtest.spec.spec_version",
        "job.config.backtest.dataset_id",
        "job.config.backtest.backtest.commission_fraction",
    }

    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await create(alice, messages.Job())
    assert set(field_violations(raised.value)) == {"job.kind"}
    assert (await alice.ListJobs(messages.ListJobsRequest())).jobs == []


async def test_memory_above_the_plan_is_resource_exhausted(jobs_trainer):
    alice = jobs_trainer.training(JOBS_ALICE)
    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await create(alice, scripted_job("steps=1", memory_limit_bytes=1 << 40))
    assert raised.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED


async def test_a_retried_create_returns_the_first_job(jobs_trainer):
    alice = jobs_trainer.training(JOBS_ALICE)
    first = await create(alice, scripted_job("steps=1"), request_id="once")
    again = await create(alice, scripted_job("steps=1"), request_id="once")
    assert again.id == first.id
    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await create(alice, scripted_job("steps=2"), request_id="once")
    assert raised.value.code() == grpc.StatusCode.ALREADY_EXISTS
    # another owner's request ids are their own
    assert (
        await create(jobs_trainer.training(JOBS_BOB), scripted_job("steps=1"), request_id="once")
    ).id != first.id


async def test_list_jobs_pages_newest_first_with_filters(jobs_trainer):
    alice = jobs_trainer.training(JOBS_ALICE)
    created = [await create(alice, scripted_job(f"steps={index}")) for index in range(5)]
    await alice.CancelJob(messages.CancelJobRequest(job_id=created[0].id))
    pages, token = [], ""
    while True:
        response = await alice.ListJobs(messages.ListJobsRequest(page_size=2, page_token=token))
        pages.append([job.id for job in response.jobs])
        token = response.next_page_token
        if not token:
            break
    assert [job_id for page in pages for job_id in page] == [job.id for job in reversed(created)]
    assert [len(page) for page in pages] == [2, 2, 1]
    cancelled = await alice.ListJobs(messages.ListJobsRequest(state=messages.JOB_STATE_CANCELLED))
    assert [job.id for job in cancelled.jobs] == [created[0].id]
    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await alice.ListJobs(messages.ListJobsRequest(page_token=token or "garbage"))
    assert raised.value.code() == grpc.StatusCode.INVALID_ARGUMENT


async def test_jobs_belong_to_their_owner(jobs_trainer):
    alice, bob = jobs_trainer.training(JOBS_ALICE), jobs_trainer.training(JOBS_BOB)
    admin, outsider = jobs_trainer.training(JOBS_ADMIN), jobs_trainer.training(JOBS_OUTSIDER)
    job = await create(alice, scripted_job("steps=1"))

    for stranger in (bob, outsider):
        for call in (
            stranger.GetJob(messages.GetJobRequest(job_id=job.id)),
            stranger.CancelJob(messages.CancelJobRequest(job_id=job.id)),
            stranger.ListJobLogs(messages.ListJobLogsRequest(job_id=job.id)),
            watch_all(stranger, job.id),
        ):
            with pytest.raises(grpc.aio.AioRpcError) as raised:
                await call
            assert raised.value.code() == grpc.StatusCode.NOT_FOUND
        assert (await stranger.ListJobs(messages.ListJobsRequest())).jobs == []

    assert (await admin.GetJob(messages.GetJobRequest(job_id=job.id))).job.id == job.id
    assert [listed.id for listed in (await admin.ListJobs(messages.ListJobsRequest())).jobs] == [job.id]
    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await admin.CancelJob(messages.CancelJobRequest(job_id=job.id))
    assert raised.value.code() == grpc.StatusCode.PERMISSION_DENIED


async def test_finished_jobs_cannot_be_cancelled(jobs_trainer, start_job_worker):
    start_job_worker()
    alice = jobs_trainer.training(JOBS_ALICE)
    job = await create(alice, scripted_job("steps=1"))
    await wait_until_finished(alice, job.id)
    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await alice.CancelJob(messages.CancelJobRequest(job_id=job.id))
    assert raised.value.code() == grpc.StatusCode.FAILED_PRECONDITION
