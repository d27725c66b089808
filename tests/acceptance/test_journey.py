"""The journey of `make demo`, as a test: the whole mesh behind a real Envoy, over TLS, a small dataset.

Every promise on the way is checked: the backtest has trades and a report; the optimisation wrote a
new workflow version and reports out-of-sample; the trained model's ONNX equals the native model;
the deployment's signals reach the subscriber and the webhook (signatures valid) and the paper account.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import pytest

from services.mesh.cli.connection import Profile, Session
from services.mesh.demo.journey import JourneyOptions, run_journey
from tests.integration.gateway.front_door import mesh_behind_envoy, private_database
from tests.integration.gateway.identity_helpers import ADMIN_EMAIL, ADMIN_PASSWORD

pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.timeout(600)]


@pytest.fixture(scope="module")
def journey_mesh(postgres_server_url, redis_server_url):
    run_dir = Path(tempfile.mkdtemp(prefix="alphintra-journey-"))
    try:
        with (
            private_database(postgres_server_url) as database_url,
            mesh_behind_envoy(run_dir, database_url, redis_server_url) as mesh,
        ):
            yield mesh
    finally:
        shutil.rmtree(run_dir, ignore_errors=True)


def test_the_whole_journey_twice_against_the_same_mesh(journey_mesh, tmp_path):
    """Twice, as someone running `make demo` again against the same `make run` would: the second run
    meets the first one's dataset, models, deployment and bars in the mesh, and must trade again."""
    address, ca_certificate = f"localhost:{journey_mesh.port}", str(journey_mesh.ca_certificate)
    profile = Profile(address=address, ca_certificate=ca_certificate)
    for run in ("first", "second"):
        session = Session(profile, save=False)
        session.login(ADMIN_EMAIL, ADMIN_PASSWORD)
        options = JourneyOptions(bars=900, replay_bars=80, optimisation_trials=6,
                                 report_path=tmp_path / f"{run}.html", quiet=True)  # fmt: skip
        try:
            result = run_journey(session, options)
        finally:
            session.close()
        _check(result, options, run)


def _check(result, options: JourneyOptions, run: str) -> None:
    assert result.dataset_id
    assert result.backtest_metrics is not None
    assert result.backtest_metrics.trade_count > 0
    assert b"<html" in options.report_path.read_bytes()[:2000].lower()
    assert result.optimisation is not None
    assert len(result.optimisation.trials) == options.optimisation_trials
    assert result.optimisation.HasField("out_of_sample_metrics")
    assert result.optimisation.new_workflow_version >= 2
    assert result.training is not None
    assert result.training.model_version >= 1
    assert result.training.onnx_parity_max_error <= 1e-5
    assert result.deployment_id
    assert result.signals_seen, f"{run} run: the deployment published no signal on the replayed bars"
    assert result.webhook_deliveries == len(result.signals_seen)
    assert result.webhook_signatures_valid
    assert result.account is not None
    assert result.trades, f"{run} run: the paper account filled none of the deployment's signals"
