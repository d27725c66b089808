"""Reading the Kubernetes manifests the way the cluster would get them: base files and rendered overlays."""

from __future__ import annotations

import functools
import importlib.util
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import yaml

REPO_ROOT = Path(__file__).resolve().parents[3]
DEPLOY = REPO_ROOT / "deploy"
K8S = DEPLOY / "k8s"
BASE = K8S / "base"
OVERLAYS = ("dev", "prod")
# The oldest Kubernetes minor the manifests must be accepted by (managed offerings still run it).
KUBERNETES_VERSION = "1.31.0"

Resource = dict[str, Any]


def base_manifest_files() -> list[Path]:
    """Every Kubernetes manifest of the base: not its kustomization, settings or Envoy's own config."""
    return sorted(path for path in BASE.glob("*.yaml") if path.name != "kustomization.yaml")


def load_documents(path: Path) -> list[Resource]:
    return [document for document in yaml.safe_load_all(path.read_text()) if document]


@functools.cache
def _base_resources() -> tuple[Resource, ...]:
    return tuple(document for path in base_manifest_files() for document in load_documents(path))


def base_resources() -> list[Resource]:
    return list(_base_resources())


def base_config_maps() -> list[Resource]:
    """The ConfigMaps the base's kustomization generates, read from their .env files (no kubectl needed)."""
    kustomization = yaml.safe_load((BASE / "kustomization.yaml").read_text())
    generated = []
    for generator in kustomization["configMapGenerator"]:
        data: dict[str, str] = {}
        for env_file in generator.get("envs", []):
            for line in (BASE / env_file).read_text().splitlines():
                if line.strip() and not line.startswith("#"):
                    key, _, value = line.partition("=")
                    data[key] = value
        for file in generator.get("files", []):
            data[Path(file).name] = (BASE / file).read_text()
        generated.append(
            {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": generator["name"]}, "data": data}
        )
    return generated


def resources_of(source: str) -> list[Resource]:
    """ "base" (its files and generated ConfigMaps, read directly) or an overlay rendered by kubectl."""
    if source == "base":
        return base_resources() + base_config_maps()
    return rendered_overlay(source)


def config_map_named(resources: list[Resource], name: str) -> Resource:
    """By its name before kustomize appends the content hash (`gateway-config-5h2k...`)."""
    [found] = [
        resource
        for resource in of_kind(resources, "ConfigMap")
        if resource["metadata"]["name"] == name or resource["metadata"]["name"].rsplit("-", 1)[0] == name
    ]
    return found


def require_kubectl() -> str:
    found = shutil.which("kubectl")
    if found is None:
        pytest.skip(
            "kubectl is not installed: overlays are rendered with `kubectl kustomize` (base still checked)"
        )
    return found


@functools.cache
def _rendered(directory: Path) -> tuple[Resource, ...]:
    kubectl = require_kubectl()
    result = subprocess.run(
        [kubectl, "kustomize", str(directory)], capture_output=True, text=True, check=False, timeout=60
    )
    if result.returncode != 0:
        raise AssertionError(f"kubectl kustomize {directory} failed:\n{result.stderr}")
    return tuple(document for document in yaml.safe_load_all(result.stdout) if document)


def rendered_overlay(overlay: str) -> list[Resource]:
    """What `kubectl kustomize deploy/k8s/overlays/<overlay>` prints, as resources (skips without kubectl)."""
    return list(_rendered(K8S / "overlays" / overlay))


def of_kind(resources: list[Resource], kind: str) -> list[Resource]:
    return [resource for resource in resources if resource["kind"] == kind]


def named(resources: list[Resource], kind: str, name: str) -> Resource:
    [found] = [resource for resource in of_kind(resources, kind) if resource["metadata"]["name"] == name]
    return found


def pod_labels(deployment: Resource) -> dict[str, str]:
    return deployment["spec"]["template"]["metadata"]["labels"]


def containers(deployment: Resource) -> Iterator[Resource]:
    yield from deployment["spec"]["template"]["spec"]["containers"]


def selects(selector: dict[str, Any], labels: dict[str, str]) -> bool:
    """A label selector (matchLabels only, which is all these manifests use) against a pod's labels."""
    assert set(selector) <= {"matchLabels"}, f"selector uses more than matchLabels: {selector}"
    return all(labels.get(key) == value for key, value in selector.get("matchLabels", {}).items())


def environment(deployment: Resource, resources: list[Resource]) -> dict[str, str]:
    """The container's plain environment as the pod sees it: its ConfigMaps, then its own values.

    Variables whose values come from Secrets (not in the repository) are left out: `secret_variables`.
    """
    [container] = list(containers(deployment))
    variables: dict[str, str] = {}
    for source in container.get("envFrom", []):
        config_map = config_map_named(resources, source["configMapRef"]["name"])
        variables.update(config_map["data"])
    for variable in container.get("env", []):
        if "value" in variable:
            variables[variable["name"]] = variable["value"]
    return variables


def secret_variables(deployment: Resource) -> dict[str, bool]:
    """Variable -> whether the Secret key it reads is optional."""
    [container] = list(containers(deployment))
    return {
        variable["name"]: bool(variable["valueFrom"]["secretKeyRef"].get("optional", False))
        for variable in container.get("env", [])
        if "secretKeyRef" in variable.get("valueFrom", {})
    }


def import_render_envoy() -> ModuleType:
    """deploy/k8s/render_envoy.py is a script, not a package module: load it from its path."""
    path = K8S / "render_envoy.py"
    specification = importlib.util.spec_from_file_location("render_envoy", path)
    assert specification is not None
    assert specification.loader is not None
    module = importlib.util.module_from_spec(specification)
    specification.loader.exec_module(module)
    return module
