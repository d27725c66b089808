"""The `alphintra` CLI against the whole mesh behind Envoy, over TLS, as a person uses it."""

from __future__ import annotations

import json
import stat
import uuid
from pathlib import Path

import pytest

from alphintra.signalbus.v1 import signal_bus_service_pb2, signal_bus_service_pb2_grpc, signal_pb2
from services.mesh.cli import main

from .identity_helpers import ADMIN_EMAIL, ADMIN_PASSWORD

EXAMPLES = Path(__file__).parents[3] / "examples"


@pytest.fixture
def cli(mesh, tmp_path, monkeypatch, capsys):
    """Runs the CLI in-process against `mesh`, with its own profile; returns (exit code, stdout, stderr)."""
    monkeypatch.setenv("ALPHINTRA_CONFIG", str(tmp_path / "profile.json"))
    monkeypatch.setenv("ALPHINTRA_ADDRESS", f"localhost:{mesh.port}")
    monkeypatch.setenv("ALPHINTRA_CA", str(mesh.ca_certificate))
    monkeypatch.delenv("ALPHINTRA_TOKEN", raising=False)
    monkeypatch.delenv("ALPHINTRA_API_KEY", raising=False)

    def run(*arguments: str) -> tuple[int, str, str]:
        capsys.readouterr()
        code = main(list(arguments))
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    return run


def _sign_in(cli, monkeypatch) -> None:
    monkeypatch.setenv("ALPHINTRA_PASSWORD", ADMIN_PASSWORD)
    code, out, _ = cli("login", "--email", ADMIN_EMAIL)
    assert code == 0, out
    assert ADMIN_EMAIL in out


def test_login_saves_a_private_profile_and_whoami_uses_it(cli, monkeypatch, tmp_path):
    _sign_in(cli, monkeypatch)
    profile = tmp_path / "profile.json"
    assert stat.S_IMODE(profile.stat().st_mode) == 0o600
    assert json.loads(profile.read_text())["refresh_token"]
    code, out, _ = cli("whoami", "--json")
    assert code == 0
    assert json.loads(out)["user"]["email"] == ADMIN_EMAIL


def test_a_wrong_password_is_refused_with_the_denied_exit_code(cli, monkeypatch):
    monkeypatch.setenv("ALPHINTRA_PASSWORD", "not the password")
    code, _, err = cli("login", "--email", ADMIN_EMAIL)
    assert code == 4
    assert "unauthenticated" in err


def test_no_profile_means_sign_in_first(cli):
    code, _, err = cli("workflows", "list")
    assert code == 2
    assert "alphintra login" in err


def test_workflows_round_trip_through_the_cli(cli, monkeypatch):
    _sign_in(cli, monkeypatch)
    example = next(EXAMPLES.glob("*rsi*.json"))
    code, out, _ = cli("workflows", "create", str(example), "--name", "cli rsi", "--json")
    assert code == 0
    created = json.loads(out)
    code, out, _ = cli("workflows", "list", "--json")
    assert code == 0
    assert created["id"] in {workflow["id"] for workflow in json.loads(out)}
    code, out, _ = cli("workflows", "validate", created["id"])
    assert code == 0
    code, out, _ = cli("workflows", "compile", created["id"], "--json")
    assert code == 0
    assert json.loads(out)["indicators"]


def test_server_field_violations_are_printed_and_exit_code_says_refused(cli, monkeypatch, tmp_path):
    _sign_in(cli, monkeypatch)
    broken = tmp_path / "broken.json"
    broken.write_text(
        json.dumps({"displayName": "", "graph": {"nodes": [{"id": "n1", "type": "noSuchNode"}]}})
    )
    code, _, err = cli("workflows", "create", str(broken))
    assert code == 1
    assert "invalid argument" in err
    assert "workflow.display_name: is required" in err
    assert "request id" in err


def test_an_unknown_id_is_not_found(cli, monkeypatch):
    _sign_in(cli, monkeypatch)
    code, _, err = cli("workflows", "validate", "no-such-workflow")
    assert code == 3
    assert "not found" in err


def test_signals_tail_stops_at_its_limit_and_resumes_right_after_the_last_signal_shown(
    cli, monkeypatch, mesh, root
):
    """Five signals arrive in one batch; --limit 2 shows two, and resuming from the printed offset
    shows the third next: nothing between is skipped."""
    strategy = f"cli-tail-{uuid.uuid4().hex[:8]}"
    bus = signal_bus_service_pb2_grpc.SignalBusServiceStub(mesh.channel())
    for index in range(5):
        signal = signal_pb2.Signal(
            signal_id=f"{strategy}-{index}", strategy_id=strategy, symbol="BTC-USD",
            action=signal_pb2.ACTION_BUY, confidence=0.6,
        )  # fmt: skip
        bus.PublishSignal(
            signal_bus_service_pb2.PublishSignalRequest(signal=signal), metadata=root.metadata, timeout=10
        )
    _sign_in(cli, monkeypatch)

    def tail(offset: str, limit: int) -> tuple[list[str], str]:
        code, out, err = cli("signals", "tail", "--from-offset", offset, "--strategy", strategy,
                             "--limit", str(limit), "--json")  # fmt: skip
        assert code == 0
        resume = next(line.split()[-1] for line in err.splitlines() if line.startswith("resume with"))
        return [json.loads(line)["signal"]["signal_id"] for line in out.splitlines()], resume  # JSON lines

    first, resume = tail("0-0", 2)
    assert first == [f"{strategy}-0", f"{strategy}-1"]
    second, _ = tail(resume, 3)
    assert second == [f"{strategy}-2", f"{strategy}-3", f"{strategy}-4"]
