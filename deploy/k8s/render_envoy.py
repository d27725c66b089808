"""Renders the Envoy config of the Kubernetes base: deploy/k8s/base/envoy/envoy.yaml.

The mesh's renderer (`services.mesh.envoy_config`) builds the front door: routes, JWT, RBAC, rate
limits, transcoding. This script feeds it what a cluster differs in, and adds what a cluster needs
around it:

- upstreams by Service name: every mesh Service is headless, so Envoy's STRICT_DNS clusters see
  every ready pod and balance each call, not each connection (a gRPC client keeps one HTTP/2
  connection, so a ClusterIP would pin all of Envoy's traffic to one predictor replica);
- the listener on all interfaces, the TLS files of the mounted Secret, and the descriptor set at
  its path in the image (the image carries the protos its services were built from);
- an "observability" listener that forwards only GET /ready and GET /stats/prometheus to the admin
  API, which stays on loopback: the kubelet and Prometheus read those two, nobody reaches the rest.

    .venv/bin/python deploy/k8s/render_envoy.py            # rewrite the committed file
    .venv/bin/python deploy/k8s/render_envoy.py --check    # exit 1 if the committed file is stale

Run it after `make proto` (new RPCs are new routes) and commit the result; the unit tests fail
while the committed file differs from a fresh rendering.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml

from services.mesh import envoy_config

DEPLOY_K8S = Path(__file__).resolve().parent
REPO_ROOT = DEPLOY_K8S.parents[1]
OUTPUT_PATH = DEPLOY_K8S / "base" / "envoy" / "envoy.yaml"
LOCAL_DESCRIPTOR_PATH = REPO_ROOT / envoy_config.DEFAULT_DESCRIPTOR_PATH

# Service name and gRPC port of each mesh service, as the base's Services declare them.
UPSTREAMS: Mapping[str, tuple[str, int]] = {
    "gateway": ("gateway", 50051),
    "workflow": ("workflow", 50052),
    "trainer": ("trainer", 50053),
    "predictor": ("predictor", 50054),
    "signal_bus": ("signal-bus", 50055),
}
LISTENER_PORT = 8443
ADMIN_PORT = 9901
OBSERVABILITY_PORT = 9902
OBSERVABILITY_PATHS = ("/ready", "/stats/prometheus")
ADMIN_CLUSTER = "envoy_admin"
# where the Dockerfile puts the descriptor set, and where the envoy-tls Secret is mounted
DESCRIPTOR_IN_IMAGE = Path("/app/deploy/envoy/alphintra.pb")
TLS_DIRECTORY = Path("/etc/alphintra/tls")

HEADER = (
    "# Rendered by `python deploy/k8s/render_envoy.py` from services/mesh/envoy_config.py and\n"
    "# deploy/envoy/alphintra.pb: do not edit by hand. Paths are those inside the alphintra image.\n"
)

Config = dict[str, Any]


def front_door(
    descriptor_path: Path, jwt: envoy_config.JwtSettings, tls_directory: Path = TLS_DIRECTORY
) -> envoy_config.FrontDoor:
    return envoy_config.FrontDoor(
        listener_port=LISTENER_PORT,
        admin_port=ADMIN_PORT,
        descriptor_path=descriptor_path,
        tls=envoy_config.TlsFiles(
            certificate_chain=tls_directory / "tls.crt",
            private_key=tls_directory / "tls.key",
            ca_certificate=tls_directory / "ca.crt",
        ),
        jwt=jwt,
        listener_host="0.0.0.0",  # noqa: S104 -- the pod's network namespace: Envoy is the ingress
    )


def build(
    descriptor_path: Path = LOCAL_DESCRIPTOR_PATH,
    jwt: envoy_config.JwtSettings | None = None,
    descriptor_in_image: Path = DESCRIPTOR_IN_IMAGE,
    tls_directory: Path = TLS_DIRECTORY,
) -> Config:
    """The cluster's config: routes from the local descriptor set, file paths as the pod sees them.

    Tests pass local paths for `descriptor_in_image` and `tls_directory` to run `envoy --mode validate`.
    """
    jwt = jwt or envoy_config.JwtSettings()
    config = envoy_config.build(UPSTREAMS, front_door(descriptor_path, jwt, tls_directory))
    _transcoder(config)["proto_descriptor"] = str(descriptor_in_image)
    resources = config["static_resources"]
    resources["listeners"].append(observability_listener())
    resources["clusters"].append(admin_cluster())
    return config


def render(descriptor_path: Path = LOCAL_DESCRIPTOR_PATH, jwt: envoy_config.JwtSettings | None = None) -> str:
    body = yaml.safe_dump(build(descriptor_path, jwt), sort_keys=False, default_flow_style=False)
    return HEADER + body


def _transcoder(config: Config) -> Config:
    [ingress] = [item for item in config["static_resources"]["listeners"] if item["name"] == "ingress"]
    [chain] = ingress["filter_chains"]
    [manager] = chain["filters"]
    [transcoder] = [
        item["typed_config"]
        for item in manager["typed_config"]["http_filters"]
        if item["name"] == "envoy.filters.http.grpc_json_transcoder"
    ]
    return transcoder


def observability_listener() -> Config:
    """GET /ready (readiness probe) and GET /stats/prometheus (scraping), nothing else of the admin API."""
    only_get = [{"name": ":method", "string_match": {"exact": "GET"}}]
    routes = [
        {"match": {"path": path, "headers": only_get}, "route": {"cluster": ADMIN_CLUSTER, "timeout": "5s"}}
        for path in OBSERVABILITY_PATHS
    ]
    manager = {
        "name": "envoy.filters.network.http_connection_manager",
        "typed_config": {
            "@type": "type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3"
            ".HttpConnectionManager",
            "stat_prefix": "observability",
            "codec_type": "AUTO",
            "route_config": {
                "name": "observability",
                "virtual_hosts": [{"name": "observability", "domains": ["*"], "routes": routes}],
            },
            "http_filters": [envoy_config.router_filter()],
        },
    }
    return {
        "name": "observability",
        "address": envoy_config.socket_address("0.0.0.0", OBSERVABILITY_PORT),  # noqa: S104
        "enable_reuse_port": False,
        "filter_chains": [{"filters": [manager]}],
    }


def admin_cluster() -> Config:
    return {
        "name": ADMIN_CLUSTER,
        "type": "STATIC",
        "connect_timeout": envoy_config.CONNECT_TIMEOUT,
        "load_assignment": {
            "cluster_name": ADMIN_CLUSTER,
            "endpoints": [
                {
                    "lb_endpoints": [
                        {"endpoint": {"address": envoy_config.socket_address("127.0.0.1", ADMIN_PORT)}}
                    ]
                }
            ],
        },
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python deploy/k8s/render_envoy.py", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--check", action="store_true", help="only compare with the committed file")
    parser.add_argument("--issuer", default=envoy_config.DEFAULT_ISSUER, help="the gateway's ISSUER")
    parser.add_argument("--audience", default=envoy_config.DEFAULT_AUDIENCE, help="the gateway's AUDIENCE")
    arguments = parser.parse_args(argv)
    if not LOCAL_DESCRIPTOR_PATH.is_file():
        parser.error(f"{LOCAL_DESCRIPTOR_PATH} is missing: `make proto` builds it")
    text = render(jwt=envoy_config.JwtSettings(issuer=arguments.issuer, audience=arguments.audience))
    if arguments.check:
        if not OUTPUT_PATH.is_file() or OUTPUT_PATH.read_text() != text:
            print(f"{OUTPUT_PATH} is stale: run `python deploy/k8s/render_envoy.py`", file=sys.stderr)
            return 1
        return 0
    OUTPUT_PATH.parent.mkdir(parents=True, exist_ok=True)
    OUTPUT_PATH.write_text(text)
    print(f"wrote {OUTPUT_PATH.relative_to(REPO_ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
