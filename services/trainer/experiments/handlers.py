"""gRPC handlers of the experiment tracker: protobuf <-> the facade, nothing else."""

from __future__ import annotations

import grpc

from alphintra.trainer.v1 import experiment_service_pb2 as messages
from alphintra.trainer.v1 import experiment_service_pb2_grpc
from services.mesh.identity import current_caller
from services.trainer.experiments.app import ExperimentsApp

Context = grpc.aio.ServicerContext


class ExperimentHandlers(experiment_service_pb2_grpc.ExperimentServiceServicer):
    def __init__(self, app: ExperimentsApp) -> None:
        self._app = app

    async def CreateExperiment(
        self, request: messages.CreateExperimentRequest, context: Context
    ) -> messages.CreateExperimentResponse:
        experiment = await self._app.create_experiment(
            current_caller(), request.experiment, request.request_id
        )
        return messages.CreateExperimentResponse(experiment=experiment)

    async def GetExperiment(
        self, request: messages.GetExperimentRequest, context: Context
    ) -> messages.GetExperimentResponse:
        experiment = await self._app.get_experiment(current_caller(), request.experiment_id)
        return messages.GetExperimentResponse(experiment=experiment)

    async def ListExperiments(
        self, request: messages.ListExperimentsRequest, context: Context
    ) -> messages.ListExperimentsResponse:
        page = await self._app.list_experiments(
            current_caller(), request.page_size, request.page_token, request.query
        )
        return messages.ListExperimentsResponse(experiments=page.items, next_page_token=page.next_page_token)

    async def CreateRun(
        self, request: messages.CreateRunRequest, context: Context
    ) -> messages.CreateRunResponse:
        return messages.CreateRunResponse(run=await self._app.create_run(current_caller(), request))

    async def GetRun(self, request: messages.GetRunRequest, context: Context) -> messages.GetRunResponse:
        return messages.GetRunResponse(run=await self._app.get_run(current_caller(), request.run_id))

    async def SearchRuns(
        self, request: messages.SearchRunsRequest, context: Context
    ) -> messages.SearchRunsResponse:
        page = await self._app.search_runs(current_caller(), request)
        return messages.SearchRunsResponse(runs=page.items, next_page_token=page.next_page_token)

    async def LogRunMetrics(
        self, request: messages.LogRunMetricsRequest, context: Context
    ) -> messages.LogRunMetricsResponse:
        await self._app.log_metrics(current_caller(), request.run_id, list(request.metrics))
        return messages.LogRunMetricsResponse()

    async def LogRunParams(
        self, request: messages.LogRunParamsRequest, context: Context
    ) -> messages.LogRunParamsResponse:
        await self._app.log_params(current_caller(), request.run_id, dict(request.params))
        return messages.LogRunParamsResponse()

    async def SetRunTags(
        self, request: messages.SetRunTagsRequest, context: Context
    ) -> messages.SetRunTagsResponse:
        await self._app.set_tags(current_caller(), request.run_id, dict(request.tags))
        return messages.SetRunTagsResponse()

    async def UpdateRun(
        self, request: messages.UpdateRunRequest, context: Context
    ) -> messages.UpdateRunResponse:
        run = await self._app.update_run(current_caller(), request.run, list(request.update_mask.paths))
        return messages.UpdateRunResponse(run=run)

    async def CompareRuns(
        self, request: messages.CompareRunsRequest, context: Context
    ) -> messages.CompareRunsResponse:
        return await self._app.compare_runs(
            current_caller(), list(request.run_ids), list(request.history_metric_keys)
        )
