"""Our `inference` package speaks the same wire format as Triton's grpc_service.proto.

tritonclient[grpc] is the oracle: every message and field we define must exist there with the same name,
number, type, label, message type and oneof, and every RPC with the same types and streaming. Its
descriptors are read in a subprocess, because tritonclient and our generated `inference` module define
the same symbols and cannot both be loaded into one process's default descriptor pool.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator

import pytest
from google.protobuf import descriptor_pb2

READ_TRITON_DESCRIPTOR = (
    "import sys\n"
    "from tritonclient.grpc import service_pb2\n"
    "sys.stdout.buffer.write(service_pb2.DESCRIPTOR.serialized_pb)\n"
)
EXPECTED_RPCS = {
    "ServerLive",
    "ServerReady",
    "ModelReady",
    "ServerMetadata",
    "ModelMetadata",
    "ModelInfer",
    "ModelStreamInfer",
}


@pytest.fixture(scope="module")
def triton_file() -> descriptor_pb2.FileDescriptorProto:
    completed = subprocess.run(
        [sys.executable, "-c", READ_TRITON_DESCRIPTOR], capture_output=True, check=True, timeout=60
    )
    return descriptor_pb2.FileDescriptorProto.FromString(completed.stdout)


@pytest.fixture(scope="module")
def our_file(own_files: list[descriptor_pb2.FileDescriptorProto]) -> descriptor_pb2.FileDescriptorProto:
    (file,) = [file for file in own_files if file.name == "inference/grpc_service.proto"]
    return file


def messages_by_name(
    messages: list[descriptor_pb2.DescriptorProto], prefix: str
) -> Iterator[tuple[str, descriptor_pb2.DescriptorProto]]:
    """Every message, nested ones and map entries included, by full name."""
    for message in messages:
        full_name = f"{prefix}.{message.name}"
        yield full_name, message
        yield from messages_by_name(list(message.nested_type), full_name)


def wire_shape(message: descriptor_pb2.DescriptorProto) -> dict[str, tuple[object, ...]]:
    """What the wire and the JSON mapping depend on, per field name (json_name derives from the name)."""
    oneof_names = [oneof.name for oneof in message.oneof_decl]
    return {
        field.name: (
            field.number,
            descriptor_pb2.FieldDescriptorProto.Type.Name(field.type),
            descriptor_pb2.FieldDescriptorProto.Label.Name(field.label),
            field.type_name,
            oneof_names[field.oneof_index] if field.HasField("oneof_index") else None,
        )
        for field in message.field
    }


def test_package_is_inference(our_file: descriptor_pb2.FileDescriptorProto) -> None:
    assert our_file.package == "inference"


def test_every_message_we_define_equals_tritons(
    our_file: descriptor_pb2.FileDescriptorProto, triton_file: descriptor_pb2.FileDescriptorProto
) -> None:
    triton_messages = dict(messages_by_name(list(triton_file.message_type), triton_file.package))
    ours = dict(messages_by_name(list(our_file.message_type), our_file.package))

    assert set(ours) - set(triton_messages) == set(), "messages Triton does not define"
    for full_name, message in ours.items():
        theirs = triton_messages[full_name]
        assert wire_shape(message) == wire_shape(theirs), full_name
        assert message.options.map_entry == theirs.options.map_entry, full_name


def test_the_service_has_the_kserve_v2_rpcs_with_tritons_signatures(
    our_file: descriptor_pb2.FileDescriptorProto, triton_file: descriptor_pb2.FileDescriptorProto
) -> None:
    (our_service,) = our_file.service
    (triton_service,) = triton_file.service
    triton_methods = {method.name: method for method in triton_service.method}

    assert our_service.name == triton_service.name == "GRPCInferenceService"
    assert {method.name for method in our_service.method} == EXPECTED_RPCS
    for method in our_service.method:
        theirs = triton_methods[method.name]
        ours_signature = (
            method.input_type,
            method.output_type,
            method.client_streaming,
            method.server_streaming,
        )
        theirs_signature = (
            theirs.input_type,
            theirs.output_type,
            theirs.client_streaming,
            theirs.server_streaming,
        )
        assert ours_signature == theirs_signature, method.name


def test_stream_responses_wrap_infer_responses_with_an_error_message(
    our_file: descriptor_pb2.FileDescriptorProto,
) -> None:
    """Triton's extension, not MLServer's bare ModelInferResponse stream (which breaks tritonclient)."""
    (stream_response,) = [
        message for message in our_file.message_type if message.name == "ModelStreamInferResponse"
    ]

    assert [(field.name, field.number, field.type_name) for field in stream_response.field] == [
        ("error_message", 1, ""),
        ("infer_response", 2, ".inference.ModelInferResponse"),
    ]
