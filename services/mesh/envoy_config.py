"""Renders the Envoy config that fronts the mesh, from the protos' descriptor set and the service list.

Every RPC in the descriptor set gets its own route (a timeout for unary calls, none for
streams), its own JWT rule and its own RBAC permission, taken from the access table in
`services.core.identity.access`; so a new RPC is exposed, authenticated and authorised
by regenerating this config, never by hand. Per request, in filter order:

    header_mutation   strips any identity header a client sent (x-alphintra-*)
    cors              answers browser preflights for the configured origins
    grpc_web          gRPC-Web -> gRPC
    transcoder        REST/JSON -> gRPC, so every later filter sees the gRPC path
    jwt_authn         verifies the ES256 token against the gateway's JWKS (fetched, cached)
                      and forwards its claims as the identity headers
    rbac              role and plan tier per RPC, from the verified claims
    local_ratelimit   a token bucket per user (by tier), per address for anonymous calls
    router            to the service; retries only UNAVAILABLE

There is no ext_authz hop: no decision needs state Envoy cannot hold. Revoking an API key or
a session takes effect where tokens are issued (the gateway), and the tokens Envoy checks live
for minutes; a Python call per request would cost more than everything above together.

    python -m services.mesh.envoy_config --out deploy/envoy/envoy.yaml --validate

renders (and checks) the committed reference copy for the default ports; `make run`
renders its own for the ports and certificates it picks.
"""

from __future__ import annotations

import argparse
import ipaddress
import subprocess
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from google.api import annotations_pb2
from google.protobuf import descriptor_pb2

from services.core.identity import access
from services.core.identity.claims import (
    API_KEY_CLAIM,
    API_KEY_HEADER,
    AUTH_METHOD_CLAIM,
    AUTH_METHOD_HEADER,
    EXPIRY_CLAIM,
    EXPIRY_HEADER,
    ORGANIZATION_CLAIM,
    ROLE_CLAIM,
    SUBJECT_CLAIM,
    TIER_CLAIM,
)
from services.core.identity.tiers import PlanTier, roles_from, tiers_from
from services.mesh.devstack.envoy import find_envoy
from services.mesh.devstack.tls import ensure_local_certificates
from services.mesh.identity import ORGANIZATION_HEADER, ROLE_HEADER, TIER_HEADER, USER_HEADER

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
DEFAULT_TLS_DIRECTORY = Path(".run/tls")

HEALTH_CHECK_INTERVAL = "5s"
CONNECT_TIMEOUT = "1s"
RETRIES_ON_UNAVAILABLE = 2
MAX_DOWNSTREAM_CONNECTIONS = 50_000

JWT_FILTER = "envoy.filters.http.jwt_authn"
JWT_PROVIDER = "gateway"
JWT_PAYLOAD_KEY = "jwt_payload"
JWKS_CLUSTER = "jwks"
TRACE_COLLECTOR_CLUSTER = "trace_collector"
TRACE_SERVICE_NAME = "alphintra-envoy"
# Envoy batches spans and sends them every flush interval (its default is 5 s), or sooner once
# this many are waiting
TRACE_FLUSH_INTERVAL_MS = 1000
TRACE_MIN_FLUSH_SPANS = 5
JWKS_PATH = "/.well-known/jwks.json"
JWT_CACHE_SIZE = 10_000
# the gateway's defaults for ISSUER and AUDIENCE
DEFAULT_ISSUER = "https://alphintra.local"
DEFAULT_AUDIENCE = "alphintra-mesh"

# claim -> the header Envoy forwards it in; a client's own copy of these headers is removed first
FORWARDED_CLAIMS: tuple[tuple[str, str], ...] = (
    (SUBJECT_CLAIM, USER_HEADER),
    (ORGANIZATION_CLAIM, ORGANIZATION_HEADER),
    (ROLE_CLAIM, ROLE_HEADER),
    (TIER_CLAIM, TIER_HEADER),
    (AUTH_METHOD_CLAIM, AUTH_METHOD_HEADER),
    (API_KEY_CLAIM, API_KEY_HEADER),
    (EXPIRY_CLAIM, EXPIRY_HEADER),
)
IDENTITY_HEADERS = tuple(header for _, header in FORWARDED_CLAIMS)

Config = dict[str, Any]


class InvalidEnvoyConfig(Exception):
    """Envoy rejected a config, or accepted it with deprecated fields (which a later Envoy will reject)."""


# -- what to render -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Bucket:
    """A token bucket: `max_tokens` at once (the burst), refilled by `tokens_per_fill` per interval."""

    max_tokens: int
    tokens_per_fill: int
    fill_interval_seconds: float = 1.0


@dataclass(frozen=True, slots=True)
class RateLimits:
    # per user, by plan tier
    per_tier: Mapping[PlanTier, Bucket] = field(
        default_factory=lambda: {
            PlanTier.BASIC: Bucket(40, 20),
            PlanTier.PRO: Bucket(200, 100),
            PlanTier.PREMIUM: Bucket(1000, 500),
        }
    )
    # per client address, for calls without a token (sign-in, the JWKS, health)
    anonymous: Bucket = Bucket(60, 30)
    # for anything matching no bucket above: a ceiling, not a budget
    ceiling: Bucket = Bucket(50_000, 25_000)
    # users and addresses tracked at once (least recently seen are forgotten first)
    max_tracked: int = 100_000


@dataclass(frozen=True, slots=True)
class TlsFiles:
    certificate_chain: Path
    private_key: Path
    # the CA that signed the certificate: Envoy trusts it when it fetches the JWKS from itself
    ca_certificate: Path


@dataclass(frozen=True, slots=True)
class JwtSettings:
    """Must agree with the gateway's ISSUER and AUDIENCE; the cache must be shorter than its key
    publication delay, so that Envoy knows a new signing key before the gateway signs with it."""

    issuer: str = DEFAULT_ISSUER
    audience: str = DEFAULT_AUDIENCE
    jwks_cache_seconds: int = 300
    clock_skew_seconds: int = 60


@dataclass(frozen=True, slots=True)
class FrontDoor:
    listener_port: int
    admin_port: int
    descriptor_path: Path
    # None: plaintext (behind a TLS-terminating load balancer); the devstack always sets it
    tls: TlsFiles | None
    jwt: JwtSettings = JwtSettings()
    # browser origins allowed to call (REST and gRPC-Web), e.g. "https://app.alphintra.com"
    cors_origins: tuple[str, ...] = ()
    rate_limits: RateLimits = RateLimits()
    listener_host: str = "127.0.0.1"
    unary_timeout_seconds: int = 30
    # an OTLP/gRPC collector (host, port): Envoy opens a span per request and sends W3C traceparent
    # upstream, so each service's span is its child; None: no tracing
    trace_collector: tuple[str, int] | None = None


@dataclass(frozen=True, slots=True)
class Rpc:
    """One method of a mesh service, as the descriptor set describes it."""

    service: str  # "alphintra.workflow.v1.WorkflowService"
    method: str
    package: str
    http_verb: str  # of its google.api.http rule ("post" when it has none)
    client_streaming: bool
    server_streaming: bool

    @property
    def path(self) -> str:
        return f"/{self.service}/{self.method}"

    @property
    def streaming(self) -> bool:
        return self.client_streaming or self.server_streaming

    @property
    def requirement(self) -> access.Requirement:
        return access.requirement(self.service, self.method, self.http_verb)


def mesh_rpcs(descriptor_path: Path, packages: Iterable[str] | None = None) -> list[Rpc]:
    """Every method of every mesh service in a descriptor set (built with --include_imports)."""
    wanted = set(packages) if packages is not None else _all_packages()
    descriptor_set = descriptor_pb2.FileDescriptorSet.FromString(Path(descriptor_path).read_bytes())
    return [
        Rpc(
            service=f"{file.package}.{service.name}",
            method=method.name,
            package=file.package,
            http_verb=method.options.Extensions[annotations_pb2.http].WhichOneof("pattern") or "post",
            client_streaming=method.client_streaming,
            server_streaming=method.server_streaming,
        )
        for file in descriptor_set.file
        if file.package in wanted
        for service in file.service
        for method in service.method
    ]


def _all_packages() -> set[str]:
    return {package for packages in SERVICE_PACKAGES.values() for package in packages}


def _cluster_of(rpc: Rpc) -> str:
    return next(name for name, packages in SERVICE_PACKAGES.items() if rpc.package in packages)


# -- the bootstrap ------------------------------------------------------------------------


def render(upstreams: Mapping[str, tuple[str, int]], front_door: FrontDoor) -> str:
    """The config as YAML text."""
    return yaml.safe_dump(build(upstreams, front_door), sort_keys=False, default_flow_style=False)


def build(upstreams: Mapping[str, tuple[str, int]], front_door: FrontDoor) -> Config:
    """The config as a dict, in the shape of Envoy's v3 bootstrap."""
    unknown = sorted(set(upstreams) - set(SERVICE_PACKAGES))
    if unknown:
        raise ValueError(f"unknown service(s) {unknown}; the mesh has {sorted(SERVICE_PACKAGES)}")
    if "gateway" not in upstreams:
        raise ValueError("Envoy verifies tokens against the gateway's JWKS: the gateway must be an upstream")
    packages = [package for name in upstreams for package in SERVICE_PACKAGES[name]]
    rpcs = mesh_rpcs(front_door.descriptor_path, packages)
    clusters = [
        *(service_cluster(name, host, port) for name, (host, port) in upstreams.items()),
        jwks_cluster(front_door),
    ]
    config: Config = {
        "admin": {"address": socket_address("127.0.0.1", front_door.admin_port)},
        "overload_manager": overload_manager(),
        "static_resources": {"listeners": [listener(rpcs, front_door)], "clusters": clusters},
    }
    if front_door.trace_collector is not None:
        clusters.append(trace_collector_cluster(*front_door.trace_collector))
        config["layered_runtime"] = tracing_runtime()
    return config


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


def listener(rpcs: Sequence[Rpc], front_door: FrontDoor) -> Config:
    """One port for gRPC, gRPC-Web and REST, over TLS offering h2 and http/1.1."""
    chain: Config = {"filters": [http_connection_manager(rpcs, front_door)]}
    if front_door.tls is not None:
        chain["transport_socket"] = downstream_tls(front_door.tls)
    return {
        "name": "ingress",
        "address": socket_address(front_door.listener_host, front_door.listener_port),
        # grpcio and Envoy set SO_REUSEPORT by default: a second process would share the port silently
        "enable_reuse_port": False,
        "filter_chains": [chain],
    }


def downstream_tls(tls: TlsFiles) -> Config:
    return {
        "name": "envoy.transport_sockets.tls",
        "typed_config": {
            "@type": "type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext",
            "common_tls_context": {
                # Python gRPC clients fail with "missing selected ALPN property" without h2
                "alpn_protocols": ["h2", "http/1.1"],
                "tls_params": {"tls_minimum_protocol_version": "TLSv1_2"},
                "tls_certificates": [
                    {
                        "certificate_chain": {"filename": str(tls.certificate_chain)},
                        "private_key": {"filename": str(tls.private_key)},
                    }
                ],
            },
        },
    }


def http_connection_manager(rpcs: Sequence[Rpc], front_door: FrontDoor) -> Config:
    manager: Config = {
        "@type": "type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3"
        ".HttpConnectionManager",
        "stat_prefix": "ingress",
        "codec_type": "AUTO",
        "use_remote_address": True,
        # keep a caller's x-request-id (the SDK sets one) so its logs and ours share it
        "preserve_external_request_id": True,
        # streaming subscriptions may be quiet for long stretches; deadlines come from routes and callers
        "stream_idle_timeout": "0s",
        "access_log": [json_access_log()],
        "route_config": route_config(rpcs, front_door),
        "http_filters": http_filters(rpcs, front_door),
    }
    if front_door.trace_collector is not None:
        manager["tracing"] = tracing()
        # sample by the tracing settings alone: a caller's own x-request-id need not be a UUID
        manager["request_id_extension"] = {
            "typed_config": {
                "@type": "type.googleapis.com/envoy.extensions.request_id.uuid.v3.UuidRequestIdConfig",
                "use_request_id_for_trace_sampling": False,
            }
        }
    return {"name": "envoy.filters.network.http_connection_manager", "typed_config": manager}


def tracing() -> Config:
    """A span per request, exported over OTLP/gRPC; the router sends its context upstream as W3C
    `traceparent` (a caller's own traceparent makes Envoy's span its child, and decides sampling)."""
    return {
        "provider": {
            "name": "envoy.tracers.opentelemetry",
            "typed_config": {
                "@type": "type.googleapis.com/envoy.config.trace.v3.OpenTelemetryConfig",
                "grpc_service": {
                    "envoy_grpc": {"cluster_name": TRACE_COLLECTOR_CLUSTER},
                    "timeout": "1s",
                },
                "service_name": TRACE_SERVICE_NAME,
            },
        },
    }


def tracing_runtime() -> Config:
    """Envoy's defaults plus a shorter span flush interval (its default is 5 s)."""
    return {
        "layers": [
            {
                "name": "static",
                "static_layer": {
                    "tracing.opentelemetry.flush_interval_ms": TRACE_FLUSH_INTERVAL_MS,
                    "tracing.opentelemetry.min_flush_spans": TRACE_MIN_FLUSH_SPANS,
                },
            },
            {"name": "admin", "admin_layer": {}},
        ]
    }


def http_filters(rpcs: Sequence[Rpc], front_door: FrontDoor) -> list[Config]:
    return [
        strip_identity_filter(),
        cors_filter(),
        grpc_web_filter(),
        grpc_json_transcoder_filter(front_door.descriptor_path, rpcs),
        jwt_authn_filter(rpcs, front_door),
        rbac_filter(rpcs),
        rate_limit_filter(front_door.rate_limits),
        router_filter(),
    ]


def _filter(name: str, type_url: str, config: Config | None = None) -> Config:
    return {"name": name, "typed_config": {"@type": f"type.googleapis.com/{type_url}", **(config or {})}}


def strip_identity_filter() -> Config:
    """Removes every identity header a client sent, before anything reads or sets them."""
    return _filter(
        "envoy.filters.http.header_mutation",
        "envoy.extensions.filters.http.header_mutation.v3.HeaderMutation",
        {"mutations": {"request_mutations": [{"remove": header} for header in IDENTITY_HEADERS]}},
    )


def cors_filter() -> Config:
    """Preflights are answered here; the allowed origins are the virtual host's CORS policy."""
    return _filter("envoy.filters.http.cors", "envoy.extensions.filters.http.cors.v3.Cors")


def grpc_web_filter() -> Config:
    return _filter("envoy.filters.http.grpc_web", "envoy.extensions.filters.http.grpc_web.v3.GrpcWeb")


def grpc_json_transcoder_filter(descriptor_path: Path, rpcs: Sequence[Rpc]) -> Config:
    """REST/JSON <-> gRPC for every service routed; server streams come out as NDJSON."""
    return _filter(
        "envoy.filters.http.grpc_json_transcoder",
        "envoy.extensions.filters.http.grpc_json_transcoder.v3.GrpcJsonTranscoder",
        {
            "proto_descriptor": str(descriptor_path),
            "services": sorted({rpc.service for rpc in rpcs}),
            "convert_grpc_status": True,
            "print_options": {"always_print_primitive_fields": True, "stream_newline_delimited": True},
        },
    )


def jwt_authn_filter(rpcs: Sequence[Rpc], front_door: FrontDoor) -> Config:
    """A token is required on every path but the public RPCs; Logout verifies one only if it is sent."""
    rules: list[Config] = []
    for rpc in rpcs:
        rule = rpc.requirement.token
        if rule is access.TokenRule.NONE:
            rules.append({"match": {"path": rpc.path}})
        elif rule is access.TokenRule.OPTIONAL:
            rules.append(
                {
                    "match": {"path": rpc.path},
                    "requires": {
                        "requires_any": {
                            "requirements": [{"provider_name": JWT_PROVIDER}, {"allow_missing": {}}]
                        }
                    },
                }
            )
    rules.append({"match": {"prefix": "/"}, "requires": {"provider_name": JWT_PROVIDER}})
    return _filter(
        JWT_FILTER,
        "envoy.extensions.filters.http.jwt_authn.v3.JwtAuthentication",
        {
            "providers": {JWT_PROVIDER: jwt_provider(front_door)},
            "rules": rules,
            "bypass_cors_preflight": True,
        },
    )


def jwt_provider(front_door: FrontDoor) -> Config:
    settings = front_door.jwt
    return {
        "issuer": settings.issuer,
        "audiences": [settings.audience],
        "remote_jwks": {
            "http_uri": {"uri": jwks_uri(front_door), "cluster": JWKS_CLUSTER, "timeout": "2s"},
            "cache_duration": f"{settings.jwks_cache_seconds}s",
            # fetch at start-up and on expiry in the background; the listener does not wait for it
            "async_fetch": {"fast_listener": True, "failed_refetch_duration": "1s"},
            "retry_policy": {
                "num_retries": 3,
                "retry_back_off": {"base_interval": "0.2s", "max_interval": "2s"},
            },
        },
        # services get the verified claims, never the token itself
        "forward": False,
        "clock_skew_seconds": settings.clock_skew_seconds,
        "payload_in_metadata": JWT_PAYLOAD_KEY,
        # a token seen before is not verified again (its expiry still is): ES256 costs more than a lookup
        "jwt_cache_config": {"jwt_cache_size": JWT_CACHE_SIZE},
        "claim_to_headers": [
            {"header_name": header, "claim_name": claim} for claim, header in FORWARDED_CLAIMS
        ],
    }


def jwks_uri(front_door: FrontDoor) -> str:
    scheme, host = ("https", "localhost") if front_door.tls is not None else ("http", "127.0.0.1")
    return f"{scheme}://{host}:{front_door.listener_port}{JWKS_PATH}"


def rbac_filter(rpcs: Sequence[Rpc]) -> Config:
    """One ALLOW policy per (role, tier) requirement, matching the verified claims; all else is denied."""
    groups: dict[str, tuple[access.Requirement, list[str]]] = {}
    for rpc in rpcs:
        requirement = rpc.requirement
        name = (
            f"{requirement.role.value}-{requirement.tier.value}"
            if requirement.checks_claims
            else "no-token-needed"
        )
        groups.setdefault(name, (requirement, []))[1].append(rpc.path)
    policies = {
        name: {
            "permissions": [
                {"or_rules": {"rules": [{"url_path": {"path": {"exact": path}}} for path in paths]}}
            ],
            "principals": [_principal(requirement)],
        }
        for name, (requirement, paths) in sorted(groups.items())
    }
    return _filter(
        "envoy.filters.http.rbac",
        "envoy.extensions.filters.http.rbac.v3.RBAC",
        {"rules": {"action": "ALLOW", "policies": policies}},
    )


def _principal(requirement: access.Requirement) -> Config:
    if not requirement.checks_claims:
        return {"any": True}
    return {
        "and_ids": {
            "ids": [
                _claim_in(ROLE_CLAIM, [role.value for role in roles_from(requirement.role)]),
                _claim_in(TIER_CLAIM, [tier.value for tier in tiers_from(requirement.tier)]),
            ]
        }
    }


def _claim_in(claim: str, values: Sequence[str]) -> Config:
    return {
        "or_ids": {
            "ids": [
                {
                    "sourced_metadata": {
                        "metadata_matcher": {
                            "filter": JWT_FILTER,
                            "path": [{"key": JWT_PAYLOAD_KEY}, {"key": claim}],
                            "value": {"string_match": {"exact": value}},
                        },
                        "metadata_source": "DYNAMIC",
                    }
                }
                for value in values
            ]
        }
    }


def rate_limit_filter(limits: RateLimits) -> Config:
    """A bucket per user at their tier's rate; per client address for calls without a token."""
    descriptors = [
        {
            "entries": [{"key": "tier", "value": tier.value}, {"key": "user", "value": ""}],
            "token_bucket": _bucket(bucket),
        }
        for tier, bucket in limits.per_tier.items()
    ]
    descriptors.append(
        {
            "entries": [
                {"key": "header_match", "value": "anonymous"},
                {"key": "remote_address", "value": ""},
            ],
            "token_bucket": _bucket(limits.anonymous),
        }
    )
    always = {"default_value": {"numerator": 100, "denominator": "HUNDRED"}}
    return _filter(
        "envoy.filters.http.local_ratelimit",
        "envoy.extensions.filters.http.local_ratelimit.v3.LocalRateLimit",
        {
            "stat_prefix": "per_caller",
            "token_bucket": _bucket(limits.ceiling),
            # the filter does nothing until both are set (they default to 0 %)
            "filter_enabled": {**always, "runtime_key": "per_caller_rate_limit_enabled"},
            "filter_enforced": {**always, "runtime_key": "per_caller_rate_limit_enforced"},
            "always_consume_default_token_bucket": False,
            # gRPC callers see RESOURCE_EXHAUSTED (the transcoder turns it into 429 for REST)
            "rate_limited_as_resource_exhausted": True,
            "max_dynamic_descriptors": limits.max_tracked,
            "descriptors": descriptors,
            "rate_limits": [
                {
                    "actions": [
                        {"request_headers": {"header_name": TIER_HEADER, "descriptor_key": "tier"}},
                        {"request_headers": {"header_name": USER_HEADER, "descriptor_key": "user"}},
                    ]
                },
                {
                    "actions": [
                        {
                            "header_value_match": {
                                "descriptor_value": "anonymous",
                                "expect_match": False,
                                "headers": [{"name": USER_HEADER, "present_match": True}],
                            }
                        },
                        {"remote_address": {}},
                    ]
                },
            ],
        },
    )


def _bucket(bucket: Bucket) -> Config:
    return {
        "max_tokens": bucket.max_tokens,
        "tokens_per_fill": bucket.tokens_per_fill,
        "fill_interval": f"{bucket.fill_interval_seconds:g}s",
    }


def router_filter() -> Config:
    return _filter("envoy.filters.http.router", "envoy.extensions.filters.http.router.v3.Router")


def json_access_log() -> Config:
    """One JSON line per request on Envoy's stdout, keyed by the request id the services log too.

    The three `*_us` fields split a request's time, in microseconds: `upstream_us` from the first
    byte sent to the service to the last byte of its answer; `envoy_request_us` from the end of the
    client's request to the first byte sent upstream (the filter chain, when it holds a request
    back, e.g. transcoding a REST body); `envoy_response_us` from the service's last byte to the
    client's. Whether Envoy or the service is slow is then read off one line. A duration that
    would be negative (Envoy forwarded a gRPC request before the client had finished it) is null."""
    fields = {
        "start_time": "%START_TIME%",
        "request_id": "%REQ(X-REQUEST-ID)%",
        "method": "%REQ(:METHOD)%",
        "path": "%REQ(X-ENVOY-ORIGINAL-PATH?:PATH)%",
        "grpc_method": "%REQ(:PATH)%",
        "protocol": "%PROTOCOL%",
        "response_code": "%RESPONSE_CODE%",
        "grpc_status": "%GRPC_STATUS%",
        "response_flags": "%RESPONSE_FLAGS%",
        "response_code_details": "%RESPONSE_CODE_DETAILS%",
        "duration_ms": "%DURATION%",
        "upstream_us": "%COMMON_DURATION(US_TX_BEG:US_RX_END:us)%",
        "envoy_request_us": "%COMMON_DURATION(DS_RX_END:US_TX_BEG:us)%",
        "envoy_response_us": "%COMMON_DURATION(US_RX_END:DS_TX_END:us)%",
        "bytes_received": "%BYTES_RECEIVED%",
        "bytes_sent": "%BYTES_SENT%",
        "upstream_cluster": "%UPSTREAM_CLUSTER%",
        "upstream_host": "%UPSTREAM_HOST%",
        "user_id": f"%REQ({USER_HEADER.upper()})%",
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


def route_config(rpcs: Sequence[Rpc], front_door: FrontDoor) -> Config:
    virtual_host: Config = {
        "name": "mesh",
        "domains": ["*"],
        "routes": [
            *(
                rpc_route(
                    rpc, front_door.unary_timeout_seconds, traced=front_door.trace_collector is not None
                )
                for rpc in rpcs
            ),
            rest_route(),
        ],
    }
    if front_door.cors_origins:
        virtual_host["typed_per_filter_config"] = {
            "envoy.filters.http.cors": cors_policy(front_door.cors_origins)
        }
    return {"name": "mesh", "virtual_hosts": [virtual_host]}


def rpc_route(rpc: Rpc, unary_timeout_seconds: int, *, traced: bool = False) -> Config:
    """Unary calls get a timeout (a shorter grpc-timeout from the caller wins); streams get none.

    Envoy does not enforce a stream's grpc-timeout: once a response has begun, Envoy can only end a
    stream that runs out of time with a reset, which the caller reads as INTERNAL. The caller's own
    deadline (and the service's, from the forwarded header) ends it with DEADLINE_EXCEEDED instead.
    Traced, Envoy's span is named after the RPC (as the service's own span is), not the URL."""
    action: Config = {"cluster": _cluster_of(rpc), "timeout": "0s", "retry_policy": retry_on_unavailable()}
    if not rpc.streaming:
        timeout = f"{unary_timeout_seconds}s"
        action |= {"timeout": timeout, "max_stream_duration": {"grpc_timeout_header_max": timeout}}
    route: Config = {"name": rpc.path, "match": {"path": rpc.path}, "route": action}
    if traced:
        route["decorator"] = {"operation": rpc.path.removeprefix("/"), "propagate": False}
    return route


def rest_route() -> Config:
    """Every other path, REST ones included: filters before the transcoder see the REST path, and get the
    virtual host's CORS policy only through a matched route with a cluster. Nothing is forwarded by it: a
    REST call that transcodes is routed again by its gRPC path, and RBAC refuses any other path."""
    return {"name": "rest", "match": {"prefix": "/"}, "route": {"cluster": "gateway", "timeout": "5s"}}


def retry_on_unavailable() -> Config:
    """Only UNAVAILABLE is retried: the services raise it for temporary failures alone."""
    return {
        "retry_on": "unavailable",
        "num_retries": RETRIES_ON_UNAVAILABLE,
        "retry_back_off": {"base_interval": "0.025s", "max_interval": "0.25s"},
    }


def cors_policy(origins: Sequence[str]) -> Config:
    return {
        "@type": "type.googleapis.com/envoy.extensions.filters.http.cors.v3.CorsPolicy",
        "allow_origin_string_match": [{"exact": origin} for origin in origins],
        "allow_methods": "GET, POST, PUT, PATCH, DELETE, OPTIONS",
        "allow_headers": "authorization, content-type, x-grpc-web, x-user-agent, grpc-timeout, x-request-id",
        "expose_headers": "grpc-status, grpc-message, grpc-status-details-bin, x-request-id",
        "max_age": "86400",
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


def jwks_cluster(front_door: FrontDoor) -> Config:
    """Envoy fetches the JWKS from its own listener, where GetJwks is transcoded to plain JSON."""
    host = "127.0.0.1" if front_door.listener_host in {"0.0.0.0", "::"} else front_door.listener_host  # noqa: S104
    cluster: Config = {
        "name": JWKS_CLUSTER,
        "type": "STATIC" if _is_ip_address(host) else "STRICT_DNS",
        "connect_timeout": CONNECT_TIMEOUT,
        "load_assignment": {
            "cluster_name": JWKS_CLUSTER,
            "endpoints": [
                {"lb_endpoints": [{"endpoint": {"address": socket_address(host, front_door.listener_port)}}]}
            ],
        },
    }
    if front_door.tls is not None:
        cluster["transport_socket"] = {
            "name": "envoy.transport_sockets.tls",
            "typed_config": {
                "@type": "type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext",
                "sni": "localhost",
                "common_tls_context": {
                    "validation_context": {
                        "trusted_ca": {"filename": str(front_door.tls.ca_certificate)},
                        "match_typed_subject_alt_names": [
                            {"san_type": "DNS", "matcher": {"exact": "localhost"}}
                        ],
                    }
                },
            },
        }
    return cluster


def trace_collector_cluster(host: str, port: int) -> Config:
    """The OTLP/gRPC collector Envoy sends its spans to (plaintext HTTP/2, as on a private network)."""
    return {
        "name": TRACE_COLLECTOR_CLUSTER,
        "type": "STATIC" if _is_ip_address(host) else "STRICT_DNS",
        "connect_timeout": CONNECT_TIMEOUT,
        "load_assignment": {
            "cluster_name": TRACE_COLLECTOR_CLUSTER,
            "endpoints": [{"lb_endpoints": [{"endpoint": {"address": socket_address(host, port)}}]}],
        },
        "typed_extension_protocol_options": http2_upstream(),
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


def validate(config_path: Path, working_directory: Path | None = None) -> None:
    """`envoy --mode validate`: checks every field, filter and file without binding a port.

    Relative paths in the config resolve from `working_directory` (default: the current one).
    Envoy only warns about deprecated fields; they are failures here, so that an Envoy
    upgrade never meets a config it has stopped accepting.
    """
    result = subprocess.run(
        [str(find_envoy()), "--mode", "validate", "-c", str(Path(config_path).absolute())],
        capture_output=True,
        text=True,
        check=False,
        cwd=working_directory,
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
        "--descriptor", type=Path, default=DEFAULT_DESCRIPTOR_PATH, help="built by `make proto`"
    )
    parser.add_argument(
        "--tls-dir",
        type=Path,
        default=DEFAULT_TLS_DIRECTORY,
        help="ca.crt, server.crt and server.key (--validate creates a local CA there if missing)",
    )
    parser.add_argument("--issuer", default=DEFAULT_ISSUER, help="the gateway's ISSUER")
    parser.add_argument("--audience", default=DEFAULT_AUDIENCE, help="the gateway's AUDIENCE")
    parser.add_argument(
        "--cors-origin", action="append", default=[], help="an allowed browser origin (repeat)"
    )
    parser.add_argument(
        "--validate", action="store_true", help="check the result with `envoy --mode validate`"
    )
    arguments = parser.parse_args(argv)
    if arguments.out.suffix != ".yaml":
        parser.error("Envoy reads YAML only from a file whose name ends in .yaml")
    if not arguments.descriptor.is_file():
        parser.error(f"{arguments.descriptor} does not exist: `make proto` builds it")
    tls = TlsFiles(
        certificate_chain=arguments.tls_dir / "server.crt",
        private_key=arguments.tls_dir / "server.key",
        ca_certificate=arguments.tls_dir / "ca.crt",
    )
    front_door = FrontDoor(
        listener_port=arguments.listener_port,
        admin_port=arguments.admin_port,
        descriptor_path=arguments.descriptor,
        tls=tls,
        jwt=JwtSettings(issuer=arguments.issuer, audience=arguments.audience),
        cors_origins=tuple(arguments.cors_origin),
    )
    text = render(DEFAULT_UPSTREAMS, front_door)
    arguments.out.parent.mkdir(parents=True, exist_ok=True)
    arguments.out.write_text(_HEADER + text)
    if arguments.validate:
        return _validate_with_local_certificates(arguments.out, arguments.tls_dir)
    return 0


def _validate_with_local_certificates(config_path: Path, tls_directory: Path) -> int:
    ensure_local_certificates(tls_directory)
    try:
        validate(config_path, working_directory=Path.cwd())
    except InvalidEnvoyConfig as error:
        print(error, file=sys.stderr)
        return 1
    print(f"{config_path}: valid")
    return 0


_HEADER = (
    "# Rendered by `python -m services.mesh.envoy_config` for the default ports: do not edit by hand.\n"
    "# Paths are relative to the repository root; `make run` renders its own copy in .run/envoy.yaml.\n"
)


if __name__ == "__main__":
    raise SystemExit(main())
