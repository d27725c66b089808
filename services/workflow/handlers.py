"""gRPC handlers of the workflow service: protobuf <-> the facade, nothing else.

RPCs whose behaviour lands with the strategy domain (catalog, validate, compile,
execute, templates, trace) are inherited from the generated base class and answer
UNIMPLEMENTED until then.
"""

from __future__ import annotations

import grpc

from alphintra.workflow.v1 import workflow_service_pb2 as messages
from alphintra.workflow.v1 import workflow_service_pb2_grpc
from services.mesh.identity import current_caller
from services.workflow.app import WorkflowApp

Context = grpc.aio.ServicerContext


class WorkflowHandlers(workflow_service_pb2_grpc.WorkflowServiceServicer):
    def __init__(self, app: WorkflowApp) -> None:
        self._app = app

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
