"""Strategy-spec deployments end to end: an example workflow compiled by the workflow service, deployed on a
bar topic of the real signal bus, a predictor restart in the middle.

Bar for bar, its signals must be what the domain package decides in batch on the same bars
(`evaluate`: BUY where the strategy enters long, SELL where it enters short, CLOSE where it exits, nothing
elsewhere), with the acting rule, and the stop-loss and take-profit at the spec's risk-node fractions from
the bar's close (or at the deployment's own, when it gives them). The backtest of the spec enters its
trades on exactly such signals.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest
from google.protobuf import json_format

from alphintra.common.v1 import bar_pb2
from alphintra.predictor.v1 import deployment_service_pb2 as deployments
from alphintra.signalbus.v1 import signal_pb2
from alphintra.workflow.v1 import workflow_pb2
from services.core.backtest.trades import Side
from services.core.features import compute_features, feature_columns
from services.core.modeling.synthetic import synthetic_bars
from services.core.strategy.evaluator import backtest, evaluate
from tests.integration.predictor.deployment_flow import (
    SYMBOL,
    bar_messages,
    compiled_workflow,
    run_across_restart,
)
from tests.integration.predictor.mesh_services import running_peers

pytestmark = [pytest.mark.integration, pytest.mark.timeout(180)]

EXAMPLES = Path(__file__).resolve().parents[3] / "examples"
BAR_COUNT = 160
BUY, SELL, CLOSE = signal_pb2.ACTION_BUY, signal_pb2.ACTION_SELL, signal_pb2.ACTION_CLOSE


def example_graph(name: str, **actions: str) -> workflow_pb2.WorkflowGraph:
    """The graph of examples/<name>.json, with the given action nodes' actions changed."""
    document = json.loads((EXAMPLES / f"{name}.json").read_text())
    graph = json_format.ParseDict(document["graph"], workflow_pb2.WorkflowGraph())
    for node in graph.nodes:
        if node.id in actions:
            node.parameters["action"].text = actions.pop(node.id)
    assert not actions, f"no such action nodes: {sorted(actions)}"
    return graph


CASES = {
    # buy the dip, close when overbought; the risk node's 5 % stop-loss and 10 % take-profit on every buy
    "rsi-risk-nodes": (example_graph("rsi_mean_reversion"), None),
    # buy on the fast SMA crossing above the slow one, reverse on crossing below: a reversal before any
    # entry decides nothing; the deployment's own risk overrides the spec's (none here)
    "sma-reverse": (
        example_graph("sma_crossover", sell="reverse"),
        deployments.DeploymentRisk(stop_loss_fraction=0.01, take_profit_fraction=0.03, quantity=2.0),
    ),
}


def batch_signals(spec, bars, risk: tuple[float, float]) -> list[tuple]:
    """(bar index, action, acting rule, stop-loss, take-profit) of every bar on which the batch evaluation
    of `spec` decides something."""
    evaluation = evaluate(spec, bars)
    intents = evaluation.intents
    stop_fraction, take_fraction = risk
    found = []
    for index in range(len(bars)):
        if intents.enter_long[index]:
            action, side = BUY, 1.0
        elif intents.enter_short[index]:
            action, side = SELL, -1.0
        elif intents.exit_long[index] or intents.exit_short[index]:
            action, side = CLOSE, 0.0
        else:
            continue
        close = float(bars.close[index])
        stop = close * (1.0 - side * stop_fraction) if side and stop_fraction else 0.0
        take = close * (1.0 + side * take_fraction) if side and take_fraction else 0.0
        rule = evaluation.rules[evaluation.acting_rule[index]].node_id
        found.append((index, action, rule, stop, take))
    return found


@pytest.mark.parametrize(
    ("case", "lose_cache"),
    [(case, False) for case in sorted(CASES)] + [("rsi-risk-nodes", True)],
    ids=lambda value: {True: "cache-lost", False: "cache-kept"}.get(value, value),
)
async def test_a_strategy_deployment_signals_what_the_batch_evaluation_decides_across_a_restart(
    case: str, lose_cache: bool, database_url, redis_url, namespace, tmp_path: Path
) -> None:
    graph, risk = CASES[case]
    bars = synthetic_bars(BAR_COUNT, seed=18, start="2023-01-01", frequency="D")
    messages = bar_messages(bars, timeframe=bar_pb2.TIMEFRAME_1_DAY)
    half = len(messages) // 2  # run_across_restart restarts the predictor there
    async with running_peers(
        database_url, redis_url, namespace, tmp_path / "artifacts", bus=True, workflow=True
    ) as peers:
        _, spec = await compiled_workflow(peers.workflow, graph, case)
        request = deployments.Deployment(
            display_name=case, strategy=spec, symbols=[SYMBOL], timeframe=bar_pb2.TIMEFRAME_1_DAY
        )
        if risk is not None:
            request.risk.CopyFrom(risk)
        run = await run_across_restart(peers, request, messages, case, lose_cache=lose_cache)
    created, final, latest, stopped, signals = run.created, run.final, run.latest, run.stopped, run.signals

    assert created.state == deployments.DEPLOYMENT_STATE_RUNNING
    # every bar counted once, also those a lost cache made the new predictor read again
    assert final.statistics.bars_processed == BAR_COUNT
    assert final.statistics.symbol_last_bar_times[SYMBOL] == messages[-1].time
    assert final.statistics.bars_failed == 0
    assert final.statistics.signals_published == len(signals)
    assert stopped.state == deployments.DEPLOYMENT_STATE_STOPPED

    fractions = (
        (risk.stop_loss_fraction, risk.take_profit_fraction)
        if risk is not None
        else (spec.risk.stop_loss_fraction, spec.risk.take_profit_fraction)
    )
    expected = batch_signals(spec, bars, fractions)
    # the case is worth its name: decisions on both sides of the restart, and more than one kind
    assert {index < half for index, *_ in expected} == {True, False}
    assert len({action for _, action, *_ in expected}) >= 2
    if risk is None:
        assert fractions == (0.05, 0.10)

    times = [datetime.fromisoformat(signal.metadata["bar_time"]) for signal in signals]
    assert times == [messages[index].time.ToDatetime(tzinfo=UTC) for index, *_ in expected]
    live = [(signal.action, signal.metadata["rule"]) for signal in signals]
    assert live == [(action, rule) for _, action, rule, _, _ in expected]
    for signal, (_, _, _, stop, take) in zip(signals, expected, strict=True):
        assert signal.stop_loss == pytest.approx(stop, rel=1e-12)
        assert signal.take_profit == pytest.approx(take, rel=1e-12)
        assert signal.confidence == 1.0
        assert signal.quantity == (risk.quantity if risk is not None else 0.0)
        assert signal.strategy_source == signal_pb2.STRATEGY_SOURCE_NO_CODE

    # the backtest (fills at the next open) enters each of its trades on a signal of that side
    signalled = {(index, action) for index, action, *_ in expected}
    trades = backtest(spec, bars).trades
    assert len(trades) > 0
    for entry_bar, side in zip(trades.entry_bar, trades.side, strict=True):
        assert (int(entry_bar) - 1, BUY if side == Side.LONG else SELL) in signalled

    # the feature cache holds the strategy's indicator outputs on the last bar
    matrix = compute_features(spec, bars, feature_columns(spec))
    (symbol_features,) = latest.symbols
    assert list(symbol_features.feature_names) == list(matrix.names)
    np.testing.assert_array_equal(np.array(symbol_features.values), matrix.values[-1])
