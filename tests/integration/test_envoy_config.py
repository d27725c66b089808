"""Envoy itself accepts the rendered config, without a deprecated field."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from services.mesh import envoy_config
from tests.unit.mesh.test_envoy_config import REPO_ROOT, UPSTREAMS, write_descriptor_set

pytestmark = pytest.mark.integration

COMMITTED_DESCRIPTOR = REPO_ROOT / envoy_config.DEFAULT_DESCRIPTOR_PATH


def write_config(path: Path, descriptor_path: Path | None) -> Path:
    path.write_text(
        envoy_config.render(UPSTREAMS, listener_port=18080, admin_port=19901, descriptor_path=descriptor_path)
    )
    return path


def test_grpc_only_config_is_valid(tmp_path):
    envoy_config.validate(write_config(tmp_path / "envoy.yaml", None))


def test_config_with_the_transcoder_is_valid(tmp_path):
    descriptor = write_descriptor_set(tmp_path / "alphintra.pb")

    envoy_config.validate(write_config(tmp_path / "envoy.yaml", descriptor))


@pytest.mark.skipif(
    not COMMITTED_DESCRIPTOR.is_file(), reason="make proto has not built the descriptor set yet"
)
def test_config_with_the_mesh_descriptor_set_is_valid(tmp_path):
    envoy_config.validate(write_config(tmp_path / "envoy.yaml", COMMITTED_DESCRIPTOR))


def test_committed_reference_copy_is_valid():
    envoy_config.validate(REPO_ROOT / "deploy" / "envoy" / "envoy.yaml")


def test_validation_fails_on_a_deprecated_field(tmp_path):
    config = yaml.safe_load(
        envoy_config.render(UPSTREAMS, listener_port=1, admin_port=2, descriptor_path=None)
    )
    # the pre-v3 place for upstream HTTP/2: Envoy still loads it, with a deprecation warning
    config["static_resources"]["clusters"][0]["http2_protocol_options"] = {}
    path = tmp_path / "deprecated.yaml"
    path.write_text(yaml.safe_dump(config))

    with pytest.raises(envoy_config.InvalidEnvoyConfig, match="deprecated"):
        envoy_config.validate(path)


def test_validation_fails_on_a_service_missing_from_the_descriptor_set(tmp_path):
    descriptor = write_descriptor_set(tmp_path / "alphintra.pb")
    config = yaml.safe_load(
        envoy_config.render(UPSTREAMS, listener_port=1, admin_port=2, descriptor_path=descriptor)
    )
    manager = config["static_resources"]["listeners"][0]["filter_chains"][0]["filters"][0]["typed_config"]
    manager["http_filters"][0]["typed_config"]["services"].append("alphintra.workflow.v1.NoSuchService")
    path = tmp_path / "broken.yaml"
    path.write_text(yaml.safe_dump(config))

    with pytest.raises(envoy_config.InvalidEnvoyConfig, match="rejects"):
        envoy_config.validate(path)
