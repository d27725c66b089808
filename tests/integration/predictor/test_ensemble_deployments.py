"""Ensemble deployments end to end: three registered classifiers trained on one workflow's features (two
versions of one model, and another model reading the columns in another order), bars through the real
signal bus, a predictor restart in the middle.

Each bar's signal must be the combination the test computes on its own: every member's probability from a
plain onnxruntime session on the batch feature matrix (`compute_features`), combined by the documented
rule. Weighted average: the weighted mean of the "up" probabilities makes the action through the
thresholds, and the confidence is the probability of the side taken. Majority vote: each member votes the
action its own probability makes, weights counted as votes; the action with the most weight wins with its
share of the weight as the confidence, and a tie between the leaders is HOLD.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

from alphintra.common.v1 import bar_pb2
from alphintra.predictor.v1 import deployment_service_pb2 as deployments
from alphintra.signalbus.v1 import signal_pb2
from alphintra.trainer.v1 import model_registry_service_pb2 as registry
from services.core.modeling.synthetic import synthetic_bars
from services.core.strategy import get_template
from tests.integration.predictor.deployment_flow import (
    SYMBOL,
    bar_messages,
    compiled_workflow,
    run_across_restart,
    train,
)
from tests.integration.predictor.mesh_services import (
    ALICE,
    onnx_probabilities,
    register_version,
    running_peers,
    set_alias,
)

pytestmark = [pytest.mark.integration, pytest.mark.timeout(180)]

BAR_COUNT = 160
BUY_AT, SELL_AT = 0.55, 0.45
STOP_LOSS, TAKE_PROFIT, QUANTITY = 0.02, 0.05, 3.0
BUY, SELL, HOLD = signal_pb2.ACTION_BUY, signal_pb2.ACTION_SELL, signal_pb2.ACTION_HOLD


def action_of(score: float) -> int:
    return BUY if score >= BUY_AT else SELL if score <= SELL_AT else HOLD


def averaged(scores: np.ndarray, weights: list[float]) -> tuple[list[int], list[float]]:
    """Per row: the action of the weighted mean score, and the probability of the side it takes."""
    means = scores @ np.array(weights) / sum(weights)
    actions = [action_of(float(mean)) for mean in means]
    confidences = [
        float(mean) if action == BUY else 1.0 - float(mean) if action == SELL else 1.0 - abs(2.0 * mean - 1.0)
        for action, mean in zip(actions, means, strict=True)
    ]
    return actions, confidences


def voted(scores: np.ndarray, weights: list[float]) -> tuple[list[int], list[float], int]:
    """Per row: the action with the most (exactly counted) weight or HOLD on a tie, its weight share;
    and how many rows were ties."""
    exact = [Fraction(str(weight)) for weight in weights]
    actions, confidences, ties = [], [], 0
    for row in scores:
        votes: dict[int, Fraction] = {}
        for score, weight in zip(row, exact, strict=True):
            action = action_of(float(score))
            votes[action] = votes.get(action, Fraction(0)) + weight
        best = max(votes.values())
        leaders = [action for action, weight in votes.items() if weight == best]
        ties += len(leaders) > 1
        actions.append(leaders[0] if len(leaders) == 1 else HOLD)
        confidences.append(float(best / sum(exact)))
    return actions, confidences, ties


MEMBERS = (
    # (model, how it is referenced, training options)
    ("ens-trend", 1, {"trees": 15, "depth": 2, "seed": 3}),
    ("ens-trend", "production", {"trees": 40, "depth": 3, "seed": 5}),
    ("ens-swing", 1, {"trees": 25, "depth": 2, "seed": 7, "horizon": 3, "reverse": True}),
)
COMBINERS = {
    "weighted-average": (deployments.COMBINER_WEIGHTED_AVERAGE, [0.2, 0.3, 0.5]),
    # 0.1 + 0.2 ties 0.3 (not in binary floating point: the vote must count them as equal all the same)
    "majority-vote": (deployments.COMBINER_MAJORITY_VOTE, [0.1, 0.2, 0.3]),
}


async def registered_members(peers, spec, workflow, bars) -> list[tuple[bytes, np.ndarray]]:
    """Train and register every member (the trend model's second version is its production alias); each
    member's ONNX bytes and batch feature matrix, in its own column order."""
    lineage = registry.ModelLineage(workflow_id=workflow.id, workflow_version=workflow.version)
    trained = []
    for model_name, selector, given in MEMBERS:
        options = dict(given)
        columns = None
        if options.pop("reverse", False):
            columns = [f"{node.node_id}.{port}" for node in spec.indicators for port in node.outputs][::-1]
        onnx_bytes, matrix, names = train(spec, bars, columns=columns, **options)
        version = await register_version(peers.trainer, ALICE, model_name, onnx_bytes, names, lineage=lineage)
        if selector == "production":
            await set_alias(peers.trainer, ALICE, model_name, "production", version)
        else:
            assert version == selector
        trained.append((onnx_bytes, matrix))
    return trained


def ensemble(combiner: int, weights: list[float]) -> deployments.Ensemble:
    members = []
    for (model_name, selector, _), weight in zip(MEMBERS, weights, strict=True):
        reference = deployments.ModelReference(model_name=model_name)
        if selector == "production":
            reference.alias = selector
        else:
            reference.version = selector
        members.append(deployments.EnsembleMember(model=reference, weight=weight))
    return deployments.Ensemble(members=members, combiner=combiner)


@pytest.mark.parametrize(
    ("combiner_name", "lose_cache"),
    [(name, False) for name in sorted(COMBINERS)] + [(min(COMBINERS), True)],
    ids=lambda value: {True: "cache-lost", False: "cache-kept"}.get(value, value),
)
async def test_an_ensemble_deployment_combines_its_members_bar_for_bar_across_a_restart(
    combiner_name: str, lose_cache: bool, database_url, redis_url, namespace, tmp_path: Path
) -> None:
    combiner, weights = COMBINERS[combiner_name]
    bars = synthetic_bars(BAR_COUNT, seed=21, start="2024-03-01", frequency="h")
    messages = bar_messages(bars)
    half = len(messages) // 2  # run_across_restart restarts the predictor there
    async with running_peers(
        database_url, redis_url, namespace, tmp_path / "artifacts", bus=True, workflow=True
    ) as peers:
        workflow, spec = await compiled_workflow(peers.workflow, get_template("sma_crossover").graph, "sma")
        members = await registered_members(peers, spec, workflow, bars)
        request = deployments.Deployment(
            display_name=combiner_name,
            ensemble=ensemble(combiner, weights),
            symbols=[SYMBOL],
            timeframe=bar_pb2.TIMEFRAME_1_HOUR,
            thresholds=deployments.SignalThresholds(
                buy_threshold=BUY_AT, sell_threshold=SELL_AT, publish_hold=True
            ),
            risk=deployments.DeploymentRisk(
                quantity=QUANTITY, stop_loss_fraction=STOP_LOSS, take_profit_fraction=TAKE_PROFIT
            ),
        )
        run = await run_across_restart(peers, request, messages, combiner_name, lose_cache=lose_cache)
    created, final, latest, stopped, signals = run.created, run.final, run.latest, run.stopped, run.signals

    assert created.state == deployments.DEPLOYMENT_STATE_RUNNING
    assert final.statistics.bars_processed == BAR_COUNT
    assert final.statistics.bars_failed == 0
    assert stopped.state == deployments.DEPLOYMENT_STATE_STOPPED

    # one signal per bar on which every member's features are complete, none twice, none skipped
    complete = np.flatnonzero(np.all([~np.isnan(matrix).any(axis=1) for _, matrix in members], axis=0))
    assert {index < half for index in complete} == {True, False}
    times = [datetime.fromisoformat(signal.metadata["bar_time"]) for signal in signals]
    assert times == [messages[index].time.ToDatetime(tzinfo=UTC) for index in complete]
    assert final.statistics.signals_published == len(signals)

    # each member saw its own columns, as the batch pipeline computes them
    live_features = np.array(
        [[float(value) for value in json.loads(signal.metadata["features"])] for signal in signals]
    )
    np.testing.assert_array_equal(live_features, np.hstack([matrix[complete] for _, matrix in members]))
    assert {signal.metadata["model_versions"] for signal in signals} == {
        "ens-trend:1,ens-trend:2,ens-swing:1"
    }

    # the combination, computed here from onnxruntime's batch probabilities
    scores = np.column_stack(
        [onnx_probabilities(onnx_bytes, matrix[complete])[:, -1] for onnx_bytes, matrix in members]
    )
    live_scores = np.array([float(signal.metadata["score"]) for signal in signals])
    np.testing.assert_allclose(live_scores, scores @ np.array(weights) / sum(weights), rtol=0, atol=1e-7)
    if combiner == deployments.COMBINER_MAJORITY_VOTE:
        actions, confidences, ties = voted(scores, weights)
        assert ties > 0  # the bars hold ties, or the rule for them would go untested
    else:
        actions, confidences = averaged(scores, weights)
    assert {BUY, SELL, HOLD} <= set(actions)
    assert [signal.action for signal in signals] == actions
    np.testing.assert_allclose([signal.confidence for signal in signals], confidences, rtol=0, atol=1e-7)

    # the deployment's risk on every trade, from the bar's close; none on a HOLD
    closes = bars.close[complete]
    for signal, action, close in zip(signals, actions, closes, strict=True):
        assert signal.quantity == QUANTITY
        if action == HOLD:
            assert (signal.stop_loss, signal.take_profit) == (0.0, 0.0)
            continue
        side = 1.0 if action == BUY else -1.0
        assert signal.stop_loss == pytest.approx(close * (1.0 - side * STOP_LOSS), rel=1e-12)
        assert signal.take_profit == pytest.approx(close * (1.0 + side * TAKE_PROFIT), rel=1e-12)

    # the feature cache holds the last bar's vector (every column once)
    (symbol_features,) = latest.symbols
    assert symbol_features.ready
    assert list(symbol_features.feature_names) == ["sma_fast.value", "sma_slow.value"]
    np.testing.assert_array_equal(np.array(symbol_features.values), members[0][1][-1])
