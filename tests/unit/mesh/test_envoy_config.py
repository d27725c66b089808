"""The rendered Envoy config routes each gRPC package to its own service, safely."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from google.protobuf import descriptor_pb2

from services.mesh import envoy_config

REPO_ROOT = Path(__file__).resolve().parents[3]
UPSTREAMS = {
    "gateway": ("127.0.0.1", 41001),
    "workflow": ("127.0.0.1", 41002),
    "trainer": ("127.0.0.1", 41003),
    "predictor": ("127.0.0.1", 41004),
    "signal_bus": ("127.0.0.1", 41005),
}


def rendered(descriptor_path: Path | None = None, upstreams: Any = UPSTREAMS) -> dict[str, Any]:
    text = envoy_config.render(
        upstreams, listener_port=18080, admin_port=19901, descriptor_path=descriptor_path
    )
    return yaml.safe_load(text)


def listener(config: dict[str, Any]) -> dict[str, Any]:
    [only] = config["static_resources"]["listeners"]
    return only


def connection_manager(config: dict[str, Any]) -> dict[str, Any]:
    [chain] = listener(config)["filter_chains"]
    [manager] = chain["filters"]
    return manager["typed_config"]


def routes(config: dict[str, Any]) -> list[dict[str, Any]]:
    [host] = connection_manager(config)["route_config"]["virtual_hosts"]
    return host["routes"]


def test_one_cluster_per_service_at_its_address():
    clusters = rendered()["static_resources"]["clusters"]

    addresses = {
        cluster["name"]: cluster["load_assignment"]["endpoints"][0]["lb_endpoints"][0]["endpoint"]["address"][
            "socket_address"
        ]
        for cluster in clusters
    }
    assert len(clusters) == 5
    assert addresses == {
        name: {"address": host, "port_value": port} for name, (host, port) in UPSTREAMS.items()
    }


def test_each_grpc_package_prefix_routes_to_its_service():
    table = {route["match"]["prefix"]: route["route"]["cluster"] for route in routes(rendered())}

    assert table == {
        "/alphintra.auth.v1.": "gateway",
        "/alphintra.workflow.v1.": "workflow",
        "/alphintra.trainer.v1.": "trainer",
        "/alphintra.predictor.v1.": "predictor",
        "/inference.": "predictor",
        "/alphintra.signalbus.v1.": "signal_bus",
    }


def test_listener_does_not_share_its_port():
    config = rendered()

    assert listener(config)["enable_reuse_port"] is False
    assert listener(config)["address"]["socket_address"] == {"address": "127.0.0.1", "port_value": 18080}
    assert config["admin"]["address"]["socket_address"] == {"address": "127.0.0.1", "port_value": 19901}


def test_clusters_speak_http2_and_drop_unhealthy_hosts():
    for cluster in rendered()["static_resources"]["clusters"]:
        options = cluster["typed_extension_protocol_options"][
            "envoy.extensions.upstreams.http.v3.HttpProtocolOptions"
        ]
        assert options["explicit_http_config"] == {"http2_protocol_options": {}}
        assert cluster["common_lb_config"]["healthy_panic_threshold"] == {"value": 0.0}
        [check] = cluster["health_checks"]
        assert check["grpc_health_check"] == {}
        assert "http2_protocol_options" not in cluster  # the deprecated place for it


def test_routes_retry_only_unavailable_and_leave_deadlines_to_callers():
    for route in routes(rendered()):
        action = route["route"]
        assert action["retry_policy"]["retry_on"] == "unavailable"
        assert action["timeout"] == "0s"
        assert action["max_stream_duration"] == {"grpc_timeout_header_max": "0s"}


def test_access_log_is_json_with_the_request_id():
    [access_log] = connection_manager(rendered())["access_log"]

    fields = access_log["typed_config"]["log_format"]["json_format"]
    assert fields["request_id"] == "%REQ(X-REQUEST-ID)%"
    assert fields["grpc_status"] == "%GRPC_STATUS%"


def test_a_subset_of_services_renders_only_their_routes():
    config = rendered(upstreams={"workflow": ("127.0.0.1", 41002)})

    assert [cluster["name"] for cluster in config["static_resources"]["clusters"]] == ["workflow"]
    assert [route["match"]["prefix"] for route in routes(config)] == ["/alphintra.workflow.v1."]


def test_an_unknown_service_is_refused():
    with pytest.raises(ValueError, match="unknown service"):
        rendered(upstreams={"billing": ("127.0.0.1", 1)})


def test_a_host_name_upstream_is_resolved_by_dns():
    config = rendered(upstreams={"workflow": ("workflow.alphintra.svc", 50052)})

    [cluster] = config["static_resources"]["clusters"]
    assert cluster["type"] == "STRICT_DNS"


def write_descriptor_set(path: Path) -> Path:
    """A descriptor set as protoc --include_imports builds it: a mesh service plus an imported file."""
    imported = descriptor_pb2.FileDescriptorProto(
        name="google/protobuf/empty.proto", package="google.protobuf"
    )
    imported.message_type.add(name="Empty")
    imported.service.add(name="NotOurs")
    workflow = descriptor_pb2.FileDescriptorProto(
        name="alphintra/workflow/v1/workflow.proto",
        package="alphintra.workflow.v1",
        dependency=["google/protobuf/empty.proto"],
    )
    service = workflow.service.add(name="WorkflowService")
    service.method.add(
        name="ListNodeTypes", input_type=".google.protobuf.Empty", output_type=".google.protobuf.Empty"
    )
    inference = descriptor_pb2.FileDescriptorProto(name="grpc_service.proto", package="inference")
    inference.service.add(name="GRPCInferenceService")
    path.write_bytes(
        descriptor_pb2.FileDescriptorSet(file=[imported, workflow, inference]).SerializeToString()
    )
    return path


def test_with_a_descriptor_set_rest_is_transcoded_before_routing(tmp_path):
    descriptor = write_descriptor_set(tmp_path / "alphintra.pb")

    filters = connection_manager(rendered(descriptor))["http_filters"]

    assert [entry["name"] for entry in filters] == [
        "envoy.filters.http.grpc_json_transcoder",
        "envoy.filters.http.router",
    ]
    transcoder = filters[0]["typed_config"]
    assert transcoder["proto_descriptor"] == str(descriptor)
    assert transcoder["services"] == [
        "alphintra.workflow.v1.WorkflowService",
        "inference.GRPCInferenceService",
    ]


def test_without_a_descriptor_set_only_grpc_is_served():
    filters = connection_manager(rendered(None))["http_filters"]

    assert [entry["name"] for entry in filters] == ["envoy.filters.http.router"]


def test_cli_refuses_a_file_name_envoy_would_not_read_as_yaml(tmp_path, capsys):
    with pytest.raises(SystemExit):
        envoy_config.main(["--out", str(tmp_path / "envoy.json")])

    assert ".yaml" in capsys.readouterr().err


def test_committed_reference_copy_matches_the_renderer(tmp_path):
    fresh = tmp_path / "envoy.yaml"

    assert envoy_config.main(["--out", str(fresh)]) == 0

    committed = REPO_ROOT / "deploy" / "envoy" / "envoy.yaml"
    assert committed.read_text() == fresh.read_text(), (
        "deploy/envoy/envoy.yaml is stale: run `make envoy` and commit the result"
    )
