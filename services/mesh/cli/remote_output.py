"""Showing what the mesh answered: tables for people, `--json` for scripts, errors that say where.

Exit codes of remote commands (scripts branch on them):
    0  done
    1  refused: the request was wrong (INVALID_ARGUMENT, FAILED_PRECONDITION, ALREADY_EXISTS,
       OUT_OF_RANGE, ABORTED); the server's field violations are printed one per line
    2  the command line or the local setup was wrong (no address, not signed in, unreadable file)
    3  not found (or not yours: the mesh does not tell the difference)
    4  not allowed (UNAUTHENTICATED, PERMISSION_DENIED)
    5  try again later (UNAVAILABLE, RESOURCE_EXHAUSTED, DEADLINE_EXCEEDED)
    6  anything else (INTERNAL, UNKNOWN, ...): quote the request id when reporting it
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import grpc
from google.protobuf import json_format
from google.protobuf.message import Message
from google.rpc import error_details_pb2, status_pb2
from rich.console import Console
from rich.table import Table

EXIT_REFUSED, EXIT_USAGE, EXIT_NOT_FOUND, EXIT_DENIED, EXIT_RETRY, EXIT_OTHER = 1, 2, 3, 4, 5, 6

_EXIT_BY_CODE = {
    grpc.StatusCode.INVALID_ARGUMENT: EXIT_REFUSED,
    grpc.StatusCode.FAILED_PRECONDITION: EXIT_REFUSED,
    grpc.StatusCode.ALREADY_EXISTS: EXIT_REFUSED,
    grpc.StatusCode.OUT_OF_RANGE: EXIT_REFUSED,
    grpc.StatusCode.ABORTED: EXIT_REFUSED,
    grpc.StatusCode.NOT_FOUND: EXIT_NOT_FOUND,
    grpc.StatusCode.UNAUTHENTICATED: EXIT_DENIED,
    grpc.StatusCode.PERMISSION_DENIED: EXIT_DENIED,
    grpc.StatusCode.UNAVAILABLE: EXIT_RETRY,
    grpc.StatusCode.RESOURCE_EXHAUSTED: EXIT_RETRY,
    grpc.StatusCode.DEADLINE_EXCEEDED: EXIT_RETRY,
}

stdout = Console(highlight=False, soft_wrap=True)
stderr = Console(stderr=True, highlight=False, soft_wrap=True)


def to_dict(message: Message) -> dict[str, Any]:
    return json_format.MessageToDict(message, preserving_proto_field_name=True)


def print_json(value: Message | Sequence[Message] | dict[str, Any]) -> None:
    if isinstance(value, Message):
        document: Any = to_dict(value)
    elif isinstance(value, dict):
        document = value
    else:
        document = [to_dict(item) for item in value]
    print(json.dumps(document, indent=2, sort_keys=False))


def _status_details(error: grpc.RpcError) -> status_pb2.Status | None:
    for key, value in error.trailing_metadata() or ():  # type: ignore[attr-defined]
        if key == "grpc-status-details-bin":
            return status_pb2.Status.FromString(value)
    return None


def describe_rpc_error(error: grpc.RpcError) -> list[str]:
    """The server's message, then each field violation, precondition and the request id."""
    code = error.code()  # type: ignore[attr-defined]
    lines = [f"{code.name.lower().replace('_', ' ')}: {error.details()}"]  # type: ignore[attr-defined]
    status = _status_details(error)
    for detail in status.details if status is not None else []:
        if detail.Is(error_details_pb2.BadRequest.DESCRIPTOR):
            bad = error_details_pb2.BadRequest()
            detail.Unpack(bad)
            lines.extend(f"  {v.field}: {v.description}" for v in bad.field_violations)
        elif detail.Is(error_details_pb2.PreconditionFailure.DESCRIPTOR):
            failure = error_details_pb2.PreconditionFailure()
            detail.Unpack(failure)
            lines.extend(f"  {v.subject}: {v.description}" for v in failure.violations)
        elif detail.Is(error_details_pb2.RetryInfo.DESCRIPTOR):
            retry = error_details_pb2.RetryInfo()
            detail.Unpack(retry)
            lines.append(f"  retry after {retry.retry_delay.ToNanoseconds() / 1e9:.1f}s")
        elif detail.Is(error_details_pb2.RequestInfo.DESCRIPTOR):
            info = error_details_pb2.RequestInfo()
            detail.Unpack(info)
            lines.append(f"  (request id {info.request_id})")
    return lines


def report_rpc_error(error: grpc.RpcError) -> int:
    for line in describe_rpc_error(error):
        stderr.print(line, markup=False)
    return _EXIT_BY_CODE.get(error.code(), EXIT_OTHER)  # type: ignore[attr-defined]


Column = tuple[str, Callable[[Message], Any]]


def enum_text(enum_type: Any, number: int) -> str:
    """`JOB_STATE_SUCCEEDED` -> `succeeded`: the value without its enum's prefix, for tables."""
    value = enum_type.values_by_number.get(number)
    if value is None:
        return str(number)
    unspecified = next((v.name for v in enum_type.values if v.name.endswith("UNSPECIFIED")), "")
    prefix = unspecified.removesuffix("UNSPECIFIED")
    return value.name.removeprefix(prefix).lower()


def field(path: str) -> Callable[[Message], Any]:
    """A column reading a (dotted) field; enums by name, timestamps as ISO text."""

    def read(message: Message) -> Any:
        value: Any = message
        for part in path.split("."):
            descriptor = value.DESCRIPTOR.fields_by_name[part]
            raw = getattr(value, part)
            if descriptor.enum_type is not None and not isinstance(raw, Iterable):
                return enum_text(descriptor.enum_type, raw)
            value = raw
        if isinstance(value, Message):
            if value.DESCRIPTOR.full_name == "google.protobuf.Timestamp":
                stamp = value.ToDatetime()  # type: ignore[attr-defined]
                return stamp.strftime("%Y-%m-%d %H:%M:%S") if value.ByteSize() else ""
            return json_format.MessageToJson(value, indent=None)
        if isinstance(value, float):
            return f"{value:.6g}"
        if not isinstance(value, str) and isinstance(value, Iterable):
            return ", ".join(str(item) for item in value)
        return value

    return read


def print_table(items: Sequence[Message], columns: Sequence[Column], title: str = "") -> None:
    table = Table(title=title or None, title_justify="left")
    for name, _ in columns:
        table.add_column(name, overflow="fold")
    for item in items:
        table.add_row(*(str(read(item)) for _, read in columns))
    stdout.print(table)
    if not items:
        stdout.print("(none)")


def show(
    value: Message | Sequence[Message],
    *,
    as_json: bool,
    columns: Sequence[Column],
    title: str = "",
    next_page_token: str = "",
) -> None:
    if as_json:
        print_json(value)
        return
    print_table([value] if isinstance(value, Message) else value, columns, title)
    if next_page_token:
        stdout.print(f"more: --page-token {next_page_token}")


def print_fields(message: Message, title: str = "") -> None:
    """One message as a two-column table of its set fields (nested ones as JSON)."""
    table = Table(title=title or None, show_header=False, title_justify="left")
    table.add_column("field", style="bold")
    table.add_column("value", overflow="fold")
    for name, value in to_dict(message).items():
        table.add_row(name, value if isinstance(value, str) else json.dumps(value))
    stdout.print(table)
