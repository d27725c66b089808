"""Through a real Envoy: REST/JSON, gRPC and gRPC-Web reach the same RPC and get the same answer;
server streams come out over REST as NDJSON; browsers from the configured origin pass CORS."""

import json
import socket
import ssl
import uuid

import grpc
import pytest
from google.protobuf import json_format

from alphintra.auth.v1 import auth_pb2, auth_pb2_grpc
from alphintra.signalbus.v1 import signal_bus_service_pb2, signal_bus_service_pb2_grpc, signal_pb2
from alphintra.workflow.v1 import workflow_pb2, workflow_service_pb2, workflow_service_pb2_grpc

from .front_door import CORS_ORIGIN
from .front_door_clients import grpc_web_call, new_person

pytestmark = pytest.mark.integration


def as_json(message) -> dict:
    return json_format.MessageToDict(message, always_print_fields_with_no_presence=True)


def test_rest_grpc_and_grpc_web_reach_the_same_rpc_with_the_same_answer(mesh, root):
    trader = new_person(mesh, root, label="three-ways")
    stub = workflow_service_pb2_grpc.WorkflowServiceStub(mesh.channel())
    created = stub.CreateWorkflow(
        workflow_service_pb2.CreateWorkflowRequest(workflow=workflow_pb2.Workflow(display_name="Three ways")),
        metadata=trader.metadata,
        timeout=10,
    ).workflow
    request = workflow_service_pb2.GetWorkflowRequest(workflow_id=created.id)

    over_grpc = stub.GetWorkflow(request, metadata=trader.metadata, timeout=10)
    with mesh.http() as http:
        over_rest = http.get(f"/v1/workflows/{created.id}", headers=trader.headers)
        over_web = grpc_web_call(
            http, "/alphintra.workflow.v1.WorkflowService/GetWorkflow", request, trader.headers
        )

    assert over_rest.status_code == 200
    assert over_web.status == 0
    [payload] = over_web.payloads
    assert workflow_service_pb2.GetWorkflowResponse.FromString(payload) == over_grpc
    assert over_rest.json() == as_json(over_grpc)
    assert over_grpc.workflow.owner_id == trader.user_id


def test_errors_read_the_same_in_all_three(mesh, root):
    missing = workflow_service_pb2.GetWorkflowRequest(workflow_id=f"missing-{uuid.uuid4().hex}")
    stub = workflow_service_pb2_grpc.WorkflowServiceStub(mesh.channel())

    with pytest.raises(grpc.RpcError) as over_grpc:
        stub.GetWorkflow(missing, metadata=root.metadata, timeout=10)
    with mesh.http() as http:
        over_rest = http.get(f"/v1/workflows/{missing.workflow_id}", headers=root.headers)
        over_web = grpc_web_call(
            http, "/alphintra.workflow.v1.WorkflowService/GetWorkflow", missing, root.headers
        )
        anonymous_web = grpc_web_call(http, "/alphintra.workflow.v1.WorkflowService/GetWorkflow", missing)

    assert over_grpc.value.code() == grpc.StatusCode.NOT_FOUND
    assert over_rest.status_code == 404
    assert over_rest.json()["code"] == grpc.StatusCode.NOT_FOUND.value[0]
    assert over_rest.json()["message"] == over_grpc.value.details()
    assert (over_web.status, over_web.message) == (
        grpc.StatusCode.NOT_FOUND.value[0],
        over_grpc.value.details(),
    )
    assert anonymous_web.status == grpc.StatusCode.UNAUTHENTICATED.value[0]


def test_the_identity_service_answers_alike_over_rest_and_grpc(mesh, root):
    stub = auth_pb2_grpc.AuthServiceStub(mesh.channel())
    over_grpc = stub.WhoAmI(auth_pb2.WhoAmIRequest(), metadata=root.metadata, timeout=10)
    with mesh.http() as http:
        over_rest = http.get("/v1/auth/whoami", headers=root.headers)
        over_web = grpc_web_call(
            http, "/alphintra.auth.v1.AuthService/WhoAmI", auth_pb2.WhoAmIRequest(), root.headers
        )

    assert over_rest.json() == as_json(over_grpc)
    assert auth_pb2.WhoAmIResponse.FromString(over_web.payloads[0]) == over_grpc


def test_a_server_stream_streams_over_rest_as_json_lines(mesh, root):
    trader = new_person(mesh, root, label="streamer")
    bus = signal_bus_service_pb2_grpc.SignalBusServiceStub(mesh.channel())
    signal_ids = [f"stream-{uuid.uuid4().hex[:8]}-{index}" for index in range(3)]
    for signal_id in signal_ids:
        bus.PublishSignal(
            signal_bus_service_pb2.PublishSignalRequest(
                signal=signal_pb2.Signal(
                    signal_id=signal_id,
                    strategy_id="streaming",
                    symbol="ETH-USD",
                    action=signal_pb2.ACTION_SELL,
                    confidence=0.7,
                )
            ),
            metadata=trader.metadata,
            timeout=10,
        )

    received: list[str] = []
    lines = 0
    with (
        mesh.http() as http,
        http.stream(
            "POST",
            "/v1/signals:subscribe",
            json={"fromOffset": "0-0", "filter": {"strategyIds": ["streaming"]}, "maxBatchSize": 1},
            headers=trader.headers,
        ) as response,
    ):
        assert response.status_code == 200
        for line in response.iter_lines():
            if not line.strip():
                continue
            lines += 1
            batch = json.loads(line)  # each line is one whole SubscribeResponse
            received += [record["signal"]["signalId"] for record in batch.get("signals", [])]
            if set(signal_ids) <= set(received):
                break

    assert [signal_id for signal_id in received if signal_id in signal_ids] == signal_ids
    assert lines >= len(signal_ids)  # one batch per line, as they came: streamed, not buffered


def test_a_browser_from_the_configured_origin_passes_cors_and_others_do_not(mesh):
    preflight = {
        "access-control-request-method": "POST",
        "access-control-request-headers": "authorization,content-type,x-grpc-web",
    }
    with mesh.http() as http:
        allowed = http.options(
            "/alphintra.auth.v1.AuthService/WhoAmI", headers={"origin": CORS_ORIGIN, **preflight}
        )
        other = http.options(
            "/alphintra.auth.v1.AuthService/WhoAmI", headers={"origin": "https://evil.test", **preflight}
        )
        rest_preflight = http.options("/v1/workflows", headers={"origin": CORS_ORIGIN, **preflight})
        simple = http.get("/.well-known/jwks.json", headers={"origin": CORS_ORIGIN})

    assert allowed.status_code == 200
    assert allowed.headers["access-control-allow-origin"] == CORS_ORIGIN
    assert "authorization" in allowed.headers["access-control-allow-headers"]
    assert "grpc-status" in allowed.headers["access-control-expose-headers"]
    assert "access-control-allow-origin" not in other.headers
    assert rest_preflight.headers["access-control-allow-origin"] == CORS_ORIGIN
    assert simple.headers["access-control-allow-origin"] == CORS_ORIGIN


@pytest.mark.parametrize(("offered", "selected"), [(["h2", "http/1.1"], "h2"), (["http/1.1"], "http/1.1")])
def test_tls_offers_h2_and_http1_by_alpn(mesh, offered, selected):
    context = ssl.create_default_context(cafile=str(mesh.ca_certificate))
    context.set_alpn_protocols(offered)
    with (
        socket.create_connection(("127.0.0.1", mesh.port), timeout=5) as raw,
        context.wrap_socket(raw, server_hostname="localhost") as tls,
    ):
        assert tls.selected_alpn_protocol() == selected
        assert tls.version() in {"TLSv1.2", "TLSv1.3"}


@pytest.mark.parametrize("attempt", range(3))
def test_a_live_stream_that_runs_out_of_its_deadline_ends_deadline_exceeded(mesh, root, attempt):
    """Through Envoy, a stream that has begun (the bus's caught-up batch has arrived) and then runs
    out of the caller's deadline ends as DEADLINE_EXCEEDED, not as a reset read as INTERNAL."""
    trader = new_person(mesh, root, label=f"deadline-{attempt}")
    stub = signal_bus_service_pb2_grpc.SignalBusServiceStub(mesh.channel())
    call = stub.Subscribe(
        signal_bus_service_pb2.SubscribeRequest(from_now=True), metadata=trader.metadata, timeout=0.5
    )
    first = next(call)
    assert list(first.signals) == []  # begun: the caught-up batch
    with pytest.raises(grpc.RpcError) as ended:
        list(call)
    assert ended.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED
