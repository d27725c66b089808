"""Workflows: create, read, list, update with versions, delete — per owner, on real PostgreSQL."""

import grpc
import pytest
from google.protobuf import field_mask_pb2
from google.rpc import error_details_pb2
from grpc_status import rpc_status

from alphintra.common.v1 import parameter_pb2
from alphintra.workflow.v1 import workflow_pb2
from alphintra.workflow.v1 import workflow_service_pb2 as messages

pytestmark = pytest.mark.integration


def _graph(period: float = 14) -> workflow_pb2.WorkflowGraph:
    return workflow_pb2.WorkflowGraph(
        nodes=[
            workflow_pb2.Node(id="data", type="dataSource"),
            workflow_pb2.Node(
                id="rsi_1",
                type="technicalIndicator",
                label="RSI",
                parameters={"period": parameter_pb2.ParameterValue(number=period)},
            ),
        ],
        edges=[
            workflow_pb2.Edge(
                id="e1", source_node="data", source_port="close", target_node="rsi_1", target_port="source"
            )
        ],
    )


async def _create(stub, name="RSI reversion", request_id="", graph=None):
    request = messages.CreateWorkflowRequest(
        workflow=workflow_pb2.Workflow(
            display_name=name, description="buy oversold", graph=graph or _graph()
        ),
        request_id=request_id,
    )
    return (await stub.CreateWorkflow(request)).workflow


def _violations(error: grpc.aio.AioRpcError) -> dict[str, str]:
    status = rpc_status.from_call(error)
    for detail in status.details:
        if detail.Is(error_details_pb2.BadRequest.DESCRIPTOR):
            bad_request = error_details_pb2.BadRequest()
            detail.Unpack(bad_request)
            return {violation.field: violation.description for violation in bad_request.field_violations}
    return {}


async def test_create_then_get_returns_what_was_saved(as_alice):
    created = await _create(as_alice)
    assert created.id
    assert created.name == f"workflows/{created.id}"
    assert (created.owner_id, created.version) == ("alice", 1)
    assert created.create_time.seconds > 0
    fetched = (await as_alice.GetWorkflow(messages.GetWorkflowRequest(workflow_id=created.id))).workflow
    assert fetched == created
    assert fetched.graph.nodes[1].parameters["period"].number == 14


async def test_create_with_the_same_request_id_returns_the_first(as_alice):
    first = await _create(as_alice, request_id="retry-me")
    again = await _create(as_alice, name="something else", request_id="retry-me")
    assert again.id == first.id
    listed = (await as_alice.ListWorkflows(messages.ListWorkflowsRequest())).workflows
    assert [workflow.id for workflow in listed] == [first.id]


async def test_bad_input_names_every_field_and_stores_nothing(as_alice):
    too_many_nodes = workflow_pb2.WorkflowGraph(nodes=[workflow_pb2.Node(id=f"n{i}") for i in range(501)])
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await as_alice.CreateWorkflow(
            messages.CreateWorkflowRequest(
                workflow=workflow_pb2.Workflow(
                    display_name="  ", description="x" * 10_001, graph=too_many_nodes
                )
            )
        )
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert set(_violations(caught.value)) == {
        "workflow.display_name",
        "workflow.description",
        "workflow.graph.nodes",
    }
    assert not (await as_alice.ListWorkflows(messages.ListWorkflowsRequest())).workflows


async def test_update_creates_a_version_and_a_stale_update_is_aborted(as_alice):
    created = await _create(as_alice)
    update = messages.UpdateWorkflowRequest(
        workflow=workflow_pb2.Workflow(id=created.id, display_name="RSI v2", graph=_graph(21)),
        update_mask=field_mask_pb2.FieldMask(paths=["display_name", "graph"]),
        expected_version=1,
        change_summary="slower RSI",
    )
    updated = (await as_alice.UpdateWorkflow(update)).workflow
    assert (updated.version, updated.display_name, updated.description) == (2, "RSI v2", "buy oversold")
    assert updated.graph.nodes[1].parameters["period"].number == 21

    with pytest.raises(grpc.aio.AioRpcError) as stale:
        await as_alice.UpdateWorkflow(update)
    assert stale.value.code() == grpc.StatusCode.ABORTED
    assert "version 2" in stale.value.details()

    versions = (
        await as_alice.ListWorkflowVersions(messages.ListWorkflowVersionsRequest(workflow_id=created.id))
    ).versions
    assert [(v.version, v.change_summary) for v in versions] == [(2, "slower RSI"), (1, "created")]
    assert not versions[0].HasField("graph")
    first = (
        await as_alice.GetWorkflowVersion(
            messages.GetWorkflowVersionRequest(workflow_id=created.id, version=1)
        )
    ).workflow_version
    assert first.graph.nodes[1].parameters["period"].number == 14


async def test_update_with_a_bad_mask_is_refused(as_alice):
    created = await _create(as_alice)
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await as_alice.UpdateWorkflow(
            messages.UpdateWorkflowRequest(
                workflow=workflow_pb2.Workflow(id=created.id, owner_id="mallory"),
                update_mask=field_mask_pb2.FieldMask(paths=["owner_id"]),
                expected_version=0,
            )
        )
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert set(_violations(caught.value)) == {"update_mask.paths[0]", "expected_version"}
    unchanged = (await as_alice.GetWorkflow(messages.GetWorkflowRequest(workflow_id=created.id))).workflow
    assert (unchanged.owner_id, unchanged.version) == ("alice", 1)


async def test_delete_hides_the_workflow(as_alice):
    created = await _create(as_alice)
    with pytest.raises(grpc.aio.AioRpcError) as stale:
        await as_alice.DeleteWorkflow(
            messages.DeleteWorkflowRequest(workflow_id=created.id, expected_version=7)
        )
    assert stale.value.code() == grpc.StatusCode.ABORTED
    await as_alice.DeleteWorkflow(messages.DeleteWorkflowRequest(workflow_id=created.id))
    with pytest.raises(grpc.aio.AioRpcError) as gone:
        await as_alice.GetWorkflow(messages.GetWorkflowRequest(workflow_id=created.id))
    assert gone.value.code() == grpc.StatusCode.NOT_FOUND


async def test_another_user_can_neither_see_nor_change_it(as_alice, as_bob):
    created = await _create(as_alice)
    attempts = [
        as_bob.GetWorkflow(messages.GetWorkflowRequest(workflow_id=created.id)),
        as_bob.UpdateWorkflow(
            messages.UpdateWorkflowRequest(
                workflow=workflow_pb2.Workflow(id=created.id, display_name="mine now"),
                update_mask=field_mask_pb2.FieldMask(paths=["display_name"]),
                expected_version=1,
            )
        ),
        as_bob.DeleteWorkflow(messages.DeleteWorkflowRequest(workflow_id=created.id)),
        as_bob.ListWorkflowVersions(messages.ListWorkflowVersionsRequest(workflow_id=created.id)),
        as_bob.GetWorkflowVersion(messages.GetWorkflowVersionRequest(workflow_id=created.id, version=1)),
    ]
    for attempt in attempts:
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await attempt
        assert caught.value.code() == grpc.StatusCode.NOT_FOUND
    assert not (await as_bob.ListWorkflows(messages.ListWorkflowsRequest())).workflows
    still = (await as_alice.GetWorkflow(messages.GetWorkflowRequest(workflow_id=created.id))).workflow
    assert (still.display_name, still.version) == ("RSI reversion", 1)


async def test_an_organisation_admin_reads_but_cannot_change(as_alice, as_admin):
    created = await _create(as_alice)
    seen = (await as_admin.GetWorkflow(messages.GetWorkflowRequest(workflow_id=created.id))).workflow
    assert seen.id == created.id
    assert [w.id for w in (await as_admin.ListWorkflows(messages.ListWorkflowsRequest())).workflows] == [
        created.id
    ]
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await as_admin.DeleteWorkflow(messages.DeleteWorkflowRequest(workflow_id=created.id))
    assert caught.value.code() == grpc.StatusCode.PERMISSION_DENIED


async def test_a_viewer_cannot_create(as_viewer):
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await _create(as_viewer)
    assert caught.value.code() == grpc.StatusCode.PERMISSION_DENIED


async def test_a_call_without_identity_is_unauthenticated(workflow_stub):
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await workflow_stub.ListWorkflows(messages.ListWorkflowsRequest())
    assert caught.value.code() == grpc.StatusCode.UNAUTHENTICATED


@pytest.mark.parametrize("order_by", ["", "create_time desc", "display_name"])
async def test_paging_visits_every_workflow_once(as_alice, order_by):
    created = {(await _create(as_alice, name=f"Strategy {index:02d}")).id for index in range(7)}
    seen: list[str] = []
    token = ""
    while True:
        page = await as_alice.ListWorkflows(
            messages.ListWorkflowsRequest(page_size=3, page_token=token, order_by=order_by)
        )
        assert len(page.workflows) <= 3
        assert all(not workflow.HasField("graph") for workflow in page.workflows)
        seen += [workflow.id for workflow in page.workflows]
        token = page.next_page_token
        if not token:
            break
    assert sorted(seen) == sorted(created)
    if order_by == "display_name":
        names = [
            (await as_alice.GetWorkflow(messages.GetWorkflowRequest(workflow_id=i))).workflow.display_name
            for i in seen
        ]
        assert names == sorted(names)


async def test_list_filters_by_name_and_rejects_foreign_tokens(as_alice):
    await _create(as_alice, name="MACD trend")
    await _create(as_alice, name="RSI dip")
    found = (await as_alice.ListWorkflows(messages.ListWorkflowsRequest(query="macd"))).workflows
    assert [workflow.display_name for workflow in found] == ["MACD trend"]
    first_page = await as_alice.ListWorkflows(messages.ListWorkflowsRequest(page_size=1))
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await as_alice.ListWorkflows(
            messages.ListWorkflowsRequest(page_size=1, page_token=first_page.next_page_token, query="rsi")
        )
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "page_token" in _violations(caught.value)
    for bad in ["!!!", "eyJxIjoiIn0"]:
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await as_alice.ListWorkflows(messages.ListWorkflowsRequest(page_token=bad))
        assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await as_alice.ListWorkflows(messages.ListWorkflowsRequest(order_by="owner_id; drop table workflows"))
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
