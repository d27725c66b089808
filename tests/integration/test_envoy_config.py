"""Envoy itself accepts the rendered config (its certificates and descriptor set included),
without a deprecated field."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from services.mesh import envoy_config
from services.mesh.devstack.tls import ensure_local_certificates
from tests.unit.mesh.test_envoy_config import REPO_ROOT, UPSTREAMS, front_door

pytestmark = pytest.mark.integration


@pytest.fixture
def certificates(tmp_path) -> envoy_config.TlsFiles:
    files = ensure_local_certificates(tmp_path / "tls")
    return envoy_config.TlsFiles(files.server_certificate, files.server_key, files.ca_certificate)


def write_config(path: Path, **changes) -> Path:
    path.write_text(envoy_config.render(UPSTREAMS, front_door(**changes)))
    return path


def test_the_full_front_door_is_valid(tmp_path, certificates):
    envoy_config.validate(write_config(tmp_path / "envoy.yaml", tls=certificates))


def test_a_plaintext_front_door_is_valid(tmp_path):
    envoy_config.validate(write_config(tmp_path / "envoy.yaml", tls=None, cors_origins=()))


def test_committed_reference_copy_is_valid(tmp_path):
    """It names .run/tls/* and deploy/envoy/alphintra.pb relative to the repository, as `make envoy` runs."""
    ensure_local_certificates(tmp_path / ".run" / "tls")
    (tmp_path / "deploy").symlink_to(REPO_ROOT / "deploy")

    envoy_config.validate(REPO_ROOT / "deploy" / "envoy" / "envoy.yaml", working_directory=tmp_path)


def test_validation_fails_on_a_deprecated_field(tmp_path, certificates):
    config = yaml.safe_load(envoy_config.render(UPSTREAMS, front_door(tls=certificates)))
    # the pre-v3 place for upstream HTTP/2: Envoy still loads it, with a deprecation warning
    config["static_resources"]["clusters"][0]["http2_protocol_options"] = {}
    path = tmp_path / "deprecated.yaml"
    path.write_text(yaml.safe_dump(config))

    with pytest.raises(envoy_config.InvalidEnvoyConfig, match="deprecated"):
        envoy_config.validate(path)


def test_validation_fails_on_a_service_missing_from_the_descriptor_set(tmp_path, certificates):
    config = yaml.safe_load(envoy_config.render(UPSTREAMS, front_door(tls=certificates)))
    manager = config["static_resources"]["listeners"][0]["filter_chains"][0]["filters"][0]["typed_config"]
    [transcoder] = [entry for entry in manager["http_filters"] if "transcoder" in entry["name"]]
    transcoder["typed_config"]["services"].append("alphintra.workflow.v1.NoSuchService")
    path = tmp_path / "broken.yaml"
    path.write_text(yaml.safe_dump(config))

    with pytest.raises(envoy_config.InvalidEnvoyConfig, match="rejects"):
        envoy_config.validate(path)


def test_validation_fails_on_a_missing_certificate(tmp_path):
    missing = envoy_config.TlsFiles(tmp_path / "no.crt", tmp_path / "no.key", tmp_path / "no-ca.crt")

    with pytest.raises(envoy_config.InvalidEnvoyConfig, match="rejects"):
        envoy_config.validate(write_config(tmp_path / "envoy.yaml", tls=missing))
