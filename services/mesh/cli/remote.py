"""What every remote command shares: its flags, its session, and turning failures into exit codes."""

from __future__ import annotations

import argparse
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import grpc
from google.protobuf import json_format
from google.protobuf.message import Message

from services.mesh.cli.connection import CliError, Session, add_connection_arguments, open_session
from services.mesh.cli.remote_output import EXIT_USAGE, report_rpc_error, stderr

Handler = Callable[[Session, argparse.Namespace], int | None]
MessageType = TypeVar("MessageType", bound=Message)


def command(
    group: argparse._SubParsersAction, name: str, help_text: str, handler: Handler, *, json_flag: bool = True
) -> argparse.ArgumentParser:
    """A subcommand that opens a session to the mesh, runs `handler`, and maps errors to exit codes."""
    parser = group.add_parser(name, help=help_text, description=help_text)
    add_connection_arguments(parser)
    if json_flag:
        parser.add_argument("--json", action="store_true", help="print JSON (for scripts) instead of tables")
    parser.set_defaults(handler=lambda arguments: run_remote(handler, arguments))
    return parser


def run_remote(handler: Handler, arguments: argparse.Namespace) -> int:
    try:
        session = open_session(arguments)
    except CliError as error:
        stderr.print(f"error: {error}", markup=False)
        return EXIT_USAGE
    try:
        return int(handler(session, arguments) or 0)
    except grpc.RpcError as error:
        return report_rpc_error(error)
    except CliError as error:
        stderr.print(f"error: {error}", markup=False)
        return EXIT_USAGE
    except KeyboardInterrupt:
        stderr.print("interrupted")
        return 130
    finally:
        session.close()


def read_message(path: str, message_type: type[MessageType]) -> MessageType:
    """A message from a protobuf-JSON file (as `--json` prints it, or as examples/ holds)."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as error:
        raise CliError(f"cannot read {path}: {error}") from None
    try:
        return json_format.Parse(text, message_type())
    except json_format.ParseError as error:
        raise CliError(f"{path} is not a {message_type.DESCRIPTOR.name}: {error}") from None


def request_id() -> str:
    """A fresh idempotency key: a retried CLI call is a new intent, a retried RPC within it is not."""
    return uuid.uuid4().hex


def paging_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--page-size", type=int, default=0, help="items per page (server default when 0)")
    parser.add_argument("--page-token", default="", help="continue a listing")


def enum_value(enum_type: Any, prefix: str, text: str) -> int:
    """`production`-style user text to the enum number (`MODE_PRODUCTION`), or a CliError listing choices."""
    name = f"{prefix}{text.upper().replace('-', '_')}"
    try:
        return int(enum_type.Value(name))
    except ValueError:
        choices = [
            key.removeprefix(prefix).lower()
            for key in enum_type.DESCRIPTOR.values_by_name
            if not key.endswith("UNSPECIFIED")
        ]
        raise CliError(f"{text!r} is not one of: {', '.join(choices)}") from None
