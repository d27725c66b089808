"""The Kubernetes manifests: valid for the pinned Kubernetes version, and holding the rules we promise.

The base files are checked as they are; each overlay as `kubectl kustomize` renders it (skipped,
with the reason, where kubectl is missing). Rules: probes on the gRPC health service, requests
and limits, the restricted security context, gRPC-named Service ports, and network policies
that leave only Envoy reachable from outside.
"""

from __future__ import annotations

import functools
import math

import kubernetes_validate
import kubernetes_validate.utils
import pytest

from tests.unit.deploy.manifests import (
    BASE,
    KUBERNETES_VERSION,
    OVERLAYS,
    Resource,
    base_manifest_files,
    containers,
    load_documents,
    named,
    of_kind,
    pod_labels,
    rendered_overlay,
    resources_of,
    selects,
)

SOURCES = ("base", *OVERLAYS)
# `python -m services.trainer worker` runs no server: no port to probe or scrape
WITHOUT_SERVER = {"trainer-worker"}
MONITORING_NAMESPACE = {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "monitoring"}}}


@pytest.fixture(autouse=True, scope="module")
def _schemas_read_once():
    """kubernetes-validate parses its schema files (megabytes of JSON) on every call: read each once."""
    with pytest.MonkeyPatch.context() as patch:
        cached = functools.cache(kubernetes_validate.utils.schema_contents)
        patch.setattr(kubernetes_validate.utils, "schema_contents", cached)
        yield


def validate(resource: Resource, where: str) -> None:
    try:
        kubernetes_validate.validate(resource, KUBERNETES_VERSION, strict=True)
    except kubernetes_validate.ValidationError as error:
        path = ".".join(str(part) for part in error.path)
        pytest.fail(f"{where}: {resource['kind']}/{resource['metadata']['name']} at {path}: {error.message}")
    except kubernetes_validate.SchemaNotFoundError as error:
        pytest.fail(f"{where}: {error.message} (custom resources have no schema to check against)")


@pytest.mark.parametrize("path", base_manifest_files(), ids=lambda path: path.name)
def test_every_base_manifest_is_valid_for_the_pinned_kubernetes(path):
    documents = load_documents(path)
    assert documents, f"{path} holds no resource"
    for document in documents:
        validate(document, str(path.relative_to(BASE)))


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_rendered_overlay_resource_is_valid_for_the_pinned_kubernetes(overlay):
    resources = rendered_overlay(overlay)
    assert {"Deployment", "Service", "NetworkPolicy", "ConfigMap"} <= {item["kind"] for item in resources}
    for resource in resources:
        validate(resource, f"overlays/{overlay}")


def test_the_validator_rejects_what_strict_validation_is_for():
    """A misspelt field passes a lenient check and breaks at apply time: strict mode must catch it."""
    deployment = named(resources_of("base"), "Deployment", "predictor")
    misspelt = {**deployment, "spec": {**deployment["spec"], "replica": 3}}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(misspelt, KUBERNETES_VERSION, strict=True)


@pytest.mark.parametrize("source", SOURCES)
def test_every_container_is_probed_sized_and_locked_down(source):
    resources = resources_of(source)
    deployments = of_kind(resources, "Deployment")
    assert len(deployments) == 7, [item["metadata"]["name"] for item in deployments]
    for deployment in deployments:
        name = deployment["metadata"]["name"]
        pod = deployment["spec"]["template"]["spec"]
        assert pod["automountServiceAccountToken"] is False, name
        assert pod["securityContext"]["runAsNonRoot"] is True, name
        assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}, name
        account = named(resources, "ServiceAccount", pod["serviceAccountName"])
        assert account["automountServiceAccountToken"] is False, name
        tmp_volumes = {volume["name"] for volume in pod["volumes"] if "emptyDir" in volume}
        for container in containers(deployment):
            where = f"{source}: {name}/{container['name']}"
            if name in WITHOUT_SERVER:
                assert "ports" not in container, f"{where} serves a port now: probe it"
            else:
                for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
                    assert probe in container, f"{where} has no {probe}"
            for bound in ("requests", "limits"):
                assert set(container["resources"][bound]) >= {"cpu", "memory"}, f"{where} {bound}"
            security = container["securityContext"]
            assert security["runAsNonRoot"] is True, where
            assert security["allowPrivilegeEscalation"] is False, where
            assert security["readOnlyRootFilesystem"] is True, where
            assert security["capabilities"] == {"drop": ["ALL"]}, where
            [tmp] = [mount for mount in container["volumeMounts"] if mount["mountPath"] == "/tmp"]
            assert tmp["name"] in tmp_volumes, f"{where}: /tmp must be an emptyDir (the root is read-only)"


@pytest.mark.parametrize("source", SOURCES)
def test_mesh_services_are_probed_on_the_grpc_health_service_of_their_port(source):
    for deployment in of_kind(resources_of(source), "Deployment"):
        if deployment["metadata"]["name"] in {"envoy", *WITHOUT_SERVER}:
            continue
        [container] = containers(deployment)
        [grpc_port] = [port["containerPort"] for port in container["ports"] if port["name"] == "grpc"]
        for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
            assert container[probe]["grpc"] == {"port": grpc_port}, (
                f"{deployment['metadata']['name']} {probe}"
            )


@pytest.mark.parametrize("source", SOURCES)
def test_every_service_port_says_it_carries_grpc(source):
    services = of_kind(resources_of(source), "Service")
    assert services
    for service in services:
        for port in service["spec"]["ports"]:
            assert port.get("appProtocol") == "kubernetes.io/h2c" or port["name"].startswith("grpc"), (
                f"{service['metadata']['name']} port {port}"
            )


@pytest.mark.parametrize("source", SOURCES)
def test_mesh_services_are_headless_so_envoy_sees_every_pod(source):
    for service in of_kind(resources_of(source), "Service"):
        if service["metadata"]["name"] != "envoy":
            assert service["spec"]["clusterIP"] == "None", service["metadata"]["name"]


@pytest.mark.parametrize("source", SOURCES)
def test_ingress_and_egress_are_denied_unless_a_policy_allows_them(source):
    policies = of_kind(resources_of(source), "NetworkPolicy")
    defaults = [policy for policy in policies if policy["spec"]["podSelector"] == {}]
    assert any(
        set(policy["spec"]["policyTypes"]) == {"Ingress", "Egress"}
        and not policy["spec"].get("ingress")
        and not policy["spec"].get("egress")
        for policy in defaults
    ), "no default-deny policy"


@pytest.mark.parametrize("source", SOURCES)
def test_every_pod_has_a_policy_of_its_own(source):
    resources = resources_of(source)
    policies = [item for item in of_kind(resources, "NetworkPolicy") if item["spec"]["podSelector"] != {}]
    for deployment in of_kind(resources, "Deployment"):
        labels = pod_labels(deployment)
        assert any(selects(policy["spec"]["podSelector"], labels) for policy in policies), (
            f"{source}: no network policy selects {deployment['metadata']['name']}"
        )


@pytest.mark.parametrize("source", SOURCES)
def test_only_envoy_is_reachable_from_outside_the_namespace(source):
    """Other pods admit only named peers in the namespace, and Prometheus on their metrics port."""
    resources = resources_of(source)
    for policy in of_kind(resources, "NetworkPolicy"):
        selected = [
            deployment["metadata"]["name"]
            for deployment in of_kind(resources, "Deployment")
            if selects(policy["spec"]["podSelector"], pod_labels(deployment))
        ]
        for rule in policy["spec"].get("ingress", []):
            if selected == ["envoy"]:
                continue
            peers = rule.get("from")
            assert peers, f"{policy['metadata']['name']} admits every source to {selected}"
            for peer in peers:
                assert set(peer) == {"podSelector"} or peer == MONITORING_NAMESPACE, (
                    f"{policy['metadata']['name']} admits {peer} to {selected}"
                )


@pytest.mark.parametrize("source", SOURCES)
def test_every_deployment_has_an_autoscaler_and_a_disruption_budget(source):
    resources = resources_of(source)
    autoscaled = {
        item["spec"]["scaleTargetRef"]["name"] for item in of_kind(resources, "HorizontalPodAutoscaler")
    }
    budgets = of_kind(resources, "PodDisruptionBudget")
    for deployment in of_kind(resources, "Deployment"):
        name = deployment["metadata"]["name"]
        if source != "dev":  # dev runs one replica of each, without autoscaling
            assert name in autoscaled, f"{source}: {name} has no HorizontalPodAutoscaler"
        assert any(selects(budget["spec"]["selector"], pod_labels(deployment)) for budget in budgets), name
    if source == "dev":
        assert not autoscaled


@pytest.mark.parametrize("source", SOURCES)
def test_secrets_are_referenced_never_stored(source):
    resources = resources_of(source)
    assert not of_kind(resources, "Secret")
    for config_map in of_kind(resources, "ConfigMap"):
        for key in config_map.get("data", {}):
            assert not any(
                word in key.upper() for word in ("PASSWORD", "PASSPHRASE", "SECRET", "DATABASE_URL")
            ), f"{config_map['metadata']['name']}: {key} belongs in a Secret"


@pytest.mark.parametrize("source", SOURCES)
def test_envoy_runs_one_worker_per_cpu_of_its_limit(source):
    # without --concurrency Envoy starts one worker per node hardware thread, which the CPU
    # quota then throttles
    [envoy] = containers(named(resources_of(source), "Deployment", "envoy"))
    command = envoy["command"]
    assert "--concurrency" in command, f"{source}: Envoy's worker count is left to the node"
    workers = int(command[command.index("--concurrency") + 1])
    limit = envoy["resources"]["limits"]["cpu"]
    cpus = int(limit[:-1]) / 1000 if limit.endswith("m") else float(limit)
    assert workers == max(1, math.floor(cpus)), f"{source}: {workers} workers for a {limit} CPU limit"


def test_prod_puts_envoy_behind_a_load_balancer_and_dev_does_not():
    assert named(rendered_overlay("prod"), "Service", "envoy")["spec"]["type"] == "LoadBalancer"
    assert named(rendered_overlay("dev"), "Service", "envoy")["spec"]["type"] == "ClusterIP"


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_overlays_put_everything_in_their_namespace_and_pin_the_image(overlay):
    resources = rendered_overlay(overlay)
    [namespace] = of_kind(resources, "Namespace")
    for resource in resources:
        if resource["kind"] != "Namespace":
            assert resource["metadata"]["namespace"] == namespace["metadata"]["name"], resource["metadata"]
    for deployment in of_kind(resources, "Deployment"):
        for container in containers(deployment):
            assert ":" in container["image"], f"{deployment['metadata']['name']}: image {container['image']}"
