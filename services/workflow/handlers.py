"""gRPC handlers of the workflow service: protobuf <-> the facades, nothing else."""

from __future__ import annotations

import grpc

from alphintra.workflow.v1 import workflow_service_pb2 as messages
from alphintra.workflow.v1 import workflow_service_pb2_grpc
from services.mesh import conversions
from services.mesh.identity import current_caller
from services.workflow.app import WorkflowApp
from services.workflow.strategies import GraphSource, StrategyRuns

Context = grpc.aio.ServicerContext


class WorkflowHandlers(workflow_service_pb2_grpc.WorkflowServiceServicer):
    def __init__(self, app: WorkflowApp, runs: StrategyRuns) -> None:
        self._app = app
        self._runs = runs

    async def CreateWorkflow(
        self, request: messages.CreateWorkflowRequest, context: Context
    ) -> messages.CreateWorkflowResponse:
        workflow = await self._app.create(current_caller(), request.workflow, request.request_id)
        return messages.CreateWorkflowResponse(workflow=workflow)

    async def GetWorkflow(
        self, request: messages.GetWorkflowRequest, context: Context
    ) -> messages.GetWorkflowResponse:
        return messages.GetWorkflowResponse(
            workflow=await self._app.get(current_caller(), request.workflow_id)
        )

    async def ListWorkflows(
        self, request: messages.ListWorkflowsRequest, context: Context
    ) -> messages.ListWorkflowsResponse:
        page = await self._app.list(
            current_caller(),
            page_size=request.page_size,
            page_token=request.page_token,
            query=request.query,
            order_by=request.order_by,
            full=request.view == messages.WORKFLOW_VIEW_FULL,
        )
        return messages.ListWorkflowsResponse(workflows=page.items, next_page_token=page.next_page_token)

    async def UpdateWorkflow(
        self, request: messages.UpdateWorkflowRequest, context: Context
    ) -> messages.UpdateWorkflowResponse:
        workflow = await self._app.update(
            current_caller(),
            request.workflow,
            list(request.update_mask.paths),
            request.expected_version,
            request.change_summary,
            source_job_id=request.source_job_id,
        )
        return messages.UpdateWorkflowResponse(workflow=workflow)

    async def DeleteWorkflow(
        self, request: messages.DeleteWorkflowRequest, context: Context
    ) -> messages.DeleteWorkflowResponse:
        await self._app.delete(current_caller(), request.workflow_id, request.expected_version)
        return messages.DeleteWorkflowResponse()

    async def ListWorkflowVersions(
        self, request: messages.ListWorkflowVersionsRequest, context: Context
    ) -> messages.ListWorkflowVersionsResponse:
        page = await self._app.list_versions(
            current_caller(), request.workflow_id, request.page_size, request.page_token
        )
        return messages.ListWorkflowVersionsResponse(
            versions=page.items, next_page_token=page.next_page_token
        )

    async def GetWorkflowVersion(
        self, request: messages.GetWorkflowVersionRequest, context: Context
    ) -> messages.GetWorkflowVersionResponse:
        version = await self._app.get_version(current_caller(), request.workflow_id, request.version)
        return messages.GetWorkflowVersionResponse(workflow_version=version)

    async def ListNodeTypes(
        self, request: messages.ListNodeTypesRequest, context: Context
    ) -> messages.ListNodeTypesResponse:
        current_caller()
        node_types, catalog_version = self._runs.node_types(request.category)
        return messages.ListNodeTypesResponse(node_types=node_types, catalog_version=catalog_version)

    async def ValidateWorkflow(
        self, request: messages.ValidateWorkflowRequest, context: Context
    ) -> messages.ValidateWorkflowResponse:
        valid, problems = await self._runs.validate(current_caller(), _source(request))
        return messages.ValidateWorkflowResponse(valid=valid, problems=problems)

    async def CompileWorkflow(
        self, request: messages.CompileWorkflowRequest, context: Context
    ) -> messages.CompileWorkflowResponse:
        spec, code, warnings = await self._runs.compile(current_caller(), _source(request))
        return messages.CompileWorkflowResponse(spec=spec, python_code=code, warnings=warnings)

    async def ExecuteWorkflow(
        self, request: messages.ExecuteWorkflowRequest, context: Context
    ) -> messages.ExecuteWorkflowResponse:
        execution = await self._runs.execute(
            current_caller(),
            workflow_id=request.workflow_id,
            version=request.workflow_version,
            mode=request.mode,
            bars=request.bars if request.HasField("bars") else None,
            dataset_id=request.dataset_id,
            config=request.backtest_config,
            model_config=request.model_config if request.HasField("model_config") else None,
            request_id=request.request_id,
        )
        return messages.ExecuteWorkflowResponse(execution=execution)

    async def GetExecution(
        self, request: messages.GetExecutionRequest, context: Context
    ) -> messages.GetExecutionResponse:
        execution = await self._runs.get_execution(
            current_caller(), request.workflow_id, request.execution_id
        )
        return messages.GetExecutionResponse(execution=execution)

    async def ListExecutions(
        self, request: messages.ListExecutionsRequest, context: Context
    ) -> messages.ListExecutionsResponse:
        page = await self._runs.list_executions(
            current_caller(),
            workflow_id=request.workflow_id,
            page_size=request.page_size,
            page_token=request.page_token,
            mode=request.mode,
            state=request.state,
        )
        return messages.ListExecutionsResponse(executions=page.items, next_page_token=page.next_page_token)

    async def ListTemplates(
        self, request: messages.ListTemplatesRequest, context: Context
    ) -> messages.ListTemplatesResponse:
        current_caller()
        page = self._runs.templates(request.difficulty, request.tag, request.page_size, request.page_token)
        return messages.ListTemplatesResponse(templates=page.items, next_page_token=page.next_page_token)

    async def CloneTemplate(
        self, request: messages.CloneTemplateRequest, context: Context
    ) -> messages.CloneTemplateResponse:
        workflow = await self._runs.clone_template(
            current_caller(), request.template_id, request.display_name, request.request_id
        )
        return messages.CloneTemplateResponse(workflow=workflow)

    async def TraceStrategy(
        self, request: messages.TraceStrategyRequest, context: Context
    ) -> messages.TraceStrategyResponse:
        has_start = request.HasField("start_time")
        trace, spec = await self._runs.trace(
            current_caller(),
            _source(request),
            bars=request.bars if request.HasField("bars") else None,
            dataset_id=request.dataset_id,
            symbol=request.symbol,
            config=request.backtest_config,
            start_ns=conversions.time_ns_from_proto(request.start_time, "start_time") if has_start else None,
            max_bars=request.max_bars,
            node_ids=tuple(request.node_ids),
        )
        return messages.TraceStrategyResponse(bars=trace.bars, spec=spec, truncated=trace.truncated)


def _source(
    request: messages.ValidateWorkflowRequest
    | messages.CompileWorkflowRequest
    | messages.TraceStrategyRequest,
) -> GraphSource:
    if request.WhichOneof("source") == "graph":
        return GraphSource(graph=request.graph)
    return GraphSource(workflow_id=request.workflow_id, version=request.version)
