"""Envoy in the cluster: its rendered config is current and agrees with the Services, pod and image."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from services.gateway.settings import GatewaySettings
from services.mesh import envoy_config
from services.mesh.devstack.tls import ensure_local_certificates
from tests.unit.deploy.manifests import (
    BASE,
    DEPLOY,
    base_resources,
    config_map_named,
    containers,
    environment,
    import_render_envoy,
    named,
    resources_of,
)

render_envoy = import_render_envoy()
COMMITTED = BASE / "envoy" / "envoy.yaml"


def committed_config() -> dict[str, Any]:
    return yaml.safe_load(COMMITTED.read_text())


def listeners(config: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {listener["name"]: listener for listener in config["static_resources"]["listeners"]}


def clusters(config: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {cluster["name"]: cluster for cluster in config["static_resources"]["clusters"]}


def envoy_container() -> dict[str, Any]:
    [container] = containers(named(base_resources(), "Deployment", "envoy"))
    return container


def test_committed_config_matches_a_fresh_rendering():
    assert COMMITTED.read_text() == render_envoy.render(), (
        "deploy/k8s/base/envoy/envoy.yaml is stale: run `python deploy/k8s/render_envoy.py` and commit it"
    )


def test_every_upstream_is_the_headless_service_of_its_mesh_service_resolved_per_pod():
    config = committed_config()
    for name, (host, port) in render_envoy.UPSTREAMS.items():
        cluster = clusters(config)[name]
        assert cluster["type"] == "STRICT_DNS", name  # every A record is a host: every pod gets calls
        [group] = cluster["load_assignment"]["endpoints"]
        [endpoint] = group["lb_endpoints"]
        assert endpoint["endpoint"]["address"]["socket_address"] == {"address": host, "port_value": port}
        service = named(base_resources(), "Service", host)
        assert service["spec"]["clusterIP"] == "None"
        assert port in [item["port"] for item in service["spec"]["ports"]]
    assert set(render_envoy.UPSTREAMS) == set(envoy_config.SERVICE_PACKAGES)


def test_the_pod_exposes_the_ports_the_config_listens_on_and_the_admin_api_stays_on_loopback():
    config = committed_config()
    ports = {port["name"]: port["containerPort"] for port in envoy_container()["ports"]}
    ingress, observability = listeners(config)["ingress"], listeners(config)["observability"]
    assert ingress["address"]["socket_address"] == {"address": "0.0.0.0", "port_value": ports["grpc-tls"]}
    assert observability["address"]["socket_address"]["port_value"] == ports["observability"]
    assert config["admin"]["address"]["socket_address"]["address"] == "127.0.0.1"
    service = named(base_resources(), "Service", "envoy")
    assert [port["targetPort"] for port in service["spec"]["ports"]] == ["grpc-tls"]


def test_the_observability_listener_forwards_only_readiness_and_metrics_reads():
    [chain] = listeners(committed_config())["observability"]["filter_chains"]
    [manager] = chain["filters"]
    [host] = manager["typed_config"]["route_config"]["virtual_hosts"]
    assert {route["match"]["path"] for route in host["routes"]} == {"/ready", "/stats/prometheus"}
    for route in host["routes"]:
        assert route["match"]["headers"] == [{"name": ":method", "string_match": {"exact": "GET"}}]
    probes = envoy_container()
    assert probes["readinessProbe"]["httpGet"] == {"path": "/ready", "port": "observability"}


def test_files_the_config_names_are_where_the_pod_and_the_image_put_them():
    container = envoy_container()
    command = container["command"]
    config_path = Path(command[command.index("-c") + 1])
    mounts = {mount["mountPath"]: mount["name"] for mount in container["volumeMounts"]}
    volumes = {
        volume["name"]: volume
        for volume in named(base_resources(), "Deployment", "envoy")["spec"]["template"]["spec"]["volumes"]
    }
    assert volumes[mounts[str(config_path.parent)]]["configMap"]["name"] == "envoy-config"
    assert config_path.name in config_map_named(resources_of("base"), "envoy-config")["data"]
    assert "secret" in volumes[mounts[str(render_envoy.TLS_DIRECTORY)]]
    dockerfile = (DEPLOY / "Dockerfile").read_text()
    assert f"COPY deploy/envoy/alphintra.pb {render_envoy.DESCRIPTOR_IN_IMAGE}" in dockerfile


def test_envoy_checks_the_issuer_and_audience_the_gateway_signs_with():
    gateway = named(resources_of("base"), "Deployment", "gateway")
    variables = environment(gateway, resources_of("base"))
    issuer = variables.get("ALPHINTRA_GATEWAY__ISSUER", GatewaySettings.model_fields["issuer"].default)
    audience = variables.get("ALPHINTRA_GATEWAY__AUDIENCE", GatewaySettings.model_fields["audience"].default)
    [manager] = listeners(committed_config())["ingress"]["filter_chains"][0]["filters"]
    [jwt] = [
        item for item in manager["typed_config"]["http_filters"] if item["name"] == envoy_config.JWT_FILTER
    ]
    provider = jwt["typed_config"]["providers"][envoy_config.JWT_PROVIDER]
    assert (provider["issuer"], provider["audiences"]) == (issuer, [audience])


@pytest.mark.integration
def test_envoy_accepts_the_cluster_config(tmp_path):
    """The same config with the image's and the Secret's paths swapped for local files."""
    certificates = ensure_local_certificates(tmp_path / "local-ca")
    mounted = tmp_path / "tls"
    mounted.mkdir()
    shutil.copy(certificates.server_certificate, mounted / "tls.crt")
    shutil.copy(certificates.server_key, mounted / "tls.key")
    shutil.copy(certificates.ca_certificate, mounted / "ca.crt")
    config = render_envoy.build(descriptor_in_image=render_envoy.LOCAL_DESCRIPTOR_PATH, tls_directory=mounted)
    path = tmp_path / "envoy.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    envoy_config.validate(path)
