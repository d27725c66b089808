"""The `alphintra` command line.

Offline, with no service running: `alphintra workflow validate|compile FILE` and
`alphintra backtest --data FILE --workflow FILE`. Against a local mesh: `alphintra run`
(as `make run`) and `alphintra health`. Against any mesh, through Envoy over TLS (see
`connection.py` for where the address and credentials come from): `login`, `whoami`,
`datasets`, `workflows`, `jobs`, `backtests`, `models`, `deployments`, `signals`, `webhooks`,
`paper`. Exit codes: 0 success, 1 the input was refused (its problems are printed), 2 the
command line itself was wrong; remote commands add 3-6 (`remote_output.py`).
"""

from __future__ import annotations

import argparse
import sys
from importlib.metadata import version

from services.mesh.cli import (
    mesh_commands,
    offline_commands,
    remote_data,
    remote_live,
    remote_workflows,
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="alphintra", description="Alphintra mesh command line")
    parser.add_argument("--version", action="version", version=f"alphintra {version('alphintra')}")
    commands = parser.add_subparsers(dest="command", required=True)
    mesh_commands.register(commands)
    offline_commands.register(commands)
    remote_workflows.register(commands)
    remote_data.register(commands)
    remote_live.register(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    arguments = build_parser().parse_args(argv)
    return int(arguments.handler(arguments))


if __name__ == "__main__":
    sys.exit(main())
