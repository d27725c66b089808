"""gRPC handlers of TrainingService: protobuf <-> the jobs facade, nothing else."""

from __future__ import annotations

from collections.abc import AsyncIterator

import grpc

from alphintra.trainer.v1 import training_service_pb2 as messages
from alphintra.trainer.v1 import training_service_pb2_grpc
from services.mesh.identity import current_caller
from services.trainer.jobs.app import JobsApp
from services.trainer.jobs.from_workflow import WorkflowJobs

Context = grpc.aio.ServicerContext


class TrainingHandlers(training_service_pb2_grpc.TrainingServiceServicer):
    def __init__(self, app: JobsApp, from_workflow: WorkflowJobs) -> None:
        self._app = app
        self._from_workflow = from_workflow

    async def CreateJob(
        self, request: messages.CreateJobRequest, context: Context
    ) -> messages.CreateJobResponse:
        return messages.CreateJobResponse(
            job=await self._app.create(current_caller(), request.job, request.request_id)
        )

    async def CreateJobFromWorkflow(
        self, request: messages.CreateJobFromWorkflowRequest, context: Context
    ) -> messages.CreateJobFromWorkflowResponse:
        job = await self._from_workflow.create(
            current_caller(), request.workflow_id, request.workflow_version, request.job, request.request_id
        )
        return messages.CreateJobFromWorkflowResponse(job=job)

    async def GetJob(self, request: messages.GetJobRequest, context: Context) -> messages.GetJobResponse:
        return messages.GetJobResponse(job=await self._app.get(current_caller(), request.job_id))

    async def ListJobs(
        self, request: messages.ListJobsRequest, context: Context
    ) -> messages.ListJobsResponse:
        page = await self._app.list(
            current_caller(),
            page_size=request.page_size,
            page_token=request.page_token,
            state=request.state,
            kind=request.kind,
            workflow_id=request.workflow_id,
        )
        return messages.ListJobsResponse(jobs=page.items, next_page_token=page.next_page_token)

    async def CancelJob(
        self, request: messages.CancelJobRequest, context: Context
    ) -> messages.CancelJobResponse:
        return messages.CancelJobResponse(
            job=await self._app.cancel(current_caller(), request.job_id, request.reason)
        )

    async def WatchJob(
        self, request: messages.WatchJobRequest, context: Context
    ) -> AsyncIterator[messages.WatchJobResponse]:
        async for event in self._app.watch(current_caller(), request.job_id, request.from_sequence):
            yield messages.WatchJobResponse(event=event)

    async def ListJobLogs(
        self, request: messages.ListJobLogsRequest, context: Context
    ) -> messages.ListJobLogsResponse:
        page = await self._app.logs(
            current_caller(),
            request.job_id,
            page_size=request.page_size,
            page_token=request.page_token,
            minimum_level=request.minimum_level,
        )
        return messages.ListJobLogsResponse(events=page.items, next_page_token=page.next_page_token)
