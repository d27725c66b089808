"""One user request is one trace: Envoy's span, the workflow service's span under it, and the trainer's
span under that, all received by an OTLP collector (the one `make run` starts) as one trace id.

A mesh of its own (gateway, workflow, trainer behind Envoy, tracing to a collector this module starts),
so the gateway tests' shared mesh stays untraced and fast.
"""

from __future__ import annotations

import io
import json
import secrets
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from alphintra.trainer.v1 import dataset_service_pb2, dataset_service_pb2_grpc
from alphintra.workflow.v1 import execution_pb2, workflow_service_pb2, workflow_service_pb2_grpc
from services.mesh import envoy_config
from services.mesh.devstack.errors import DevstackError
from services.mesh.devstack.ports import free_port
from services.mesh.devstack.tls import ensure_local_certificates
from services.mesh.devstack.trace_collector import EmbeddedTraceCollector
from services.mesh.devstack.trace_setup import (
    COLLECTOR_VARIABLE,
    TraceDestination,
    TraceMode,
    service_tracing_environment,
)
from services.mesh.devstack.trace_tree import print_trace, tree_lines
from tests.integration.gateway.front_door import MeshBehindEnvoy, mesh_behind_envoy, private_database
from tests.unit.mesh.test_envoy_config import UPSTREAMS, front_door

pytestmark = pytest.mark.integration

WORKFLOW_SERVICE = "alphintra.workflow.v1.WorkflowService"
EXECUTE = f"{WORKFLOW_SERVICE}/ExecuteWorkflow"
RUN_BACKTEST = "alphintra.trainer.v1.BacktestService/RunBacktest"
SPANS_TIMEOUT_SECONDS = 15

Span = dict[str, Any]


class TracedMesh:
    def __init__(self, mesh: MeshBehindEnvoy, traces: Path) -> None:
        self.mesh = mesh
        self.traces = traces
        self.token = mesh.sign_in().tokens.access_token

    @property
    def metadata(self) -> tuple[tuple[str, str], ...]:
        return (("authorization", f"Bearer {self.token}"),)

    def workflows(self) -> workflow_service_pb2_grpc.WorkflowServiceStub:
        return workflow_service_pb2_grpc.WorkflowServiceStub(self.mesh.channel())

    def datasets(self) -> dataset_service_pb2_grpc.DatasetServiceStub:
        return dataset_service_pb2_grpc.DatasetServiceStub(self.mesh.channel())

    def spans_when(self, predicate: Any) -> list[Span]:
        """Every span received so far, once `predicate(spans)` holds (exporters send in batches)."""
        deadline = time.monotonic() + SPANS_TIMEOUT_SECONDS
        while True:
            spans = _read_spans(self.traces)
            if predicate(spans):
                return spans
            if time.monotonic() > deadline:
                pytest.fail(
                    f"spans never arrived; received: {[(s['service.name'], s['name']) for s in spans]}"
                )
            time.sleep(0.1)


def _read_spans(path: Path) -> list[Span]:
    if not path.is_file():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


@pytest.fixture(scope="module")
def traced(postgres_server_url, redis_server_url, tmp_path_factory) -> Iterator[TracedMesh]:
    run_dir = tmp_path_factory.mktemp("traced-mesh")
    traces = run_dir / "traces.jsonl"
    collector = EmbeddedTraceCollector(traces, free_port(), log_path=run_dir / "trace-collector.log")
    with (
        collector,
        private_database(postgres_server_url) as database_url,
        mesh_behind_envoy(
            run_dir,
            database_url,
            redis_server_url,
            services=("gateway", "workflow", "trainer"),
            trace_collector=(collector.host, collector.port),
        ) as mesh,
    ):
        yield TracedMesh(mesh, traces)


def _platform_dataset(traced: TracedMesh) -> str:
    reply = traced.datasets().ListDatasets(
        dataset_service_pb2.ListDatasetsRequest(page_size=50), metadata=traced.metadata, timeout=10
    )
    platform = [dataset.id for dataset in reply.datasets if dataset.platform]
    assert platform, "the trainer creates the platform datasets at start-up"
    return platform[0]


def _clone(traced: TracedMesh, template: str = "sma_crossover") -> str:
    reply = traced.workflows().CloneTemplate(
        workflow_service_pb2.CloneTemplateRequest(template_id=template), metadata=traced.metadata, timeout=10
    )
    return reply.workflow.id


def _only(spans: list[Span], service: str, name: str) -> Span:
    [found] = [span for span in spans if span["service.name"] == service and span["name"] == name]
    return found


def test_a_request_through_envoy_is_one_trace_across_workflow_and_trainer(traced):
    dataset_id = _platform_dataset(traced)
    workflow_id = _clone(traced)
    execution = (
        traced.workflows()
        .ExecuteWorkflow(
            workflow_service_pb2.ExecuteWorkflowRequest(
                workflow_id=workflow_id, mode=execution_pb2.EXECUTION_MODE_STRATEGY, dataset_id=dataset_id
            ),
            metadata=traced.metadata,
            timeout=60,
        )
        .execution
    )
    assert execution.state == execution_pb2.EXECUTION_STATE_SUCCEEDED

    def complete(spans: list[Span]) -> bool:
        names = {(span["service.name"], span["name"]) for span in spans}
        wanted = {
            ("alphintra-envoy", EXECUTE),
            ("alphintra-workflow", EXECUTE),
            ("alphintra-trainer", RUN_BACKTEST),
        }
        return wanted <= names

    spans = traced.spans_when(complete)
    envoy = _only(spans, "alphintra-envoy", EXECUTE)
    workflow = _only(spans, "alphintra-workflow", EXECUTE)
    trainer = _only(spans, "alphintra-trainer", RUN_BACKTEST)
    # Envoy started the trace (the client sent no traceparent); each service span is its caller's child
    assert envoy["parent_span_id"] is None
    assert envoy["kind"] == "SERVER"
    assert workflow["trace_id"] == envoy["trace_id"] == trainer["trace_id"]
    assert workflow["parent_span_id"] == envoy["span_id"]
    assert trainer["parent_span_id"] == workflow["span_id"]
    # children end within their parent
    assert envoy["start_time_unix_nano"] <= workflow["start_time_unix_nano"]
    assert trainer["end_time_unix_nano"] <= workflow["end_time_unix_nano"] <= envoy["end_time_unix_nano"]
    # health checks (Envoy's, and the fixture's while it waited) are not traced
    assert not [span for span in spans if span["name"].startswith("grpc.health.v1.Health/")]
    # the earlier calls are traces of their own
    assert {span["trace_id"] for span in spans if span["name"].endswith("/CloneTemplate")} != {
        envoy["trace_id"]
    }

    # and the collector's file prints as the tree it is
    out = io.StringIO()
    assert print_trace(traced.traces, envoy["trace_id"], out)
    lines = out.getvalue().splitlines()
    assert lines[1].startswith(f"alphintra-envoy  {EXECUTE}")
    assert lines[2].startswith(f"  alphintra-workflow  {EXECUTE}")
    assert lines[3].startswith(f"    alphintra-trainer  {RUN_BACKTEST}")


def test_a_callers_traceparent_is_continued_through_envoy(traced):
    trace_id, caller_span = secrets.token_hex(16), secrets.token_hex(8)
    traced.workflows().ListWorkflows(
        workflow_service_pb2.ListWorkflowsRequest(page_size=1),
        metadata=(*traced.metadata, ("traceparent", f"00-{trace_id}-{caller_span}-01")),
        timeout=10,
    )
    list_workflows = f"{WORKFLOW_SERVICE}/ListWorkflows"

    def arrived(spans: list[Span]) -> bool:
        return sum(1 for span in spans if span["trace_id"] == trace_id) >= 2

    spans = [span for span in traced.spans_when(arrived) if span["trace_id"] == trace_id]
    envoy = _only(spans, "alphintra-envoy", list_workflows)
    workflow = _only(spans, "alphintra-workflow", list_workflows)
    assert envoy["parent_span_id"] == caller_span
    assert workflow["parent_span_id"] == envoy["span_id"]
    # the caller's span is not in the file: the tree starts at Envoy's
    assert tree_lines(spans)[0].startswith(f"alphintra-envoy  {list_workflows}")


def test_a_front_door_tracing_to_a_collector_is_a_valid_envoy_config(tmp_path):
    files = ensure_local_certificates(tmp_path / "tls")
    tls = envoy_config.TlsFiles(files.server_certificate, files.server_key, files.ca_certificate)
    for collector in (("127.0.0.1", 4317), ("otel-collector.observability", 4317)):
        path = tmp_path / "envoy.yaml"
        path.write_text(envoy_config.render(UPSTREAMS, front_door(tls=tls, trace_collector=collector)))
        envoy_config.validate(path)


def test_without_a_collector_nothing_about_tracing_is_rendered():
    config = envoy_config.render(UPSTREAMS, front_door())
    assert "tracing" not in config
    assert envoy_config.TRACE_COLLECTOR_CLUSTER not in config
    assert "decorator" not in config


def test_make_run_traces_to_its_own_collector_unless_told_another_or_off():
    assert TraceDestination.from_environment({}).mode is TraceMode.LOCAL
    assert TraceDestination.from_environment({COLLECTOR_VARIABLE: "off"}).mode is TraceMode.OFF
    external = TraceDestination.from_environment({COLLECTOR_VARIABLE: "http://otel.example:4317"})
    assert (external.mode, external.collector) == (TraceMode.EXTERNAL, ("otel.example", 4317))
    for wrong in ("otel.example", "https://otel.example:4317", "otel.example:http", ":4317"):
        with pytest.raises(DevstackError, match=COLLECTOR_VARIABLE):
            TraceDestination.from_environment({COLLECTOR_VARIABLE: wrong})


def test_a_services_own_tracing_variables_win_over_make_runs():
    mine = {"ALPHINTRA_TRAINER__TRACING__EXPORTER": "console"}
    assert service_tracing_environment("trainer", ("127.0.0.1", 4317), mine) == {
        "ALPHINTRA_TRAINER__TRACING__OTLP_ENDPOINT": "http://127.0.0.1:4317"
    }
    assert service_tracing_environment("signal_bus", ("::1", 4317), {}) == {
        "ALPHINTRA_SIGNAL_BUS__TRACING__EXPORTER": "otlp",
        "ALPHINTRA_SIGNAL_BUS__TRACING__OTLP_ENDPOINT": "http://[::1]:4317",
    }
