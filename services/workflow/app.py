"""The workflow service's transport-free facade: what each RPC means, with its rules.

Handlers translate protobuf requests into these calls and back; the rules live here:
who may see and change what, what a valid save is, how versions move. Validation,
compilation and backtests of the graphs are the domain's (`services.core.strategy`).
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Generic, TypeVar

from alphintra.workflow.v1 import workflow_pb2
from services.core.errors import Aborted, FieldViolation, InvalidArgument, NotFound, Unavailable
from services.core.ownership import Caller, Ownership, Role, require_readable, require_role, require_writable
from services.core.paging import next_page_token, page_request
from services.workflow.store import ORDERINGS, ListQuery, StoredWorkflow, WorkflowStore

UPDATABLE_PATHS = ("display_name", "description", "graph")
MAX_DISPLAY_NAME = 200
MAX_DESCRIPTION = 10_000
MAX_NODES = 500
MAX_EDGES = 2_000
MAX_REQUEST_ID = 128
RESOURCE = "workflow"


T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    items: list[T]
    next_page_token: str


def content_violations(
    prefix: str, display_name: str, description: str, graph: workflow_pb2.WorkflowGraph
) -> list[FieldViolation]:
    """What makes a save impossible. A graph need not be valid to be saved, only bounded."""
    violations = []
    if not display_name.strip():
        violations.append(FieldViolation(f"{prefix}.display_name", "is required"))
    elif len(display_name) > MAX_DISPLAY_NAME:
        violations.append(FieldViolation(f"{prefix}.display_name", f"at most {MAX_DISPLAY_NAME} characters"))
    if len(description) > MAX_DESCRIPTION:
        violations.append(FieldViolation(f"{prefix}.description", f"at most {MAX_DESCRIPTION} characters"))
    if len(graph.nodes) > MAX_NODES:
        violations.append(FieldViolation(f"{prefix}.graph.nodes", f"at most {MAX_NODES} nodes"))
    if len(graph.edges) > MAX_EDGES:
        violations.append(FieldViolation(f"{prefix}.graph.edges", f"at most {MAX_EDGES} edges"))
    return violations


def _check_request_id(request_id: str) -> None:
    if len(request_id) > MAX_REQUEST_ID:
        raise InvalidArgument(
            "request_id is too long", [FieldViolation("request_id", f"at most {MAX_REQUEST_ID} characters")]
        )


def _name(workflow_id: str) -> str:
    return f"workflows/{workflow_id}"


class WorkflowApp:
    def __init__(
        self,
        store: WorkflowStore,
        clock: Callable[[], datetime],
        new_id: Callable[[], str] | None = None,
        *,
        check_job: Callable[[str], Awaitable[object]] | None = None,
    ) -> None:
        self._store = store
        self._clock = clock
        self._new_id = new_id or (lambda: uuid.uuid4().hex)
        # asks the trainer whether a job exists and is the caller's (NOT_FOUND otherwise)
        self._check_job = check_job

    async def create(
        self, caller: Caller, workflow: workflow_pb2.Workflow, request_id: str, template_id: str = ""
    ) -> workflow_pb2.Workflow:
        require_role(caller, Role.TRADER)
        _check_request_id(request_id)
        violations = content_violations(
            "workflow", workflow.display_name, workflow.description, workflow.graph
        )
        if violations:
            raise InvalidArgument("the workflow cannot be saved", violations)
        if request_id:
            earlier = await self._store.find_by_request_id(caller.user_id, request_id)
            if earlier is not None:
                return earlier.workflow
        first = workflow_pb2.WorkflowVersion(
            version=1,
            display_name=workflow.display_name.strip(),
            description=workflow.description,
            graph=workflow.graph,
            author_id=caller.user_id,
            change_summary="created" if not template_id else f"cloned from template {template_id}",
        )
        now = self._clock()
        workflow_id = self._new_id()
        first.workflow_id = workflow_id
        first.create_time.FromDatetime(now)
        created = await self._store.create(
            workflow_id=workflow_id,
            ownership=Ownership(caller.user_id, caller.organization_id),
            first_version=first,
            request_id=request_id or None,
            template_id=template_id,
            now=now,
        )
        if created is None:  # a concurrent retry with the same request id won the insert
            earlier = await self._store.find_by_request_id(caller.user_id, request_id)
            if earlier is None:
                raise NotFound(RESOURCE, f"request {request_id}")
            return earlier.workflow
        return created.workflow

    async def _readable(self, caller: Caller, workflow_id: str) -> StoredWorkflow:
        stored = await self._store.get(workflow_id) if workflow_id else None
        if stored is None:
            raise NotFound(RESOURCE, _name(workflow_id))
        require_readable(caller, stored.ownership, RESOURCE, _name(workflow_id))
        return stored

    async def get(self, caller: Caller, workflow_id: str) -> workflow_pb2.Workflow:
        return (await self._readable(caller, workflow_id)).workflow

    async def require_owner(self, caller: Caller, workflow_id: str) -> None:
        """Running a workflow is its owner's: it spends their quota and MODEL mode writes versions."""
        stored = await self._readable(caller, workflow_id)
        require_writable(caller, stored.ownership, RESOURCE, _name(workflow_id))

    async def list(
        self, caller: Caller, *, page_size: int, page_token: str, query: str, order_by: str, full: bool
    ) -> Page[workflow_pb2.Workflow]:
        order_by = " ".join(order_by.lower().split()) or "update_time desc"
        if order_by not in ORDERINGS:
            raise InvalidArgument(
                "unknown order_by", [FieldViolation("order_by", f"one of: {', '.join(ORDERINGS)}")]
            )
        filters = {"query": query, "order_by": order_by}
        page = page_request(page_size, page_token, filters)
        list_query = ListQuery(
            visible_to_user=caller.user_id,
            visible_to_organization=caller.organization_id if caller.role is Role.ADMIN else "",
            name_contains=query,
            order_by=order_by,
        )
        stored, last_key = await self._store.list(list_query, page)
        workflows = [item.workflow for item in stored]
        if not full:
            for workflow in workflows:
                workflow.ClearField("graph")
        return Page(workflows, next_page_token(last_key, filters))

    async def update(
        self,
        caller: Caller,
        workflow: workflow_pb2.Workflow,
        paths: Sequence[str],
        expected_version: int,
        change_summary: str,
        *,
        source_job_id: str = "",
    ) -> workflow_pb2.Workflow:
        require_role(caller, Role.TRADER)
        _check_update_request(paths, expected_version)
        if source_job_id:
            if self._check_job is None:
                raise Unavailable("source_job_id needs the trainer, which is not configured")
            await self._check_job(source_job_id)
        name = _name(workflow.id)

        def next_version(current: StoredWorkflow) -> workflow_pb2.WorkflowVersion:
            require_writable(caller, current.ownership, RESOURCE, name)
            if current.workflow.version != expected_version:
                raise Aborted(
                    f"{name} is at version {current.workflow.version}, not {expected_version}: read it again",
                    reason="STALE_VERSION",
                )
            merged = workflow_pb2.Workflow()
            merged.CopyFrom(current.workflow)
            for path in paths:
                if path == "graph":
                    merged.graph.CopyFrom(workflow.graph)
                else:
                    setattr(merged, path, getattr(workflow, path))
            problems = content_violations("workflow", merged.display_name, merged.description, merged.graph)
            if problems:
                raise InvalidArgument("the workflow cannot be saved", problems)
            version = workflow_pb2.WorkflowVersion(
                workflow_id=current.workflow.id,
                version=current.workflow.version + 1,
                display_name=merged.display_name.strip(),
                description=merged.description,
                graph=merged.graph,
                # a job's change has no human author; source_job_id says where it came from
                author_id="" if source_job_id else caller.user_id,
                change_summary=change_summary or f"updated {', '.join(paths)}",
                source_job_id=source_job_id,
            )
            version.create_time.FromDatetime(self._clock())
            return version

        updated = await self._store.update(workflow.id, next_version, self._clock()) if workflow.id else None
        if updated is None:
            raise NotFound(RESOURCE, name)
        return updated.workflow

    async def delete(self, caller: Caller, workflow_id: str, expected_version: int) -> None:
        require_role(caller, Role.TRADER)
        name = _name(workflow_id)

        def check(current: StoredWorkflow) -> None:
            require_writable(caller, current.ownership, RESOURCE, name)
            if expected_version and current.workflow.version != expected_version:
                raise Aborted(
                    f"{name} is at version {current.workflow.version}, not {expected_version}",
                    reason="STALE_VERSION",
                )

        if not workflow_id or not await self._store.delete(workflow_id, check, self._clock()):
            raise NotFound(RESOURCE, name)

    async def list_versions(
        self, caller: Caller, workflow_id: str, page_size: int, page_token: str
    ) -> Page[workflow_pb2.WorkflowVersion]:
        await self._readable(caller, workflow_id)
        filters = {"workflow_id": workflow_id}
        versions, last_key = await self._store.versions(
            workflow_id, page_request(page_size, page_token, filters)
        )
        for version in versions:
            version.ClearField("graph")
        return Page(versions, next_page_token(last_key, filters))

    async def get_version(
        self, caller: Caller, workflow_id: str, version: int
    ) -> workflow_pb2.WorkflowVersion:
        await self._readable(caller, workflow_id)
        found = await self._store.version(workflow_id, version) if version > 0 else None
        if found is None:
            raise NotFound("workflow version", f"{_name(workflow_id)}/versions/{version}")
        return found


def _check_update_request(paths: Sequence[str], expected_version: int) -> None:
    violations = [
        FieldViolation(
            f"update_mask.paths[{index}]",
            f"{path!r} cannot be updated; updatable: {', '.join(UPDATABLE_PATHS)}",
        )
        for index, path in enumerate(paths)
        if path not in UPDATABLE_PATHS
    ]
    if not paths:
        violations.append(FieldViolation("update_mask", "name at least one field to update"))
    if expected_version <= 0:
        violations.append(FieldViolation("expected_version", "send the version the change was made against"))
    if violations:
        raise InvalidArgument("the update request is malformed", violations)
