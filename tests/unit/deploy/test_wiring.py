"""The manifests agree with the code: settings the services accept, peers they can reach, secrets documented.

A renamed setting, a new peer call or a moved port breaks a deployment only at start-up in a
cluster; these tests break first.
"""

from __future__ import annotations

import importlib
import re

import pytest
import yaml

from services.mesh.settings import ServiceSettings
from tests.unit.deploy.code_metrics import metric_exists_in_code
from tests.unit.deploy.manifests import (
    DEPLOY,
    K8S,
    OVERLAYS,
    REPO_ROOT,
    Resource,
    containers,
    environment,
    named,
    of_kind,
    pod_labels,
    resources_of,
    secret_variables,
    selects,
)

SOURCES = ("base", *OVERLAYS)
# what the Secrets would hold, shaped so that the settings' validation accepts them
SECRET_STAND_INS = {
    "DATABASE_URL": "postgresql://alphintra:stand-in@database.invalid:5432/alphintra",
    "REDIS_URL": "rediss://:stand-in@redis.invalid:6379/0",
}
PEER_ADDRESS = re.compile(r"^ALPHINTRA_[A-Z_]+__([A-Z_]+)_ADDRESS$")


def mesh_deployments(resources: list[Resource]) -> list[Resource]:
    return [item for item in of_kind(resources, "Deployment") if item["metadata"]["name"] != "envoy"]


def package_of(deployment: Resource) -> str:
    """`python -m services.<name> ...` -> "services.<name>"."""
    [container] = containers(deployment)
    command = container["command"]
    assert command[:2] == ["python", "-m"], command
    return command[2]


def settings_type_of(deployment: Resource) -> type[ServiceSettings]:
    """The settings class of the service the pod runs (its settings module alone: the service is heavy)."""
    module = importlib.import_module(f"{package_of(deployment)}.settings")
    [found] = [
        item
        for item in vars(module).values()
        if isinstance(item, type) and issubclass(item, ServiceSettings) and item is not ServiceSettings
    ]
    return found


def needs_redis(deployment: Resource) -> bool:
    """What the service's DEFINITION declares, read from its source."""
    source = (REPO_ROOT / package_of(deployment).replace(".", "/") / "service.py").read_text()
    declared = re.search(r"needs_redis=(True|False)", source)
    return declared is not None and declared.group(1) == "True"


def container_port(deployment: Resource, name: str) -> int:
    [container] = containers(deployment)
    [port] = [port["containerPort"] for port in container["ports"] if port["name"] == name]
    return port


@pytest.mark.parametrize("source", SOURCES)
def test_each_service_accepts_its_environment_and_listens_where_the_pod_says(source):
    resources = resources_of(source)
    for deployment in mesh_deployments(resources):
        variables = environment(deployment, resources)
        for variable, optional in secret_variables(deployment).items():
            if not optional:
                variables[variable] = SECRET_STAND_INS.get(variable, "stand-in-secret-value")
        settings = settings_type_of(deployment).load(variables)  # raises SettingsError naming a bad variable
        name = deployment["metadata"]["name"]
        [container] = containers(deployment)
        if "ports" in container:  # the trainer's workers run no server
            assert settings.host == "0.0.0.0", name
            assert settings.port == container_port(deployment, "grpc"), name
            assert settings.metrics_port == container_port(deployment, "metrics"), name
            annotations = deployment["spec"]["template"]["metadata"]["annotations"]
            assert annotations["prometheus.io/port"] == str(settings.metrics_port), name
        assert settings.database_url is not None, f"{name} gets no DATABASE_URL"
        if needs_redis(deployment):
            assert settings.redis_url is not None, f"{name} gets no REDIS_URL"


@pytest.mark.parametrize("source", SOURCES)
def test_every_peer_address_names_a_service_the_caller_may_reach_and_that_admits_it(source):
    resources = resources_of(source)
    policies = of_kind(resources, "NetworkPolicy")
    checked = 0
    for caller in mesh_deployments(resources):
        for variable, value in environment(caller, resources).items():
            if not PEER_ADDRESS.match(variable):
                continue
            host, _, port_text = value.rpartition(":")
            service = named(resources, "Service", host)
            assert int(port_text) in [port["port"] for port in service["spec"]["ports"]], variable
            callee = next(
                item
                for item in of_kind(resources, "Deployment")
                if selects({"matchLabels": service["spec"]["selector"]}, pod_labels(item))
            )
            assert _egress_allowed(policies, caller, callee, int(port_text)), f"{variable}: egress blocked"
            assert _ingress_allowed(policies, caller, callee, int(port_text)), f"{variable}: ingress blocked"
            checked += 1
    assert checked >= 3  # workflow -> trainer, trainer and its workers -> workflow


def _egress_allowed(policies: list[Resource], caller: Resource, callee: Resource, port: int) -> bool:
    return any(
        selects(policy["spec"]["podSelector"], pod_labels(caller))
        and _admits(rule.get("to"), rule.get("ports"), callee, port)
        for policy in policies
        for rule in policy["spec"].get("egress", [])
    )


def _ingress_allowed(policies: list[Resource], caller: Resource, callee: Resource, port: int) -> bool:
    return any(
        selects(policy["spec"]["podSelector"], pod_labels(callee))
        and _admits(rule.get("from"), rule.get("ports"), caller, port)
        for policy in policies
        for rule in policy["spec"].get("ingress", [])
    )


def _admits(peers: list[Resource] | None, ports: list[Resource] | None, pod: Resource, port: int) -> bool:
    port_matches = ports is None or any(item["port"] == port for item in ports)
    peer_matches = peers is None or any(
        set(peer) == {"podSelector"} and selects(peer["podSelector"], pod_labels(pod)) for peer in peers
    )
    return port_matches and peer_matches


@pytest.mark.parametrize("source", SOURCES)
def test_services_that_need_them_may_reach_postgresql_and_redis(source):
    resources = resources_of(source)
    policies = of_kind(resources, "NetworkPolicy")
    for deployment in mesh_deployments(resources):
        needed = {5432} | ({6379} if needs_redis(deployment) else set())
        open_ports = {
            port["port"]
            for policy in policies
            if selects(policy["spec"]["podSelector"], pod_labels(deployment))
            for rule in policy["spec"].get("egress", [])
            for port in rule.get("ports", [])
        }
        assert needed <= open_ports, f"{deployment['metadata']['name']} cannot reach {needed - open_ports}"


def test_every_secret_the_pods_refer_to_is_explained_in_the_readme():
    readme = (DEPLOY / "README.md").read_text()
    references: set[tuple[str, str]] = set()
    for deployment in of_kind(resources_of("base"), "Deployment"):
        for container in containers(deployment):
            for variable in container.get("env", []):
                if "secretKeyRef" in variable.get("valueFrom", {}):
                    reference = variable["valueFrom"]["secretKeyRef"]
                    references.add((reference["name"], reference["key"]))
        for volume in deployment["spec"]["template"]["spec"]["volumes"]:
            if "secret" in volume:
                references.add((volume["secret"]["secretName"], "tls.crt"))
    assert len({name for name, _ in references}) == 4
    for secret, key in sorted(references):
        assert secret in readme, f"deploy/README.md does not say how to create {secret}"
        assert key in readme, f"deploy/README.md does not name the key {key} of {secret}"


def test_the_predictor_scales_on_a_latency_metric_the_adapter_serves_from_a_real_histogram():
    autoscaler = named(resources_of("base"), "HorizontalPodAutoscaler", "predictor")
    kinds = {metric["type"] for metric in autoscaler["spec"]["metrics"]}
    assert kinds == {"Resource", "Pods"}
    [pods_metric] = [metric["pods"] for metric in autoscaler["spec"]["metrics"] if metric["type"] == "Pods"]
    values = yaml.safe_load((K8S / "monitoring" / "prometheus-adapter-values.yaml").read_text())
    [rule] = [
        rule for rule in values["rules"]["custom"] if rule["name"]["as"] == pods_metric["metric"]["name"]
    ]
    series = re.match(r"^([a-z_:]+)\{", rule["seriesQuery"])
    assert series is not None
    assert metric_exists_in_code(series.group(1)), f"{series.group(1)} is not exported by any service"
    assert "histogram_quantile(0.95" in rule["metricsQuery"]
