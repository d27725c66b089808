"""Every RPC is reachable over REST through Envoy's grpc_json_transcoder, and unambiguously so.

Envoy accepts a descriptor set whose HTTP rules collide or bind fields that do not exist (it was checked:
`envoy --mode validate` and a real start both pass), so these tests are the guard.
"""

from __future__ import annotations

from collections import defaultdict

from google.protobuf import descriptor_pb2, descriptor_pool
from google.protobuf.descriptor import FieldDescriptor

from tests.unit.protos.rpcs import path_shape, path_variables, rpcs, verb_and_path

# Paths outside /v1 and /v2 that a standard fixes.
WELL_KNOWN_PATHS = {"/.well-known/jwks.json"}
VERBS_WITHOUT_BODY = {"GET", "DELETE"}


def test_every_rpc_has_an_http_annotation(own_files: list[descriptor_pb2.FileDescriptorProto]) -> None:
    missing = [rpc.full_name for rpc in rpcs(own_files) if not rpc.has_http_rule()]

    assert missing == []


def test_every_service_is_in_the_descriptor_set(own_files: list[descriptor_pb2.FileDescriptorProto]) -> None:
    services = {f"{file.package}.{service.name}" for file in own_files for service in file.service}

    assert services == {
        "alphintra.auth.v1.AuthService",
        "alphintra.workflow.v1.WorkflowService",
        "alphintra.trainer.v1.DatasetService",
        "alphintra.trainer.v1.BacktestService",
        "alphintra.trainer.v1.TrainingService",
        "alphintra.trainer.v1.ExperimentService",
        "alphintra.trainer.v1.ModelRegistryService",
        "alphintra.predictor.v1.PredictorService",
        "alphintra.predictor.v1.DeploymentService",
        "alphintra.signalbus.v1.SignalBusService",
        "alphintra.signalbus.v1.WebhookService",
        "alphintra.signalbus.v1.PaperTradingService",
        "inference.GRPCInferenceService",
    }


def test_no_two_rpcs_share_a_method_and_path(own_files: list[descriptor_pb2.FileDescriptorProto]) -> None:
    owners: dict[tuple[str, str], list[str]] = defaultdict(list)
    for rpc in rpcs(own_files):
        for rule in rpc.http_rules():
            verb, path = verb_and_path(rule)
            owners[verb, path_shape(path)].append(rpc.full_name)

    collisions = {binding: names for binding, names in owners.items() if len(names) > 1}

    assert collisions == {}


def test_paths_are_versioned(own_files: list[descriptor_pb2.FileDescriptorProto]) -> None:
    unversioned = []
    for rpc in rpcs(own_files):
        prefix = "/v2" if rpc.file.package == "inference" else "/v1/"
        for rule in rpc.http_rules():
            _, path = verb_and_path(rule)
            if not path.startswith(prefix) and path not in WELL_KNOWN_PATHS:
                unversioned.append(f"{rpc.full_name}: {path}")

    assert unversioned == []


def _resolve(message: descriptor_pool.Descriptor, field_path: str) -> FieldDescriptor | None:
    """The field a dotted path names, or None when some step does not exist."""
    field = None
    for step in field_path.split("."):
        if message is None or step not in message.fields_by_name:
            return None
        field = message.fields_by_name[step]
        message = field.message_type
    return field


def test_path_variables_bind_singular_scalar_request_fields(
    own_files: list[descriptor_pb2.FileDescriptorProto], pool: descriptor_pool.DescriptorPool
) -> None:
    unbound = []
    for rpc in rpcs(own_files):
        request = pool.FindMessageTypeByName(rpc.request_type)
        for rule in rpc.http_rules():
            _, path = verb_and_path(rule)
            for variable in path_variables(path):
                field = _resolve(request, variable)
                if field is None or field.is_repeated or field.type == FieldDescriptor.TYPE_MESSAGE:
                    unbound.append(f"{rpc.full_name}: {{{variable}}} in {path}")

    assert unbound == []


def test_bodies_name_the_whole_request_or_one_of_its_fields(
    own_files: list[descriptor_pb2.FileDescriptorProto], pool: descriptor_pool.DescriptorPool
) -> None:
    wrong = []
    for rpc in rpcs(own_files):
        request = pool.FindMessageTypeByName(rpc.request_type)
        for rule in rpc.http_rules():
            verb, path = verb_and_path(rule)
            if verb in VERBS_WITHOUT_BODY and rule.body:
                wrong.append(f"{rpc.full_name}: {verb} {path} has body {rule.body!r}")
            if verb not in VERBS_WITHOUT_BODY and not rule.body:
                wrong.append(f"{rpc.full_name}: {verb} {path} has no body")
            if rule.body not in ("", "*") and rule.body not in request.fields_by_name:
                wrong.append(f"{rpc.full_name}: body {rule.body!r} is not a field of {rpc.request_type}")

    assert wrong == []


def test_streamed_requests_are_posted_whole(own_files: list[descriptor_pb2.FileDescriptorProto]) -> None:
    wrong = [
        f"{rpc.full_name}: {verb_and_path(rule)} body {rule.body!r}"
        for rpc in rpcs(own_files)
        if rpc.method.client_streaming
        for rule in rpc.http_rules()
        if verb_and_path(rule)[0] != "POST" or rule.body != "*"
    ]

    assert wrong == []
