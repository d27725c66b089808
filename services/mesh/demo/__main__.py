"""`python -m services.mesh.demo` (what `make demo` runs): the journey against the mesh `make run` started.

Signs in as the bootstrap admin (`.run/admin.json`) unless ALPHINTRA_API_KEY / a saved profile says
otherwise, through Envoy over TLS (address and CA from `.run/endpoints.json`).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import grpc

from services.mesh.cli.connection import CliError, add_connection_arguments, open_session
from services.mesh.cli.remote_output import report_rpc_error
from services.mesh.demo.journey import JourneyOptions, run_journey


def main() -> int:
    parser = argparse.ArgumentParser(prog="make demo", description=__doc__)
    add_connection_arguments(parser)
    parser.add_argument("--bars", type=int, default=1_500, help="bars in the demo dataset (daily)")
    parser.add_argument("--trials", type=int, default=20, help="optimisation trials")
    parser.add_argument("--report", default=".run/demo-report.html", help="where the backtest report goes")
    arguments = parser.parse_args()
    try:
        session = open_session(arguments)
        if not session.profile.refresh_token and not arguments.api_key:
            credentials = json.loads((Path(arguments.run_dir) / "admin.json").read_text())
            session.login(credentials["email"], credentials["password"])
    except (CliError, OSError, KeyError) as error:
        print(f"demo: cannot sign in ({error}); is `make run` running in another terminal?", file=sys.stderr)
        return 2
    options = JourneyOptions(bars=arguments.bars, optimisation_trials=arguments.trials,
                             report_path=Path(arguments.report))  # fmt: skip
    try:
        result = run_journey(session, options)
    except grpc.RpcError as error:
        return report_rpc_error(error)
    finally:
        session.close()
    assert result.account is not None
    print(f"\nDone: paper P&L {result.account.equity - result.account.initial_cash:+,.2f}; "
          f"report {options.report_path}")  # fmt: skip
    return 0


sys.exit(main())
