"""Bad input at scale, through Envoy: random and mutated protobuf messages at every public RPC, random
JSON at the REST routes, random CSV uploads. Only clean refusals may come back (INVALID_ARGUMENT and
friends, HTTP 4xx): never INTERNAL/UNKNOWN/5xx, never a crash, and a refused call changes no stored data.

The number of inputs tried is printed in the test session's summary (`fuzz:` line).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import grpc
import psycopg
import pytest
from google.protobuf import descriptor_pool
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

# registers every mesh message type in the default descriptor pool
from alphintra.auth.v1 import auth_pb2  # noqa: F401
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
from services.mesh.envoy_config import Rpc, mesh_rpcs

from . import fuzz_inputs
from .front_door import DESCRIPTOR
from .front_door_clients import Person, new_person

pytestmark = [pytest.mark.integration, pytest.mark.slow]

# what a client may be told about bad input; anything else (INTERNAL, UNKNOWN, DATA_LOSS, UNAVAILABLE) fails
CLEAN = {
    grpc.StatusCode.OK,
    grpc.StatusCode.INVALID_ARGUMENT,
    grpc.StatusCode.NOT_FOUND,
    grpc.StatusCode.ALREADY_EXISTS,
    grpc.StatusCode.PERMISSION_DENIED,
    grpc.StatusCode.UNAUTHENTICATED,
    grpc.StatusCode.RESOURCE_EXHAUSTED,
    grpc.StatusCode.FAILED_PRECONDITION,
    grpc.StatusCode.ABORTED,
    grpc.StatusCode.OUT_OF_RANGE,
    grpc.StatusCode.UNIMPLEMENTED,
}
STREAM_SECONDS = 0.5
EXAMPLES = 300

RPCS = mesh_rpcs(DESCRIPTOR)
TALLY = fuzz_inputs.TALLY


class StoredData:
    """Row counts of every table that has an owner, for one owner: what a refused call must not move."""

    def __init__(self, database_url: str, owner_id: str) -> None:
        self._connection = psycopg.connect(database_url, autocommit=True)
        self._owner = owner_id
        rows = self._connection.execute(
            """SELECT table_schema, table_name FROM information_schema.columns
               WHERE column_name = 'owner_id' AND table_schema NOT IN ('pg_catalog', 'information_schema')"""
        ).fetchall()
        parts = [
            f'(SELECT count(*) FROM "{schema}"."{table}" WHERE owner_id = %(owner)s)'
            for schema, table in rows
        ]
        self._query = "SELECT " + (" + ".join(parts) if parts else "0")

    def fingerprint(self) -> int:
        return self._connection.execute(self._query, {"owner": self._owner}).fetchone()[0]

    def close(self) -> None:
        self._connection.close()


@pytest.fixture(scope="module")
def fuzzer(mesh, root) -> Person:
    return new_person(mesh, root, label="fuzz")


@pytest.fixture(scope="module")
def stored(mesh, fuzzer) -> Iterator[StoredData]:
    data = StoredData(mesh.database_url, fuzzer.user_id)
    yield data
    data.close()


def _input_type(rpc: Rpc):
    method = descriptor_pool.Default().FindMethodByName(f"{rpc.service}.{rpc.method}")
    return method.input_type


def _call(channel: grpc.Channel, rpc: Rpc, payloads: list[bytes], metadata) -> grpc.StatusCode:
    path = f"/{rpc.service}/{rpc.method}"
    try:
        if rpc.client_streaming:
            if rpc.server_streaming:
                responses = channel.stream_stream(path)(
                    iter(payloads), metadata=metadata, timeout=STREAM_SECONDS
                )
                for _ in responses:
                    pass
            else:
                channel.stream_unary(path)(iter(payloads), metadata=metadata, timeout=5)
        elif rpc.server_streaming:
            for _ in channel.unary_stream(path)(payloads[0], metadata=metadata, timeout=STREAM_SECONDS):
                pass
        else:
            channel.unary_unary(path)(payloads[0], metadata=metadata, timeout=10)
    except grpc.RpcError as error:
        code = error.code()
        if code is grpc.StatusCode.DEADLINE_EXCEEDED and rpc.server_streaming:
            return grpc.StatusCode.OK  # a live stream ends at our deadline
        if code not in CLEAN:
            pytest.fail(f"{path} answered {code.name}: {error.details()}")
        return code
    return grpc.StatusCode.OK


def _check(stored: StoredData, before: int, code: grpc.StatusCode, what: str) -> None:
    TALLY["inputs"] += 1
    TALLY["accepted" if code is grpc.StatusCode.OK else "refused"] += 1
    if code is not grpc.StatusCode.OK:
        assert stored.fingerprint() == before, f"a refused {what} ({code.name}) changed stored data"


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
@given(data=st.data())
def test_random_messages_at_every_rpc_get_clean_answers(mesh, fuzzer, stored, data):
    rpc = data.draw(st.sampled_from(RPCS), label="rpc")
    message = data.draw(fuzz_inputs.messages(_input_type(rpc)), label="message")
    payload = message.SerializeToString()
    before = stored.fingerprint()
    code = _call(mesh.channel(), rpc, [payload], fuzzer.metadata)
    _check(stored, before, code, f"{rpc.service}/{rpc.method}")


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
@given(data=st.data())
def test_damaged_wire_bytes_at_every_rpc_get_clean_answers(mesh, fuzzer, stored, data):
    rpc = data.draw(st.sampled_from(RPCS), label="rpc")
    valid = data.draw(fuzz_inputs.messages(_input_type(rpc)), label="message").SerializeToString()
    payload = data.draw(st.one_of(fuzz_inputs.mutated(valid), st.binary(max_size=128)), label="bytes")
    before = stored.fingerprint()
    code = _call(mesh.channel(), rpc, [payload], fuzzer.metadata)
    _check(stored, before, code, f"{rpc.service}/{rpc.method} (damaged bytes)")


def _rest_routes() -> list[tuple[str, str]]:
    """(verb, path) of every REST binding, path parameters filled with something plausible."""
    from google.api import annotations_pb2  # noqa: PLC0415 - only this test reads HTTP rules

    routes = []
    for rpc in RPCS:
        if rpc.server_streaming:
            continue  # a live stream does not end: the gRPC fuzz covers these methods
        method = descriptor_pool.Default().FindMethodByName(f"{rpc.service}.{rpc.method}")
        rule = method.GetOptions().Extensions[annotations_pb2.http]
        verb = rule.WhichOneof("pattern")
        if verb in {"get", "post", "patch", "delete", "put"}:
            path = re.sub(r"\{[^}]+\}", "fuzz-id", getattr(rule, verb))
            routes.append((verb.upper(), path))
    return routes


ROUTES = _rest_routes()


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
@given(data=st.data())
def test_random_json_at_every_rest_route_gets_4xx_not_5xx(mesh, fuzzer, stored, data):
    verb, path = data.draw(st.sampled_from(ROUTES), label="route")
    body = data.draw(st.one_of(fuzz_inputs.JSON_VALUES.map(json.dumps), fuzz_inputs.text()), label="body")
    before = stored.fingerprint()
    with mesh.http() as client:
        response = client.request(verb, path, content=body.encode("utf-8", "surrogatepass"),
                                  headers={**fuzzer.headers, "content-type": "application/json"})  # fmt: skip
    assert response.status_code < 500, f"{verb} {path} answered {response.status_code}: {response.text[:300]}"
    code = grpc.StatusCode.OK if response.status_code < 300 else grpc.StatusCode.INVALID_ARGUMENT
    _check(stored, before, code, f"{verb} {path}")


@settings(
    max_examples=EXAMPLES // 2, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True
)
@given(body=fuzz_inputs.csv_files())
def test_random_csv_uploads_are_accepted_or_refused_cleanly(mesh, fuzzer, stored, body):
    upload = next(rpc for rpc in RPCS if rpc.method == "UploadDataset")
    metadata = dataset_service_pb2.UploadDatasetRequest(
        metadata=dataset_service_pb2.DatasetUploadMetadata(
            display_name="fuzz", format=dataset_service_pb2.DATASET_FORMAT_CSV, default_symbol="FUZZ"
        )
    )
    chunks = [body[i : i + 97] for i in range(0, len(body), 97)] or [b""]
    payloads = [metadata.SerializeToString()]
    payloads.extend(
        dataset_service_pb2.UploadDatasetRequest(chunk=chunk).SerializeToString() for chunk in chunks
    )
    before = stored.fingerprint()
    code = _call(mesh.channel(), upload, payloads, fuzzer.metadata)
    _check(stored, before, code, "CSV upload")
