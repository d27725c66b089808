"""The API conventions the contracts promise their readers, beyond what buf's STANDARD rules check."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from google.protobuf import descriptor_pb2, descriptor_pool
from google.protobuf.descriptor import FieldDescriptor

from tests.unit.protos.paths import PROTO_ROOT
from tests.unit.protos.rpcs import Rpc, rpcs

# FileDescriptorProto field numbers, for source-info paths.
SERVICE_FIELD = 6
METHOD_FIELD = 2
# Lists that return everything at once, each small by nature.
UNPAGED_LISTS = {
    "alphintra.workflow.v1.WorkflowService.ListNodeTypes",  # the node catalog: tens of entries
    "alphintra.predictor.v1.PredictorService.ListModels",  # the models one predictor serves
    "alphintra.signalbus.v1.PaperTradingService.ListPositions",  # one per symbol of one account
}


def _alphintra_rpcs(files: list[descriptor_pb2.FileDescriptorProto]) -> list[Rpc]:
    return [rpc for rpc in rpcs(files) if rpc.file.package.startswith("alphintra.")]


def _leading_comment(rpc: Rpc) -> str:
    path = [SERVICE_FIELD, rpc.service_index, METHOD_FIELD, rpc.method_index]
    for location in rpc.file.source_code_info.location:
        if list(location.path) == path:
            return location.leading_comments
    return ""


def _field(
    pool: descriptor_pool.DescriptorPool, message_name: str, field_name: str
) -> FieldDescriptor | None:
    return pool.FindMessageTypeByName(message_name).fields_by_name.get(field_name)


def test_every_rpc_comment_names_its_errors(
    documented_files: list[descriptor_pb2.FileDescriptorProto],
) -> None:
    undocumented = [rpc.full_name for rpc in rpcs(documented_files) if "Errors" not in _leading_comment(rpc)]

    assert undocumented == []


def test_lists_are_paged(
    own_files: list[descriptor_pb2.FileDescriptorProto], pool: descriptor_pool.DescriptorPool
) -> None:
    unpaged = []
    for rpc in _alphintra_rpcs(own_files):
        if not rpc.method.name.startswith("List") or rpc.full_name in UNPAGED_LISTS:
            continue
        page_size = _field(pool, rpc.request_type, "page_size")
        page_token = _field(pool, rpc.request_type, "page_token")
        next_page_token = _field(pool, rpc.response_type, "next_page_token")
        if not (
            page_size is not None
            and page_size.type == FieldDescriptor.TYPE_INT32
            and page_token is not None
            and page_token.type == FieldDescriptor.TYPE_STRING
            and next_page_token is not None
            and next_page_token.type == FieldDescriptor.TYPE_STRING
        ):
            unpaged.append(rpc.full_name)

    assert unpaged == []


def test_updates_take_a_field_mask(
    own_files: list[descriptor_pb2.FileDescriptorProto], pool: descriptor_pool.DescriptorPool
) -> None:
    without_mask = []
    for rpc in _alphintra_rpcs(own_files):
        if not rpc.method.name.startswith("Update"):
            continue
        mask = _field(pool, rpc.request_type, "update_mask")
        if mask is None or mask.message_type.full_name != "google.protobuf.FieldMask":
            without_mask.append(rpc.full_name)

    assert without_mask == []


def _carries_a_version_check(pool: descriptor_pool.DescriptorPool, request_type: str) -> bool:
    """The request, or the resource it carries, has an expected_version or an etag."""
    request = pool.FindMessageTypeByName(request_type)
    if {"expected_version", "etag"} & set(request.fields_by_name):
        return True
    return any(
        "etag" in field.message_type.fields_by_name
        for field in request.fields
        if field.type == FieldDescriptor.TYPE_MESSAGE
    )


def test_updates_check_the_version_they_were_made_against(
    own_files: list[descriptor_pb2.FileDescriptorProto], pool: descriptor_pool.DescriptorPool
) -> None:
    unchecked = [
        rpc.full_name
        for rpc in _alphintra_rpcs(own_files)
        if rpc.method.name.startswith("Update") and not _carries_a_version_check(pool, rpc.request_type)
    ]

    assert unchecked == []


def test_creates_take_an_idempotency_key(
    own_files: list[descriptor_pb2.FileDescriptorProto], pool: descriptor_pool.DescriptorPool
) -> None:
    without_key = []
    for rpc in _alphintra_rpcs(own_files):
        if not rpc.method.name.startswith("Create"):
            continue
        request_id = _field(pool, rpc.request_type, "request_id")
        if request_id is None or request_id.type != FieldDescriptor.TYPE_STRING:
            without_key.append(rpc.full_name)

    assert without_key == []


def test_no_rpc_uses_empty(own_files: list[descriptor_pb2.FileDescriptorProto]) -> None:
    using_empty = [
        rpc.full_name
        for rpc in rpcs(own_files)
        if ".google.protobuf.Empty" in (rpc.method.input_type, rpc.method.output_type)
    ]

    assert using_empty == []


def test_buf_lint_passes() -> None:
    buf = Path(sys.executable).parent / "buf"
    if not buf.is_file():
        pytest.fail(f"buf is not installed at {buf} (pip package buf-bin, in the dev extra)")

    completed = subprocess.run(
        [str(buf), "lint"], check=False, cwd=PROTO_ROOT, capture_output=True, text=True, timeout=120
    )

    assert completed.returncode == 0, completed.stdout + completed.stderr
