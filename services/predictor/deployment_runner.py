"""One running deployment: bars in from the signal bus, features and predictions, signals out.

Per bar: every symbol's streaming pipelines consume it (the feature code the trainer ran in
batch); once the deployment is live and the features are complete, each model scores the vector
through the predictor's own repository and batcher (or the strategy evaluates the bar), the
signal policy makes the action, and the signal goes to the bus as the owner's. Signal ids are
derived from deployment, symbol and bar time, so a bar processed twice (a reconnect, a restart)
publishes its signal once.

Warm-up: without a cached state the deployment reads the topic's retained history from its
start and publishes nothing until it has caught up (the bus's first heartbeat), except for the
bars after the last one it had processed per symbol (kept with its statistics in PostgreSQL): a
restarted deployment whose cache was lost still signals the bars that arrived while it was down
or warming up, once each (signal ids are per bar). With a cached state for every symbol (the
model pipelines', or the strategy evaluator's) it restores it and resumes right after the bar
it includes, live.

A batch of bars and its checkpoint go together: the bars, their signals and statistics, then the
state and the offset after them. Halting waits for the batch in progress (`pause`), so a restarted
deployment neither processes a bar twice nor counts it twice.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import numpy as np

from alphintra.common.v1 import bar_pb2
from alphintra.predictor.v1 import deployment_service_pb2 as messages
from alphintra.signalbus.v1 import signal_pb2
from alphintra.signalbus.v1.signal_bus_service_pb2 import BarRecord
from services.core.errors import AlphintraError
from services.core.features import StreamingFeatures, feature_columns
from services.core.features.state_codec import (
    decode_evaluator_state,
    decode_state,
    encode_evaluator_state,
    encode_state,
)
from services.core.strategy.streaming import StreamingEvaluator
from services.predictor import signal_policy as policy
from services.predictor.app import Predictor
from services.predictor.deployment_plan import ModelMember
from services.predictor.deployment_store import DeploymentStore
from services.predictor.feature_cache import FeatureCache, LatestFeatures, SymbolCheckpoint
from services.predictor.onnx_model import ModelKind
from services.predictor.peer_clients import SignalBusClient

BAR_LENGTH = {
    bar_pb2.TIMEFRAME_1_MINUTE: timedelta(minutes=1),
    bar_pb2.TIMEFRAME_5_MINUTES: timedelta(minutes=5),
    bar_pb2.TIMEFRAME_15_MINUTES: timedelta(minutes=15),
    bar_pb2.TIMEFRAME_30_MINUTES: timedelta(minutes=30),
    bar_pb2.TIMEFRAME_1_HOUR: timedelta(hours=1),
    bar_pb2.TIMEFRAME_4_HOURS: timedelta(hours=4),
    bar_pb2.TIMEFRAME_1_DAY: timedelta(days=1),
    bar_pb2.TIMEFRAME_1_WEEK: timedelta(weeks=1),
}

log = logging.getLogger("alphintra.predictor.deployments")

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
LATENCY_WINDOW = 1000


@dataclass
class SymbolRun:
    """One symbol's moving parts: model pipelines (one per member) or the strategy evaluator."""

    gate: policy.SymbolGate
    pipelines: list[StreamingFeatures]
    evaluator: StreamingEvaluator | None = None
    # the strategy's indicator outputs, for the feature cache
    strategy_features: StreamingFeatures | None = None
    latest: LatestFeatures | None = None

    def states(self) -> tuple[bytes, ...]:
        """What a checkpoint keeps: every model pipeline's state, or the evaluator's (then its features')."""
        if self.evaluator is None:
            return tuple(encode_state(pipeline.snapshot()) for pipeline in self.pipelines)
        states = [encode_evaluator_state(self.evaluator.snapshot())]
        if self.strategy_features is not None:
            states.append(encode_state(self.strategy_features.snapshot()))
        return tuple(states)

    def restore(self, states: tuple[bytes, ...]) -> None:
        """Continue from what `states` wrote; ValueError when they are not this run's (a part may be
        restored by then: start the run afresh)."""
        if self.evaluator is None:
            if len(states) != len(self.pipelines):
                raise ValueError(f"{len(states)} cached states for {len(self.pipelines)} models")
            for pipeline, state in zip(self.pipelines, states, strict=True):
                pipeline.restore(decode_state(state))
            return
        features = [] if self.strategy_features is None else [self.strategy_features]
        if len(states) != 1 + len(features):
            raise ValueError(f"{len(states)} cached states for a strategy (an older predictor's cache?)")
        self.evaluator.restore(decode_evaluator_state(states[0]))
        for pipeline, state in zip(features, states[1:], strict=True):
            pipeline.restore(decode_state(state))


@dataclass
class Statistics:
    bars_processed: int = 0
    signals_published: int = 0
    bars_failed: int = 0
    last_bar_time: datetime | None = None
    last_signal_time: datetime | None = None
    latencies: deque[float] = field(default_factory=lambda: deque(maxlen=LATENCY_WINDOW))
    # the open time of the last bar processed, per symbol
    symbol_last_bar_times: dict[str, datetime] = field(default_factory=dict)

    def message(self) -> messages.DeploymentStatistics:
        statistics = messages.DeploymentStatistics(
            bars_processed=self.bars_processed,
            signals_published=self.signals_published,
            bars_failed=self.bars_failed,
        )
        if self.last_bar_time is not None:
            statistics.last_bar_time.FromDatetime(self.last_bar_time)
        if self.last_signal_time is not None:
            statistics.last_signal_time.FromDatetime(self.last_signal_time)
        if self.latencies:
            statistics.latency_p95_milliseconds = float(np.percentile(np.array(self.latencies), 95)) * 1000.0
        for symbol, bar_time in self.symbol_last_bar_times.items():
            statistics.symbol_last_bar_times[symbol].FromDatetime(bar_time)
        return statistics

    @classmethod
    def restored(cls, saved: messages.DeploymentStatistics) -> Statistics:
        statistics = cls(saved.bars_processed, saved.signals_published, saved.bars_failed)
        if saved.HasField("last_bar_time"):
            statistics.last_bar_time = saved.last_bar_time.ToDatetime(tzinfo=UTC)
        if saved.HasField("last_signal_time"):
            statistics.last_signal_time = saved.last_signal_time.ToDatetime(tzinfo=UTC)
        statistics.symbol_last_bar_times = {
            symbol: stamp.ToDatetime(tzinfo=UTC) for symbol, stamp in saved.symbol_last_bar_times.items()
        }
        return statistics


class DeploymentRunner:
    def __init__(
        self,
        deployment: messages.Deployment,
        members: list[ModelMember],
        *,
        predictor: Predictor,
        bus: SignalBusClient,
        cache: FeatureCache,
        store: DeploymentStore,
        retry_seconds: float,
        clock: Callable[[], datetime],
    ) -> None:
        self.deployment = deployment
        self.members = members
        self._predictor = predictor
        self._bus = bus
        self._cache = cache
        self._store = store
        self._retry_seconds = retry_seconds
        self._clock = clock
        self.statistics = Statistics.restored(deployment.statistics)
        # bars up to these were processed before this runner started: they warm up, the rest signal
        self._processed_through = dict(self.statistics.symbol_last_bar_times)
        self.live = asyncio.Event()
        # held while a batch of bars and its checkpoint are in progress
        self._batch = asyncio.Lock()
        self.failure: AlphintraError | None = None
        self._offset = ""
        self._strategy_id = deployment.strategy_id or f"deployments/{deployment.id}"
        self._thresholds, self._risk = _policy(deployment)
        self._symbols = {symbol: self._new_symbol() for symbol in deployment.symbols}

    @property
    def owner_id(self) -> str:
        return self.deployment.owner_id

    def _new_symbol(self) -> SymbolRun:
        gate = policy.SymbolGate(self._thresholds, self._risk)
        if self.deployment.WhichOneof("source") == "strategy":
            spec = self.deployment.strategy
            features = StreamingFeatures(spec, feature_columns(spec)) if spec.indicators else None
            return SymbolRun(gate, [], evaluator=StreamingEvaluator(spec), strategy_features=features)
        return SymbolRun(gate, [member.pipeline() for member in self.members])

    # -- the loop --------------------------------------------------------------------------

    async def restore(self) -> bool:
        """Restore every symbol's cached state; False (nothing changed) unless all are there and fit."""
        checkpoints = await self._cache.checkpoints(self.deployment.id)
        if set(checkpoints) != set(self._symbols):
            return False
        try:
            for symbol, run in self._symbols.items():
                run.restore(checkpoints[symbol].states)
        except ValueError as error:
            log.warning(
                "deployment %s: cached state unusable (%s); warming up again", self.deployment.id, error
            )
            self._symbols = {symbol: self._new_symbol() for symbol in self.deployment.symbols}
            return False
        self._offset = next(iter(checkpoints.values())).offset
        return True

    async def run(self) -> None:
        if await self.restore():
            log.info("deployment %s resumes from its cached state", self.deployment.id)
            self.live.set()
        while True:
            try:
                await self._follow()
            except AlphintraError as error:
                log.warning(
                    "deployment %s: bar stream failed (%s); resubscribing", self.deployment.id, error.message
                )
            await asyncio.sleep(self._retry_seconds)

    async def _follow(self) -> None:
        bars = self._bus.bars(
            self.owner_id,
            list(self.deployment.symbols),
            self.deployment.timeframe,
            from_offset=self._offset,
            from_time=None if self._offset else EPOCH,
        )
        async for batch in bars:
            if not batch.bars:
                self.live.set()
                continue
            async with self._batch:
                for record in batch.bars:
                    await self._on_bar(record, time.perf_counter())
                self._offset = batch.bars[-1].offset
                await self._checkpoint()

    async def pause(self, timeout_seconds: float) -> bool:
        """Wait until no batch is in progress and keep the next from starting (the runner is about to be
        cancelled); False when the batch in progress took longer than `timeout_seconds`."""
        try:
            await asyncio.wait_for(self._batch.acquire(), timeout_seconds)
        except TimeoutError:
            return False
        return True

    async def _checkpoint(self) -> None:
        checkpoints = {
            symbol: SymbolCheckpoint(self._offset, run.states()) for symbol, run in self._symbols.items()
        }
        latest = [run.latest for run in self._symbols.values() if run.latest is not None]
        await self._cache.save(self.deployment.id, latest, checkpoints)
        await self._store.save_statistics(self.deployment.id, self.statistics.message())

    # -- one bar ---------------------------------------------------------------------------

    async def _on_bar(self, record: BarRecord, arrived: float) -> None:
        bar = record.bar
        run = self._symbols.get(bar.symbol)
        if run is None:
            return
        bar_time = bar.time.ToDatetime(tzinfo=UTC)
        run.gate.bar()
        seen = self._processed_through.get(bar.symbol)
        # a bar processed before the restart (counted, signalled) only warms the state up again
        replayed = seen is not None and bar_time <= seen
        signalling = not replayed and (self.live.is_set() or seen is not None)
        try:
            if run.evaluator is not None:
                signal = self._evaluate(run, bar, bar_time, signalling)
            else:
                signal = await self._predict(run, bar, bar_time, signalling)
            if signal is not None:
                await self._bus.publish(self.owner_id, signal)
                run.gate.published(signal.action)
                self.statistics.signals_published += 1
                self.statistics.last_signal_time = bar_time
                self.statistics.latencies.append(time.perf_counter() - arrived)
        except AlphintraError as error:
            self.statistics.bars_failed += 1
            log.warning(
                "deployment %s: bar %s %s failed: %s", self.deployment.id, bar.symbol, bar_time, error.message
            )
        if replayed:
            return
        # counted once done: whoever reads N bars processed reads their signals counted too
        self.statistics.bars_processed += 1
        self.statistics.last_bar_time = bar_time
        self.statistics.symbol_last_bar_times[bar.symbol] = bar_time

    async def _predict(
        self, run: SymbolRun, bar, bar_time: datetime, signalling: bool
    ) -> signal_pb2.Signal | None:
        vectors = [
            pipeline.update_fields(bar.open, bar.high, bar.low, bar.close, bar.volume)
            for pipeline in run.pipelines
        ]
        names, values = _union(run.pipelines)
        run.latest = LatestFeatures(bar.symbol, bar_time, names, values)
        if not signalling or any(vector is None for vector in vectors):
            return None
        scores, versions = [], []
        for member, vector in zip(self.members, vectors, strict=True):
            rows = np.asarray(vector, dtype=np.float32).reshape(1, -1)
            prediction = await self._predictor.start_served(
                member.key, member.version, member.alias, self.deployment.id, rows
            ).result()
            scores.append(_score(prediction))
            versions.append(f"{member.key.partition('/')[2]}:{prediction.served.version}")
        decision, score = self._combine(scores)
        if not run.gate.admits(decision.action):
            return None
        signal = self._signal(bar, bar_time, decision, signal_pb2.STRATEGY_SOURCE_MODEL)
        signal.metadata["score"] = repr(score)
        signal.metadata["model_versions"] = ",".join(versions)
        signal.metadata["features"] = json.dumps(
            [repr(float(value)) for vector in vectors for value in vector]
        )
        return signal

    def _combine(self, scores: list[float]) -> tuple[policy.Decision, float]:
        weights = [member.weight for member in self.members]
        probability = all(member.probability for member in self.members)
        ensemble = self.deployment.ensemble
        if (
            self.deployment.WhichOneof("source") == "ensemble"
            and ensemble.combiner == messages.COMBINER_MAJORITY_VOTE
        ):
            decisions = [policy.decide(score, self._thresholds, probability=probability) for score in scores]
            return policy.majority_vote(decisions, weights), policy.weighted_average(scores, weights)
        score = policy.weighted_average(scores, weights)
        return policy.decide(score, self._thresholds, probability=probability), score

    def _evaluate(
        self, run: SymbolRun, bar, bar_time: datetime, signalling: bool
    ) -> signal_pb2.Signal | None:
        assert run.evaluator is not None
        decision = run.evaluator.update(bar.open, bar.high, bar.low, bar.close, bar.volume)
        if run.strategy_features is not None:
            run.strategy_features.update_fields(bar.open, bar.high, bar.low, bar.close, bar.volume)
            names, values = _union([run.strategy_features])
            run.latest = LatestFeatures(bar.symbol, bar_time, names, values)
        if not signalling or not decision.acting_rule:
            return None
        if decision.enter_long:
            action = policy.BUY
        elif decision.enter_short:
            action = policy.SELL
        elif decision.exit_long or decision.exit_short:
            action = policy.CLOSE
        else:  # a reversal before any entry: the backtest does nothing on this bar, nor does the signal
            return None
        if not run.gate.admits(action):
            return None
        signal = self._signal(bar, bar_time, policy.Decision(action, 1.0), signal_pb2.STRATEGY_SOURCE_NO_CODE)
        signal.metadata["rule"] = decision.acting_rule
        return signal

    def _signal(self, bar, bar_time: datetime, decision: policy.Decision, source: int) -> signal_pb2.Signal:
        stop, take = policy.risk_prices(decision.action, bar.close, self._risk)
        signal = signal_pb2.Signal(
            signal_id=f"{self.deployment.id}:{bar.symbol}:{int(bar_time.timestamp())}",
            strategy_id=self._strategy_id,
            strategy_source=source,
            symbol=bar.symbol,
            action=decision.action,
            confidence=decision.confidence,
            quantity=self._risk.quantity,
            stop_loss=stop,
            take_profit=take,
        )
        # decided on the bar's close: stamped at its end, so a paper account (or any consumer that
        # fills at the next bar) can never fill on the bar the decision read
        signal.timestamp.FromDatetime(bar_time + BAR_LENGTH.get(self.deployment.timeframe, timedelta(0)))
        signal.metadata["deployment_id"] = self.deployment.id
        signal.metadata["bar_time"] = bar_time.isoformat()
        signal.metadata["timeframe"] = bar_pb2.Timeframe.Name(self.deployment.timeframe).removeprefix(
            "TIMEFRAME_"
        )
        return signal

    def latest_features(self) -> list[LatestFeatures]:
        return [run.latest for _, run in sorted(self._symbols.items()) if run.latest is not None]


def _union(pipelines: list[StreamingFeatures]) -> tuple[tuple[str, ...], tuple[float, ...]]:
    """Every pipeline's latest values by column name (a name shared by members appears once)."""
    found: dict[str, float] = {}
    for pipeline in pipelines:
        snapshot = pipeline.latest_values()
        for name, value in zip(pipeline.names, snapshot, strict=True):
            found.setdefault(name, float(value))
    return tuple(found), tuple(found.values())


def _score(prediction) -> float:
    signature = prediction.served.signature
    outputs = dict(zip((output.name for output in signature.outputs), prediction.outputs, strict=True))
    if signature.kind is ModelKind.CLASSIFIER:
        return float(outputs[signature.probability_output][0, -1])
    return float(np.ravel(outputs[signature.value_output])[0])


def _policy(deployment: messages.Deployment) -> tuple[policy.Thresholds, policy.Risk]:
    thresholds = policy.Thresholds()
    if deployment.HasField("thresholds"):
        given = deployment.thresholds
        thresholds = policy.Thresholds(
            given.buy_threshold, given.sell_threshold, given.publish_hold, given.suppress_repeats
        )
    risk = deployment.risk
    stop, take = risk.stop_loss_fraction, risk.take_profit_fraction
    if deployment.WhichOneof("source") == "strategy" and not (stop or take):
        stop = deployment.strategy.risk.stop_loss_fraction
        take = deployment.strategy.risk.take_profit_fraction
    return thresholds, policy.Risk(risk.quantity, stop, take, risk.cooldown_bars)
