"""Renders the Envoy config that fronts the mesh: one gRPC listener, one cluster per service.

Routing is by gRPC package, so a service's new RPCs are routed without touching this
file. Each piece of the config (listener, filter, route, cluster) comes from its own
function, so TLS, jwt_authn, RBAC, rate limits and grpc_web slot in as more of them.

    python -m services.mesh.envoy_config --out deploy/envoy/envoy.yaml

renders the committed reference copy for the default ports (50051..50055). Check a
rendered file with `envoy --mode validate -c FILE`.
"""

from __future__ import annotations

import argparse
import ipaddress
import subprocess
import sys
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml
from google.protobuf import descriptor_pb2

from services.mesh.devstack.envoy import find_envoy

# The gRPC packages each service serves; a request goes to the service owning its package.
SERVICE_PACKAGES: Mapping[str, tuple[str, ...]] = {
    "gateway": ("alphintra.auth.v1",),
    "workflow": ("alphintra.workflow.v1",),
    "trainer": ("alphintra.trainer.v1",),
    "predictor": ("alphintra.predictor.v1", "inference"),
    "signal_bus": ("alphintra.signalbus.v1",),
}
DEFAULT_UPSTREAMS: Mapping[str, tuple[str, int]] = {
    name: ("127.0.0.1", 50051 + index) for index, name in enumerate(SERVICE_PACKAGES)
}
DEFAULT_LISTENER_PORT = 8080
DEFAULT_ADMIN_PORT = 9901
DEFAULT_DESCRIPTOR_PATH = Path("deploy/envoy/alphintra.pb")

HEALTH_CHECK_INTERVAL = "5s"
CONNECT_TIMEOUT = "1s"
RETRIES_ON_UNAVAILABLE = 2
MAX_DOWNSTREAM_CONNECTIONS = 50_000

Config = dict[str, Any]


class InvalidEnvoyConfig(Exception):
    """Envoy rejected a config, or accepted it with deprecated fields (which a later Envoy will reject)."""


def render(
    upstreams: Mapping[str, tuple[str, int]],
    *,
    listener_port: int,
    admin_port: int,
    descriptor_path: Path | None,
    listener_host: str = "127.0.0.1",
) -> str:
    """The config as YAML text. With a descriptor set, REST/JSON is transcoded to gRPC too."""
    config = build(
        upstreams,
        listener_port=listener_port,
        admin_port=admin_port,
        descriptor_path=descriptor_path,
        listener_host=listener_host,
    )
    return yaml.safe_dump(config, sort_keys=False, default_flow_style=False)


def build(
    upstreams: Mapping[str, tuple[str, int]],
    *,
    listener_port: int,
    admin_port: int,
    descriptor_path: Path | None,
    listener_host: str = "127.0.0.1",
) -> Config:
    """The config as a dict, in the shape of Envoy's v3 bootstrap."""
    unknown = sorted(set(upstreams) - set(SERVICE_PACKAGES))
    if unknown:
        raise ValueError(f"unknown service(s) {unknown}; the mesh has {sorted(SERVICE_PACKAGES)}")
    return {
        "admin": {"address": socket_address("127.0.0.1", admin_port)},
        "overload_manager": overload_manager(),
        "static_resources": {
            "listeners": [grpc_listener(upstreams, listener_host, listener_port, descriptor_path)],
            "clusters": [service_cluster(name, host, port) for name, (host, port) in upstreams.items()],
        },
    }


def socket_address(host: str, port: int) -> Config:
    return {"socket_address": {"address": host, "port_value": port}}


def overload_manager() -> Config:
    """A ceiling on downstream connections, so a connection flood exhausts a limit, not the process."""
    return {
        "resource_monitors": [
            {
                "name": "envoy.resource_monitors.global_downstream_max_connections",
                "typed_config": {
                    "@type": "type.googleapis.com/envoy.extensions.resource_monitors"
                    ".downstream_connections.v3.DownstreamConnectionsConfig",
                    "max_active_downstream_connections": MAX_DOWNSTREAM_CONNECTIONS,
                },
            }
        ]
    }


# -- the listener -------------------------------------------------------------------------


def grpc_listener(
    upstreams: Mapping[str, tuple[str, int]], host: str, port: int, descriptor_path: Path | None
) -> Config:
    """Plaintext HTTP/2 (and HTTP/1.1 for REST) on one port that only this Envoy may bind."""
    return {
        "name": "grpc_ingress",
        "address": socket_address(host, port),
        # grpcio and Envoy set SO_REUSEPORT by default: a second process would share the port silently
        "enable_reuse_port": False,
        "filter_chains": [{"filters": [http_connection_manager(upstreams, descriptor_path)]}],
    }


def http_connection_manager(upstreams: Mapping[str, tuple[str, int]], descriptor_path: Path | None) -> Config:
    return {
        "name": "envoy.filters.network.http_connection_manager",
        "typed_config": {
            "@type": "type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3"
            ".HttpConnectionManager",
            "stat_prefix": "grpc_ingress",
            "codec_type": "AUTO",
            "use_remote_address": True,
            # keep a caller's x-request-id (the SDK sets one) so its logs and ours share it
            "preserve_external_request_id": True,
            # streaming subscriptions may be quiet for long stretches; deadlines come from callers
            "stream_idle_timeout": "0s",
            "access_log": [json_access_log()],
            "route_config": route_config(upstreams),
            "http_filters": http_filters(descriptor_path),
        },
    }


def http_filters(descriptor_path: Path | None) -> list[Config]:
    """In order: (grpc_web, jwt_authn, rbac, local_ratelimit when added) → transcoder → router."""
    filters = []
    if descriptor_path is not None:
        filters.append(grpc_json_transcoder_filter(descriptor_path))
    filters.append(router_filter())
    return filters


def grpc_json_transcoder_filter(descriptor_path: Path) -> Config:
    """REST/JSON ↔ gRPC for every mesh service in the descriptor set (built with --include_imports)."""
    return {
        "name": "envoy.filters.http.grpc_json_transcoder",
        "typed_config": {
            "@type": "type.googleapis.com/envoy.extensions.filters.http.grpc_json_transcoder.v3"
            ".GrpcJsonTranscoder",
            "proto_descriptor": str(descriptor_path),
            "services": descriptor_services(descriptor_path),
            "convert_grpc_status": True,
            "print_options": {"always_print_primitive_fields": True},
        },
    }


def descriptor_services(descriptor_path: Path) -> list[str]:
    """Fully qualified names of the mesh's services in a descriptor set, imports left out."""
    descriptor_set = descriptor_pb2.FileDescriptorSet.FromString(Path(descriptor_path).read_bytes())
    packages = {package for packages in SERVICE_PACKAGES.values() for package in packages}
    return sorted(
        f"{file.package}.{service.name}"
        for file in descriptor_set.file
        if file.package in packages
        for service in file.service
    )


def router_filter() -> Config:
    return {
        "name": "envoy.filters.http.router",
        "typed_config": {"@type": "type.googleapis.com/envoy.extensions.filters.http.router.v3.Router"},
    }


def json_access_log() -> Config:
    """One JSON line per request on Envoy's stdout, keyed by the request id the services log too."""
    fields = {
        "start_time": "%START_TIME%",
        "request_id": "%REQ(X-REQUEST-ID)%",
        "method": "%REQ(:METHOD)%",
        "path": "%REQ(X-ENVOY-ORIGINAL-PATH?:PATH)%",
        "protocol": "%PROTOCOL%",
        "response_code": "%RESPONSE_CODE%",
        "grpc_status": "%GRPC_STATUS%",
        "response_flags": "%RESPONSE_FLAGS%",
        "duration_ms": "%DURATION%",
        "bytes_received": "%BYTES_RECEIVED%",
        "bytes_sent": "%BYTES_SENT%",
        "upstream_cluster": "%UPSTREAM_CLUSTER%",
        "upstream_host": "%UPSTREAM_HOST%",
        "downstream_address": "%DOWNSTREAM_REMOTE_ADDRESS%",
        "user_agent": "%REQ(USER-AGENT)%",
    }
    return {
        "name": "envoy.access_loggers.stdout",
        "typed_config": {
            "@type": "type.googleapis.com/envoy.extensions.access_loggers.stream.v3.StdoutAccessLog",
            "log_format": {"json_format": fields},
        },
    }


# -- routes -------------------------------------------------------------------------------


def route_config(upstreams: Mapping[str, tuple[str, int]]) -> Config:
    routes = [
        grpc_route(prefix, service)
        for service in upstreams
        for prefix in route_prefixes(SERVICE_PACKAGES[service])
    ]
    return {"name": "mesh", "virtual_hosts": [{"name": "mesh", "domains": ["*"], "routes": routes}]}


def route_prefixes(packages: Iterable[str]) -> list[str]:
    """`/alphintra.workflow.v1.` matches every method of every service in that package."""
    return [f"/{package}." for package in packages]


def grpc_route(prefix: str, cluster: str) -> Config:
    """Every route has no fixed timeout for now: streaming RPCs must not be cut off.

    Callers' gRPC deadlines (the grpc-timeout header) still apply, uncapped; a 30 s
    limit for unary RPCs comes with per-method routes.
    """
    return {
        "match": {"prefix": prefix},
        "route": {
            "cluster": cluster,
            "timeout": "0s",
            "max_stream_duration": {"grpc_timeout_header_max": "0s"},
            "retry_policy": retry_on_unavailable(),
        },
    }


def retry_on_unavailable() -> Config:
    """Only UNAVAILABLE is retried: the services raise it for temporary failures alone."""
    return {
        "retry_on": "unavailable",
        "num_retries": RETRIES_ON_UNAVAILABLE,
        "retry_back_off": {"base_interval": "0.025s", "max_interval": "0.25s"},
    }


# -- clusters -----------------------------------------------------------------------------


def service_cluster(name: str, host: str, port: int) -> Config:
    """One upstream service over HTTP/2, routed to only while its gRPC health check passes."""
    return {
        "name": name,
        "type": "STATIC" if _is_ip_address(host) else "STRICT_DNS",
        "connect_timeout": CONNECT_TIMEOUT,
        "lb_policy": "ROUND_ROBIN",
        "load_assignment": {
            "cluster_name": name,
            "endpoints": [{"lb_endpoints": [{"endpoint": {"address": socket_address(host, port)}}]}],
        },
        "typed_extension_protocol_options": http2_upstream(),
        # with one host, panic mode would still send traffic to it while it is unhealthy
        "common_lb_config": {"healthy_panic_threshold": {"value": 0.0}},
        "health_checks": [grpc_health_check()],
    }


def http2_upstream() -> Config:
    return {
        "envoy.extensions.upstreams.http.v3.HttpProtocolOptions": {
            "@type": "type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions",
            "explicit_http_config": {"http2_protocol_options": {}},
        }
    }


def grpc_health_check() -> Config:
    """grpc.health.v1 Check on service "" (SERVING once the server has started and migrated)."""
    return {
        "timeout": "1s",
        "interval": HEALTH_CHECK_INTERVAL,
        # without it, a cluster that has had no traffic yet is checked only once a minute
        "no_traffic_interval": HEALTH_CHECK_INTERVAL,
        "unhealthy_threshold": 2,
        "healthy_threshold": 1,
        "grpc_health_check": {},
    }


def _is_ip_address(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


# -- validation ---------------------------------------------------------------------------


def validate(config_path: Path) -> None:
    """`envoy --mode validate`: checks every field and filter without binding a port.

    Envoy only warns about deprecated fields; they are failures here, so that an Envoy
    upgrade never meets a config it has stopped accepting.
    """
    result = subprocess.run(
        [str(find_envoy()), "--mode", "validate", "-c", str(config_path)],
        capture_output=True,
        text=True,
        check=False,
    )
    output = result.stdout + result.stderr
    if result.returncode != 0:
        raise InvalidEnvoyConfig(f"Envoy rejects {config_path}:\n{output[-4000:]}")
    deprecated = [line for line in output.splitlines() if "deprecat" in line.lower()]
    if deprecated:
        raise InvalidEnvoyConfig(f"{config_path} uses deprecated fields:\n" + "\n".join(deprecated))


# -- command line -------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m services.mesh.envoy_config",
        description="Render the Envoy config for the mesh's services on their default ports (50051..50055).",
    )
    parser.add_argument(
        "--out", type=Path, required=True, help="where to write the YAML (name must end in .yaml)"
    )
    parser.add_argument("--listener-port", type=int, default=DEFAULT_LISTENER_PORT)
    parser.add_argument("--admin-port", type=int, default=DEFAULT_ADMIN_PORT)
    parser.add_argument(
        "--descriptor",
        type=Path,
        default=None,
        help=f"descriptor set for REST/JSON transcoding (e.g. {DEFAULT_DESCRIPTOR_PATH}); none: gRPC only",
    )
    parser.add_argument(
        "--validate", action="store_true", help="check the result with `envoy --mode validate`"
    )
    arguments = parser.parse_args(argv)
    if arguments.out.suffix != ".yaml":
        parser.error("Envoy reads YAML only from a file whose name ends in .yaml")
    text = render(
        DEFAULT_UPSTREAMS,
        listener_port=arguments.listener_port,
        admin_port=arguments.admin_port,
        descriptor_path=arguments.descriptor,
    )
    arguments.out.parent.mkdir(parents=True, exist_ok=True)
    arguments.out.write_text(_HEADER + text)
    if arguments.validate:
        try:
            validate(arguments.out)
        except InvalidEnvoyConfig as error:
            print(error, file=sys.stderr)
            return 1
        print(f"{arguments.out}: valid")
    return 0


_HEADER = (
    "# Rendered by `python -m services.mesh.envoy_config` for the default ports: do not edit by hand.\n"
    "# `make run` renders its own copy for the ports it picks, in .run/envoy.yaml.\n"
)


if __name__ == "__main__":
    raise SystemExit(main())
