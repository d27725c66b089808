"""The rendered Envoy config: every RPC routed, authenticated and authorised from the descriptor set."""

from __future__ import annotations

import copy
import functools
from pathlib import Path
from typing import Any

import pytest
import yaml
from google.protobuf import descriptor_pb2

from services.core.identity import access
from services.core.identity.tiers import PlanTier
from services.core.ownership import Role
from services.gateway.settings import GatewaySettings
from services.mesh import envoy_config
from services.mesh.envoy_config import Bucket, FrontDoor, JwtSettings, RateLimits, TlsFiles
from services.mesh.identity import IDENTITY_HEADERS

REPO_ROOT = Path(__file__).resolve().parents[3]
DESCRIPTOR = REPO_ROOT / envoy_config.DEFAULT_DESCRIPTOR_PATH
UPSTREAMS = {
    "gateway": ("127.0.0.1", 41001),
    "workflow": ("127.0.0.1", 41002),
    "trainer": ("127.0.0.1", 41003),
    "predictor": ("127.0.0.1", 41004),
    "signal_bus": ("127.0.0.1", 41005),
}
TLS = TlsFiles(Path("/certs/server.crt"), Path("/certs/server.key"), Path("/certs/ca.crt"))
FILTER_ORDER = [
    "envoy.filters.http.header_mutation",
    "envoy.filters.http.cors",
    "envoy.filters.http.grpc_web",
    "envoy.filters.http.grpc_json_transcoder",
    "envoy.filters.http.jwt_authn",
    "envoy.filters.http.rbac",
    "envoy.filters.http.local_ratelimit",
    "envoy.filters.http.router",
]


def front_door(descriptor_path: Path = DESCRIPTOR, **changes: Any) -> FrontDoor:
    values: dict[str, Any] = {
        "listener_port": 18443,
        "admin_port": 19901,
        "descriptor_path": descriptor_path,
        "tls": TLS,
        "jwt": JwtSettings(issuer="https://id.test", audience="mesh-test", jwks_cache_seconds=60),
        "cors_origins": ("https://app.test",),
    }
    return FrontDoor(**{**values, **changes})


def rendered(upstreams: Any = UPSTREAMS, **changes: Any) -> dict[str, Any]:
    """The config as Envoy would read it; the default one is built once (it is large)."""
    if upstreams is UPSTREAMS and not changes:
        return copy.deepcopy(_default_config())
    return envoy_config.build(upstreams, front_door(**changes))


@functools.cache
def _default_config() -> dict[str, Any]:
    return envoy_config.build(UPSTREAMS, front_door())


def listener(config: dict[str, Any]) -> dict[str, Any]:
    [only] = config["static_resources"]["listeners"]
    return only


def connection_manager(config: dict[str, Any]) -> dict[str, Any]:
    [chain] = listener(config)["filter_chains"]
    [manager] = chain["filters"]
    return manager["typed_config"]


def http_filter(config: dict[str, Any], name: str) -> dict[str, Any]:
    [found] = [entry for entry in connection_manager(config)["http_filters"] if entry["name"] == name]
    return found["typed_config"]


def routes(config: dict[str, Any]) -> list[dict[str, Any]]:
    [host] = connection_manager(config)["route_config"]["virtual_hosts"]
    return host["routes"]


def clusters(config: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {cluster["name"]: cluster for cluster in config["static_resources"]["clusters"]}


@functools.cache
def all_rpcs() -> list[envoy_config.Rpc]:
    return envoy_config.mesh_rpcs(DESCRIPTOR)


def test_the_yaml_is_the_config():
    assert yaml.safe_load(envoy_config.render(UPSTREAMS, front_door())) == _default_config()


# -- routes and clusters ------------------------------------------------------------------


def test_every_rpc_has_its_own_route_to_the_service_owning_its_package():
    table = {route["match"].get("path"): route["route"]["cluster"] for route in routes(rendered())}

    rpcs = all_rpcs()
    assert len(rpcs) > 100
    for rpc in rpcs:
        owner = next(
            name for name, packages in envoy_config.SERVICE_PACKAGES.items() if rpc.package in packages
        )
        assert table[rpc.path] == owner


def test_unary_routes_time_out_and_streams_do_not_and_only_unavailable_is_retried():
    by_path = {route["match"].get("path"): route["route"] for route in routes(rendered())}

    for rpc in all_rpcs():
        action = by_path[rpc.path]
        if rpc.streaming:  # the caller's deadline, not Envoy's (which could only reset a begun stream)
            assert action["timeout"] == "0s"
            assert "max_stream_duration" not in action
        else:
            assert (action["timeout"], action["max_stream_duration"]["grpc_timeout_header_max"]) == (
                "30s",
                "30s",
            )
        assert action["retry_policy"]["retry_on"] == "unavailable"
    assert by_path["/alphintra.signalbus.v1.SignalBusService/Subscribe"]["timeout"] == "0s"
    assert by_path["/alphintra.workflow.v1.WorkflowService/GetWorkflow"]["timeout"] == "30s"


def test_the_last_route_catches_rest_paths_so_cors_applies_before_transcoding():
    last = routes(rendered())[-1]

    assert last["match"] == {"prefix": "/"}
    assert [route["match"] for route in routes(rendered())].count({"prefix": "/"}) == 1


def test_one_cluster_per_service_speaking_http2_and_dropping_unhealthy_hosts():
    found = clusters(rendered())

    assert set(found) == {*UPSTREAMS, envoy_config.JWKS_CLUSTER}
    for name, (host, port) in UPSTREAMS.items():
        cluster = found[name]
        endpoint = cluster["load_assignment"]["endpoints"][0]["lb_endpoints"][0]["endpoint"]["address"]
        assert endpoint["socket_address"] == {"address": host, "port_value": port}
        options = cluster["typed_extension_protocol_options"][
            "envoy.extensions.upstreams.http.v3.HttpProtocolOptions"
        ]
        assert options["explicit_http_config"] == {"http2_protocol_options": {}}
        assert cluster["common_lb_config"]["healthy_panic_threshold"] == {"value": 0.0}
        assert cluster["health_checks"][0]["grpc_health_check"] == {}


def test_a_subset_of_services_renders_only_their_routes_and_the_gateway_is_required():
    config = rendered(upstreams={"gateway": UPSTREAMS["gateway"], "workflow": UPSTREAMS["workflow"]})

    services = {route["route"]["cluster"] for route in routes(config)}
    assert services == {"gateway", "workflow"}
    assert http_filter(config, "envoy.filters.http.grpc_json_transcoder")["services"] == [
        "alphintra.auth.v1.AuthService",
        "alphintra.workflow.v1.WorkflowService",
    ]
    with pytest.raises(ValueError, match="gateway must be an upstream"):
        rendered(upstreams={"workflow": UPSTREAMS["workflow"]})
    with pytest.raises(ValueError, match="unknown service"):
        rendered(upstreams={**UPSTREAMS, "billing": ("127.0.0.1", 1)})


def test_a_host_name_upstream_is_resolved_by_dns():
    config = rendered(upstreams={**UPSTREAMS, "workflow": ("workflow.alphintra.svc", 50052)})

    assert clusters(config)["workflow"]["type"] == "STRICT_DNS"


# -- TLS ------------------------------------------------------------------------------------


def test_the_listener_speaks_tls_with_h2_and_http11_and_does_not_share_its_port():
    config = rendered()

    [chain] = listener(config)["filter_chains"]
    context = chain["transport_socket"]["typed_config"]["common_tls_context"]
    assert context["alpn_protocols"] == ["h2", "http/1.1"]
    assert context["tls_certificates"] == [
        {
            "certificate_chain": {"filename": "/certs/server.crt"},
            "private_key": {"filename": "/certs/server.key"},
        }
    ]
    assert listener(config)["enable_reuse_port"] is False
    assert config["admin"]["address"]["socket_address"] == {"address": "127.0.0.1", "port_value": 19901}


def test_envoy_fetches_the_jwks_from_its_own_listener_trusting_the_ca():
    config = rendered()

    jwks = clusters(config)[envoy_config.JWKS_CLUSTER]
    endpoint = jwks["load_assignment"]["endpoints"][0]["lb_endpoints"][0]["endpoint"]["address"]
    assert endpoint["socket_address"] == {"address": "127.0.0.1", "port_value": 18443}
    validation = jwks["transport_socket"]["typed_config"]["common_tls_context"]["validation_context"]
    assert validation["trusted_ca"] == {"filename": "/certs/ca.crt"}
    provider = http_filter(config, "envoy.filters.http.jwt_authn")["providers"]["gateway"]
    assert provider["remote_jwks"]["http_uri"]["uri"] == "https://localhost:18443/.well-known/jwks.json"


def test_without_tls_the_listener_is_plaintext_and_so_is_the_jwks_fetch():
    config = rendered(tls=None)

    [chain] = listener(config)["filter_chains"]
    assert "transport_socket" not in chain
    assert "transport_socket" not in clusters(config)[envoy_config.JWKS_CLUSTER]
    provider = http_filter(config, "envoy.filters.http.jwt_authn")["providers"]["gateway"]
    assert provider["remote_jwks"]["http_uri"]["uri"].startswith("http://127.0.0.1:18443/")


# -- identity: stripped, verified, forwarded ----------------------------------------------


def test_filters_run_in_the_order_that_keeps_identity_trustworthy():
    names = [entry["name"] for entry in connection_manager(rendered())["http_filters"]]

    assert names == FILTER_ORDER


def test_every_identity_header_a_client_sends_is_removed_first():
    mutations = http_filter(rendered(), "envoy.filters.http.header_mutation")["mutations"][
        "request_mutations"
    ]

    removed = {mutation["remove"] for mutation in mutations}
    assert set(IDENTITY_HEADERS) <= removed
    assert removed == {header for _, header in envoy_config.FORWARDED_CLAIMS}


def test_the_jwt_provider_checks_issuer_audience_and_forwards_claims_not_the_token():
    provider = http_filter(rendered(), "envoy.filters.http.jwt_authn")["providers"]["gateway"]

    assert (provider["issuer"], provider["audiences"]) == ("https://id.test", ["mesh-test"])
    assert provider["remote_jwks"]["cache_duration"] == "60s"
    assert provider["forward"] is False
    assert provider["payload_in_metadata"] == envoy_config.JWT_PAYLOAD_KEY
    forwarded = {entry["claim_name"]: entry["header_name"] for entry in provider["claim_to_headers"]}
    assert forwarded["sub"] == "x-alphintra-user-id"
    assert forwarded["org"] == "x-alphintra-org-id"
    assert forwarded["role"] == "x-alphintra-role"
    assert forwarded["tier"] == "x-alphintra-tier"


def test_a_token_is_required_everywhere_but_on_the_public_rpcs():
    rules = http_filter(rendered(), "envoy.filters.http.jwt_authn")["rules"]

    public = {rule["match"]["path"] for rule in rules if "requires" not in rule}
    assert public == {
        "/alphintra.auth.v1.AuthService/Login",
        "/alphintra.auth.v1.AuthService/RefreshToken",
        "/alphintra.auth.v1.AuthService/ExchangeApiKey",
        "/alphintra.auth.v1.AuthService/GetJwks",
        "/inference.GRPCInferenceService/ServerLive",
        "/inference.GRPCInferenceService/ServerReady",
    }
    [logout] = [
        rule for rule in rules if rule["match"].get("path") == "/alphintra.auth.v1.AuthService/Logout"
    ]
    assert {"allow_missing": {}} in logout["requires"]["requires_any"]["requirements"]
    assert rules[-1] == {"match": {"prefix": "/"}, "requires": {"provider_name": "gateway"}}


# -- RBAC ------------------------------------------------------------------------------------


def policies() -> dict[str, Any]:
    return http_filter(_default_config(), "envoy.filters.http.rbac")["rules"]["policies"]


def claim_values(principal: dict[str, Any], claim: str) -> set[str]:
    for condition in principal["and_ids"]["ids"]:
        matchers = [entry["sourced_metadata"]["metadata_matcher"] for entry in condition["or_ids"]["ids"]]
        if matchers[0]["path"][-1]["key"] == claim:
            return {matcher["value"]["string_match"]["exact"] for matcher in matchers}
    raise AssertionError(f"no condition on {claim}")


def test_every_rpc_is_allowed_by_exactly_one_policy_matching_its_requirement():
    where: dict[str, str] = {}
    for name, policy in policies().items():
        for rule in policy["permissions"][0]["or_rules"]["rules"]:
            assert rule["url_path"]["path"]["exact"] not in where
            where[rule["url_path"]["path"]["exact"]] = name

    for rpc in all_rpcs():
        requirement = rpc.requirement
        policy = policies()[where[rpc.path]]
        [principal] = policy["principals"]
        if not requirement.checks_claims:
            assert principal == {"any": True}, rpc.path
            continue
        roles = claim_values(principal, "role")
        tiers = claim_values(principal, "tier")
        assert requirement.role.value in roles, rpc.path
        assert tiers == {
            tier.value for tier in PlanTier if envoy_config.tiers_from(requirement.tier).count(tier)
        }


def test_a_premium_rpc_admits_only_premium_tokens_and_user_management_only_admins():
    [deployments] = [
        name for name, policy in policies().items() if "/ListDeployments" in str(policy["permissions"])
    ]
    [users] = [
        name for name, policy in policies().items() if "AuthService/ListUsers" in str(policy["permissions"])
    ]

    assert claim_values(policies()[deployments]["principals"][0], "tier") == {"premium"}
    assert claim_values(policies()[users]["principals"][0], "role") == {"admin"}
    assert http_filter(rendered(), "envoy.filters.http.rbac")["rules"]["action"] == "ALLOW"


# -- rate limits, CORS, logs -----------------------------------------------------------------


def test_each_user_has_a_bucket_at_their_tiers_rate_and_refusals_are_resource_exhausted():
    limits = RateLimits(
        per_tier={tier: Bucket(index + 1, index + 1, 2) for index, tier in enumerate(PlanTier)}
    )
    config = http_filter(rendered(rate_limits=limits), "envoy.filters.http.local_ratelimit")

    assert config["filter_enabled"]["default_value"]["numerator"] == 100
    assert config["filter_enforced"]["default_value"]["numerator"] == 100
    assert config["rate_limited_as_resource_exhausted"] is True
    assert config["always_consume_default_token_bucket"] is False
    per_user = {
        descriptor["entries"][0]["value"]: descriptor["token_bucket"]
        for descriptor in config["descriptors"]
        if descriptor["entries"][0]["key"] == "tier"
    }
    assert per_user == {
        "basic": {"max_tokens": 1, "tokens_per_fill": 1, "fill_interval": "2s"},
        "pro": {"max_tokens": 2, "tokens_per_fill": 2, "fill_interval": "2s"},
        "premium": {"max_tokens": 3, "tokens_per_fill": 3, "fill_interval": "2s"},
    }
    for descriptor in config["descriptors"]:
        assert descriptor["entries"][-1]["value"] == ""  # one bucket per user (or address), not one for all
    actions = [action for limit in config["rate_limits"] for action in limit["actions"]]
    assert {"request_headers": {"header_name": "x-alphintra-user-id", "descriptor_key": "user"}} in actions
    assert {"remote_address": {}} in actions


def test_cors_allows_the_configured_origins_only():
    [host] = connection_manager(rendered())["route_config"]["virtual_hosts"]
    policy = host["typed_per_filter_config"]["envoy.filters.http.cors"]

    assert policy["allow_origin_string_match"] == [{"exact": "https://app.test"}]
    assert "authorization" in policy["allow_headers"]
    assert "grpc-status" in policy["expose_headers"]
    [bare] = connection_manager(rendered(cors_origins=()))["route_config"]["virtual_hosts"]
    assert "typed_per_filter_config" not in bare


def test_access_log_is_json_with_the_request_id_and_the_caller():
    [access_log] = connection_manager(rendered())["access_log"]

    fields = access_log["typed_config"]["log_format"]["json_format"]
    assert fields["request_id"] == "%REQ(X-REQUEST-ID)%"
    assert fields["grpc_status"] == "%GRPC_STATUS%"
    assert fields["user_id"] == "%REQ(X-ALPHINTRA-USER-ID)%"


# -- the descriptor set, the defaults, the command line ---------------------------------------


def test_an_rpc_without_an_http_rule_is_treated_as_a_write(tmp_path):
    file = descriptor_pb2.FileDescriptorProto(
        name="alphintra/workflow/v1/x.proto", package="alphintra.workflow.v1"
    )
    file.message_type.add(name="Empty")
    service = file.service.add(name="WorkflowService")
    service.method.add(
        name="Anything", input_type=".alphintra.workflow.v1.Empty", output_type=".alphintra.workflow.v1.Empty"
    )
    path = tmp_path / "x.pb"
    path.write_bytes(descriptor_pb2.FileDescriptorSet(file=[file]).SerializeToString())

    [rpc] = envoy_config.mesh_rpcs(path)

    assert (rpc.http_verb, rpc.streaming) == ("post", False)
    assert rpc.requirement == access.Requirement(role=Role.TRADER, tier=PlanTier.BASIC)


def test_the_defaults_agree_with_the_gateways():
    gateway = GatewaySettings.load({})
    jwt = JwtSettings()

    assert (jwt.issuer, jwt.audience) == (gateway.issuer, gateway.audience)
    # Envoy must know a new key before the gateway signs with it
    assert jwt.jwks_cache_seconds + gateway.key_refresh_seconds < gateway.key_publication_delay_seconds
    assert jwt.clock_skew_seconds <= gateway.clock_skew_seconds


def test_cli_refuses_a_file_name_envoy_would_not_read_as_yaml(tmp_path, capsys):
    with pytest.raises(SystemExit):
        envoy_config.main(["--out", str(tmp_path / "envoy.json")])

    assert ".yaml" in capsys.readouterr().err


def test_cli_refuses_a_missing_descriptor_set(tmp_path, capsys):
    with pytest.raises(SystemExit):
        envoy_config.main(["--out", str(tmp_path / "envoy.yaml"), "--descriptor", str(tmp_path / "none.pb")])

    assert "make proto" in capsys.readouterr().err


def test_committed_reference_copy_matches_the_renderer(tmp_path, monkeypatch):
    monkeypatch.chdir(REPO_ROOT)  # the reference names its files relative to the repository
    fresh = tmp_path / "envoy.yaml"

    assert envoy_config.main(["--out", str(fresh)]) == 0

    committed = REPO_ROOT / "deploy" / "envoy" / "envoy.yaml"
    assert committed.read_text() == fresh.read_text(), (
        "deploy/envoy/envoy.yaml is stale: run `make envoy` and commit the result"
    )
