"""User B tries every read and write RPC of every service on user A's resources, through Envoy.

B is a trader in A's organization, C the admin of another organization; both hold premium
tokens, so Envoy's RBAC lets them through and each service's own ownership rule decides.
The table is ownership_cases.py; an RPC that has not landed yet (UNIMPLEMENTED) is skipped as
pending, and joins the matrix by itself the day it answers.
"""

from __future__ import annotations

import copy
import time
import uuid
from dataclasses import dataclass
from typing import Any

import grpc
import pytest
from google.protobuf import descriptor_pool, json_format, message_factory
from google.protobuf.message import Message

# registers every mesh message type in the default descriptor pool
from alphintra.auth.v1 import auth_pb2
from alphintra.predictor.v1 import deployment_service_pb2, predictor_service_pb2  # noqa: F401
from alphintra.signalbus.v1 import (  # noqa: F401
    paper_trading_service_pb2,
    signal_bus_service_pb2,
    webhook_service_pb2,
)
from alphintra.trainer.v1 import (  # noqa: F401
    backtest_service_pb2,
    dataset_service_pb2,
    experiment_service_pb2,
    model_registry_service_pb2,
    training_service_pb2,
)
from alphintra.workflow.v1 import workflow_service_pb2  # noqa: F401
from inference import grpc_service_pb2  # noqa: F401
from services.core.identity.tiers import PlanTier
from services.mesh.envoy_config import mesh_rpcs

from . import ownership_cases as cases
from .front_door import DESCRIPTOR
from .front_door_clients import PASSWORD, Person, new_person, refreshed

pytestmark = pytest.mark.integration

REFUSED = {grpc.StatusCode.NOT_FOUND, grpc.StatusCode.PERMISSION_DENIED}
PENDING = grpc.StatusCode.UNIMPLEMENTED
SUBSCRIPTION_SECONDS = 1.5
BACKTEST_SECONDS = 60


@dataclass
class Outcome:
    code: grpc.StatusCode
    responses: list[Message]
    details: str = ""

    def mentions(self, value: str) -> bool:
        return any(value.encode() in response.SerializeToString() for response in self.responses)


@dataclass
class World:
    mesh: Any
    a: Person
    b: Person
    c: Person
    root: Person
    ids: dict[str, str]
    # the resources A really created (the rest are placeholders for RPCs not landed yet)
    real: set[str]

    def request(self, rpc: str, values: dict[str, Any]) -> Message:
        method = descriptor_pool.Default().FindMethodByName(rpc.replace("/", "."))
        message = message_factory.GetMessageClass(method.input_type)()
        return json_format.ParseDict(_substitute(copy.deepcopy(values), self.ids), message)

    def call(self, person: Person, rpc: str, values: dict[str, Any]) -> Outcome:
        method = descriptor_pool.Default().FindMethodByName(rpc.replace("/", "."))
        reply_type = message_factory.GetMessageClass(method.output_type)
        request = self.request(rpc, values)
        channel = self.mesh.channel()
        try:
            if method.server_streaming:
                stream = channel.unary_stream(
                    f"/{rpc}", request_serializer=_serialize, response_deserializer=reply_type.FromString
                )(request, metadata=person.metadata, timeout=SUBSCRIPTION_SECONDS)
                responses = []
                try:
                    responses.extend(stream)
                except grpc.RpcError as error:
                    # a live stream ends at our deadline: what arrived until then is the answer
                    if error.code() is not grpc.StatusCode.DEADLINE_EXCEEDED:
                        raise
                return Outcome(grpc.StatusCode.OK, responses)
            reply = channel.unary_unary(
                f"/{rpc}", request_serializer=_serialize, response_deserializer=reply_type.FromString
            )(request, metadata=person.metadata, timeout=10)
            return Outcome(grpc.StatusCode.OK, [reply])
        except grpc.RpcError as error:
            return Outcome(error.code(), [], error.details() or "")


def _serialize(message: Message) -> bytes:
    return message.SerializeToString()


def _substitute(values: Any, ids: dict[str, str]) -> Any:
    if isinstance(values, dict):
        return {key: _substitute(value, ids) for key, value in values.items()}
    if isinstance(values, list):
        return [_substitute(value, ids) for value in values]
    if isinstance(values, str) and "{" in values:
        return values.format(**ids)
    return values


def _dig(message: Message, path: str) -> str:
    value: Any = json_format.MessageToDict(message, preserving_proto_field_name=True)
    for key in path.split("."):
        value = value.get(key, {}) if isinstance(value, dict) else {}
    return value if isinstance(value, str) and value else ""


# -- the world: A's resources, B and C ---------------------------------------------------


@pytest.fixture(scope="module")
def world(mesh, root) -> World:
    a = new_person(mesh, root, label="owner-a")
    b = new_person(mesh, root, label="peer-b")
    outsider = f"outsider-c-{uuid.uuid4().hex[:8]}@alphintra.test"
    mesh.add_user_without_organization(outsider, PASSWORD, PlanTier.PREMIUM)
    c = Person(outsider, PASSWORD, mesh.sign_in(outsider, PASSWORD).tokens)
    auth = mesh.channel().unary_unary(
        "/alphintra.auth.v1.AuthService/CreateOrganization",
        request_serializer=_serialize,
        response_deserializer=auth_pb2.CreateOrganizationResponse.FromString,
    )
    auth(
        auth_pb2.CreateOrganizationRequest(
            organization=auth_pb2.Organization(display_name=f"Rival {outsider}")
        ),
        metadata=c.metadata,
        timeout=10,
    )
    c = refreshed(mesh, c)  # now the admin of the rival organization
    unique = uuid.uuid4().hex[:10]
    ids = {"unique": unique, "user": a.user_id, "organization": a.claims["org"]}
    world = World(mesh, a, b, c, root, ids, real={"user", "organization"})
    ids["dataset"] = _upload_dataset(world) or f"missing-dataset-{unique}"
    if not ids["dataset"].startswith("missing-"):
        world.real.add("dataset")
    for creation in cases.CREATIONS:
        outcome = world.call(root if creation.by_admin else a, creation.rpc, creation.request)
        created = _dig(outcome.responses[0], creation.id_path) if outcome.code is grpc.StatusCode.OK else ""
        ids[creation.resource] = created or f"missing-{creation.resource}-{unique}"
        if created:
            world.real.add(creation.resource)
    for backtest in cases.FINISHED_BACKTESTS:
        if backtest in world.real:
            _wait_until_finished(world, ids[backtest])
    return world


def _wait_until_finished(world: World, backtest_id: str) -> None:
    """A's stored backtest runs as a job on a trainer worker: wait for it to leave QUEUED / RUNNING."""
    rpc = f"{cases.BACKTESTS}/GetBacktest"
    deadline = time.monotonic() + BACKTEST_SECONDS
    while True:
        outcome = world.call(world.a, rpc, {"backtest_id": backtest_id})
        assert outcome.code is grpc.StatusCode.OK, f"A cannot read their backtest: {outcome.details}"
        state = outcome.responses[0].backtest.state
        if state not in (
            backtest_service_pb2.BACKTEST_STATE_QUEUED,
            backtest_service_pb2.BACKTEST_STATE_RUNNING,
        ):
            assert state == backtest_service_pb2.BACKTEST_STATE_SUCCEEDED, outcome.responses[0].backtest.error
            return
        assert time.monotonic() < deadline, f"A's backtest {backtest_id} never finished"
        time.sleep(0.2)


def _upload_dataset(world: World) -> str:
    rpc = f"{cases.DATASETS}/UploadDataset"
    upload = world.mesh.channel().stream_unary(
        f"/{rpc}",
        request_serializer=_serialize,
        response_deserializer=dataset_service_pb2.UploadDatasetResponse.FromString,
    )
    try:
        reply = upload(
            iter([world.request(rpc, part) for part in cases.DATASET_UPLOAD]), metadata=world.a.metadata
        )
    except grpc.RpcError:
        return ""
    return reply.dataset.id


def _resources_named(values: Any) -> set[str]:
    text = str(values)
    return {
        resource
        for resource in (
            "user",
            "organization",
            "workflow",
            "execution",
            "dataset",
            "backtest",
            "second_backtest",
            "experiment",
            "run",
            "second_run",
            "model",
            "job",
            "deployment",
            "account",
            "webhook",
            "signal",
            "api_key",
        )
        if "{" + resource + "}" in text
    }


def _pending_or_refused(world: World, rpc: str, outcome: Outcome, who: str) -> None:
    if outcome.code is PENDING:
        pytest.skip(f"pending: {rpc} answers UNIMPLEMENTED")
    assert outcome.code in REFUSED, f"{who} was not refused {rpc}: {outcome.code.name} {outcome.details}"


# -- the matrix --------------------------------------------------------------------------


def test_every_rpc_of_every_service_is_in_the_matrix():
    rpcs = {f"{rpc.service}/{rpc.method}" for rpc in mesh_rpcs(DESCRIPTOR)}

    assert cases.classified() == rpcs, (
        f"unclassified: {sorted(rpcs - cases.classified())}; no such RPC: {sorted(cases.classified() - rpcs)}"
    )


def test_the_matrix_reaches_the_services_that_have_behaviour(world):
    trainer_and_predictor = {
        "dataset",
        "backtest",
        "second_backtest",
        "experiment",
        "run",
        "second_run",
        "model",
        "model_version",
        "alias",
        "served_model",
        "job",
    }
    assert {"workflow", "user", "api_key", *trainer_and_predictor} <= world.real, (
        f"placeholders: {sorted({'workflow', 'user', 'api_key', *trainer_and_predictor} - world.real)}"
    )


@pytest.mark.parametrize("rpc", sorted(cases.READS))
def test_others_cannot_read_what_a_owns(world, rpc):
    values = cases.READS[rpc]
    owner = world.call(world.a, rpc, values)
    outcomes = {name: world.call(person, rpc, values) for name, person in (("B", world.b), ("C", world.c))}

    if _resources_named(values) <= world.real and owner.code is not PENDING:
        assert owner.code not in REFUSED, (
            f"A cannot read their own resource: {owner.code.name} {owner.details}"
        )
        admin = world.call(world.root, rpc, values)
        assert admin.code not in REFUSED, f"A's organization admin cannot read it: {admin.code.name}"
    for name, outcome in outcomes.items():
        _pending_or_refused(world, rpc, outcome, name)


@pytest.mark.parametrize("rpc", sorted(cases.STREAM_READS))
def test_others_cannot_stream_what_a_owns(world, rpc):
    for name, person in (("B", world.b), ("C", world.c)):
        _pending_or_refused(world, rpc, world.call(person, rpc, cases.STREAM_READS[rpc]), name)


@pytest.mark.parametrize("rpc", sorted(cases.WRITES))
def test_others_cannot_change_what_a_owns(world, rpc):
    values, admin_may = cases.WRITES[rpc]
    probes = {resource: _probe(world, resource) for resource in _resources_named(values)}

    attempts = [("B", world.b), ("C", world.c)] + ([] if admin_may else [("A's admin", world.root)])
    for name, person in attempts:
        _pending_or_refused(world, rpc, world.call(person, rpc, values), name)

    for resource, before in probes.items():
        assert _probe(world, resource) == before, f"A's {resource} changed after refused calls of {rpc}"


def _probe(world: World, resource: str) -> bytes | None:
    """A's own view of one resource (None when it cannot be read yet), to prove a refusal changed nothing."""
    reads = {
        "workflow": (f"{cases.WORKFLOW}/GetWorkflow", {"workflow_id": "{workflow}"}),
        "user": (f"{cases.AUTH}/GetUser", {"user_id": "{user}"}),
        "api_key": (f"{cases.AUTH}/ListApiKeys", {"show_revoked": True}),
    }
    if resource not in reads or resource not in world.real:
        return None
    outcome = world.call(world.a, *reads[resource])
    return outcome.responses[0].SerializeToString() if outcome.responses else None


@pytest.mark.parametrize("rpc", sorted(cases.LISTS))
def test_others_never_see_what_a_owns_in_lists(world, rpc):
    values, resource = cases.LISTS[rpc]
    owned = world.ids[resource]

    owner = world.call(world.a, rpc, values)
    if owner.code is PENDING:
        pytest.skip(f"pending: {rpc} answers UNIMPLEMENTED")
    if resource in world.real:
        assert owner.mentions(owned), f"A's own {rpc} does not list A's {resource}"
    for name, person in (("B", world.b), ("C", world.c)):
        outcome = world.call(person, rpc, values)
        assert outcome.code is grpc.StatusCode.OK, f"{name}: {outcome.code.name} {outcome.details}"
        assert not outcome.mentions(owned), f"{name} sees A's {resource} in {rpc}"


@pytest.mark.parametrize("rpc", sorted(cases.STREAM_LISTS))
def test_others_never_receive_what_a_owns_in_subscriptions(world, rpc):
    values, resource = cases.STREAM_LISTS[rpc]
    owned = world.ids[resource]
    deadline = time.monotonic() + 10

    owner = world.call(world.a, rpc, values)
    if owner.code is PENDING:
        pytest.skip(f"pending: {rpc} answers UNIMPLEMENTED")
    while resource in world.real and not owner.mentions(owned) and time.monotonic() < deadline:
        owner = world.call(world.a, rpc, values)
    if resource in world.real:
        assert owner.mentions(owned), f"A's own {rpc} never delivered A's {resource}"
    for name, person in (("B", world.b), ("C", world.c)):
        outcome = world.call(person, rpc, values)
        assert outcome.code in {grpc.StatusCode.OK, *REFUSED}, (
            f"{name}: {outcome.code.name} {outcome.details}"
        )
        assert not outcome.mentions(owned), f"{name} received A's {resource} from {rpc}"


@pytest.mark.parametrize("rpc", sorted(cases.ORGANIZATION_READS))
def test_outsiders_cannot_read_a_s_organization(world, rpc):
    values = cases.ORGANIZATION_READS[rpc]

    admin = world.call(world.root, rpc, values)
    outsider = world.call(world.c, rpc, values)

    assert admin.code is grpc.StatusCode.OK, f"A's organization admin: {admin.code.name} {admin.details}"
    _pending_or_refused(world, rpc, outsider, "C")
