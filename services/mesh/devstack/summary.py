"""What a developer needs once the mesh is up: every address, where the logs are, how to stop.

The same facts go to the terminal (a table) and to `.run/endpoints.json` (for the CLI,
scripts and tests), so nobody has to scrape a log for a port.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from services.mesh.devstack.service_process import ServiceEndpoint


@dataclass(frozen=True, slots=True)
class MeshAddresses:
    supervisor_pid: int
    run_dir: Path
    envoy_address: str
    envoy_admin_port: int
    services: Sequence[ServiceEndpoint]
    database_url: str
    redis_url: str
    # what → its log file: every service, "envoy", and the embedded "postgres" / "redis"
    logs: Mapping[str, Path]
    # the descriptor set Envoy transcodes REST/JSON with, if one was built
    descriptor_path: Path | None
    # the local CA that signed Envoy's certificate: what clients trust
    ca_certificate: Path | None = None
    # the bootstrap admin, and the file holding their password (None: it came from the environment)
    admin_email: str = ""
    admin_credentials: Path | None = None
    # where Envoy and the services send their spans, in words
    traces: str = "off"


def endpoints_document(mesh: MeshAddresses) -> dict[str, Any]:
    """The content of endpoints.json; passwords in external URLs are masked."""
    return {
        "pid": mesh.supervisor_pid,
        "envoy": {
            "address": mesh.envoy_address,
            "url": f"https://localhost:{mesh.envoy_address.rsplit(':', 1)[1]}",
            "admin": f"http://127.0.0.1:{mesh.envoy_admin_port}",
            "rest": mesh.descriptor_path is not None,
            "ca_certificate": str(mesh.ca_certificate) if mesh.ca_certificate else None,
        },
        "admin": {
            "email": mesh.admin_email,
            "credentials": str(mesh.admin_credentials) if mesh.admin_credentials else None,
        },
        "services": {
            endpoint.name: {
                "grpc": endpoint.address,
                "metrics": f"http://{endpoint.host}:{endpoint.metrics_port}/metrics",
                "log": str(mesh.logs[endpoint.name]),
            }
            for endpoint in mesh.services
        },
        "database_url": redact(mesh.database_url),
        "redis_url": redact(mesh.redis_url),
        "logs": {name: str(path) for name, path in mesh.logs.items()},
        "traces": mesh.traces,
    }


def write_endpoints(mesh: MeshAddresses, path: Path) -> None:
    temporary = path.with_suffix(".tmp")
    temporary.write_text(json.dumps(endpoints_document(mesh), indent=2) + "\n")
    temporary.replace(path)


def print_summary(mesh: MeshAddresses, console: Console) -> None:
    table = Table(title="Alphintra mesh is up", title_justify="left")
    table.add_column("what", no_wrap=True)
    table.add_column("address", overflow="fold")
    table.add_column("log", overflow="fold")
    table.add_row("[bold]envoy (front door)[/]", f"[bold]{mesh.envoy_address}[/]", _path(mesh.logs["envoy"]))
    table.add_row("envoy admin", f"http://127.0.0.1:{mesh.envoy_admin_port}", "")
    for endpoint in mesh.services:
        table.add_row(endpoint.name, endpoint.address, _path(mesh.logs[endpoint.name]))
        table.add_row(
            f"  {endpoint.name} metrics", f"http://{endpoint.host}:{endpoint.metrics_port}/metrics", ""
        )
    table.add_row("postgresql", escape(redact(mesh.database_url)), _path(mesh.logs.get("postgres")))
    table.add_row("redis", escape(redact(mesh.redis_url)), _path(mesh.logs.get("redis")))
    table.add_row(
        "traces",
        escape(mesh.traces),
        _path(mesh.logs.get("trace collector")) if mesh.logs.get("trace collector") else "",
    )
    console.print(table)
    for line in _how_to_lines(mesh):
        console.print(escape(line), highlight=False, soft_wrap=True)


def _path(path: Path | None) -> str:
    """Relative to the working directory when under it: shorter, and still what to type."""
    if path is None:
        return "(external)"
    try:
        shown = path.relative_to(Path.cwd())
    except ValueError:
        shown = path
    return escape(str(shown))


def _how_to_lines(mesh: MeshAddresses) -> list[str]:
    """Signing in and calling through Envoy over TLS, with the commands spelled out."""
    port = mesh.envoy_address.rsplit(":", 1)[1]
    ca = _path(mesh.ca_certificate) if mesh.ca_certificate else "<ca.crt>"
    password = (
        f"the password in {_path(mesh.admin_credentials)}"
        if mesh.admin_credentials
        else "ALPHINTRA_GATEWAY__BOOTSTRAP_ADMIN_PASSWORD"
    )
    protoset = f"-protoset {mesh.descriptor_path} " if mesh.descriptor_path is not None else ""
    return [
        f"Every address is also in {mesh.run_dir / 'endpoints.json'}; logs are in {mesh.run_dir / 'logs'}.",
        f"Envoy serves TLS signed by a local CA ({ca}).",
        f"Sign in as {mesh.admin_email or 'the admin'} with {password}, then call with the token:",
        f"  TOKEN=$(curl -s --http1.1 --cacert {ca} https://localhost:{port}/v1/auth:login "
        f'-d \'{{"username": "{mesh.admin_email}", "password": "..."}}\' | jq -r .tokens.accessToken)',
        f'  curl --http1.1 --cacert {ca} -H "authorization: Bearer $TOKEN" https://localhost:{port}/v1/auth/whoami',
        f"  grpcurl -cacert {ca} {protoset}-H \"authorization: Bearer $TOKEN\" -d '{{}}' localhost:{port} "
        "alphintra.workflow.v1.WorkflowService/ListWorkflows",
        "Try it: `make demo` in another terminal walks the whole journey (dataset, workflow, backtest,",
        "  optimisation, a trained model promoted and deployed, signals, a webhook, a paper account's P&L);",
        f"  the CLI: `alphintra login --email {mesh.admin_email or '<admin>'}`, then `alphintra --help`.",
        f"Stop with Ctrl-C here, or `kill {mesh.supervisor_pid}`.",
    ]


def redact(url: str) -> str:
    """The URL with its password, if any, replaced by ***."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    credentials, _, host = parts.netloc.rpartition("@")
    user = credentials.split(":", 1)[0]
    return urlunsplit(parts._replace(netloc=f"{user}:***@{host}"))
