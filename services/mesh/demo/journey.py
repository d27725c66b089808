"""The whole journey against a running mesh, through Envoy over TLS, each step saying what it did.

sign in -> upload a dataset -> create the RSI mean-reversion workflow from examples/ -> validate and
compile -> STRATEGY backtest with its HTML report -> MODEL mode optimisation (watched live) ->
MODEL mode LightGBM training, ONNX export, registration -> promote to `production` -> deploy it on
a replay of bars -> subscribe to its signals, and a webhook -> a paper account fills them -> P&L.

`run_journey` returns what each step produced, so the acceptance test can check it; `make demo`
runs it with a bigger dataset and prints as it goes.
"""

from __future__ import annotations

import contextlib
import hashlib
import http.server
import io
import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import grpc
import pandas as pd
from google.protobuf import json_format
from rich.console import Console

from alphintra.common.v1 import bar_pb2
from alphintra.predictor.v1 import deployment_service_pb2 as deployments
from alphintra.predictor.v1 import deployment_service_pb2_grpc as deployments_grpc
from alphintra.signalbus.v1 import paper_trading_service_pb2 as paper
from alphintra.signalbus.v1 import paper_trading_service_pb2_grpc as paper_grpc
from alphintra.signalbus.v1 import signal_bus_service_pb2 as bus
from alphintra.signalbus.v1 import signal_bus_service_pb2_grpc as bus_grpc
from alphintra.signalbus.v1 import signal_pb2
from alphintra.signalbus.v1 import webhook_service_pb2 as webhooks
from alphintra.signalbus.v1 import webhook_service_pb2_grpc as webhooks_grpc
from alphintra.strategy.v1 import backtest_pb2, optimization_pb2, training_pb2
from alphintra.trainer.v1 import backtest_service_pb2 as backtests
from alphintra.trainer.v1 import backtest_service_pb2_grpc as backtests_grpc
from alphintra.trainer.v1 import dataset_service_pb2 as datasets
from alphintra.trainer.v1 import dataset_service_pb2_grpc as datasets_grpc
from alphintra.trainer.v1 import model_registry_service_pb2 as registry
from alphintra.trainer.v1 import model_registry_service_pb2_grpc as registry_grpc
from alphintra.workflow.v1 import execution_pb2, workflow_pb2
from alphintra.workflow.v1 import workflow_service_pb2 as workflows
from alphintra.workflow.v1 import workflow_service_pb2_grpc as workflows_grpc
from services.core.datasets.generator import SyntheticSpec, generate
from services.core.signals.webhook_signature import SIGNATURE_HEADER, verify
from services.mesh.cli.connection import Session
from services.mesh.cli.remote_workflows import job_events, watch_job

EXAMPLES = Path(__file__).resolve().parents[3] / "examples"
SYMBOL = "DEMO-USD"
CHUNK_BYTES = 256 * 1024
DAY_NS = 86_400 * 1_000_000_000
# how long the journey waits for webhook deliveries and paper fills to catch up with the signals
DELIVERY_WAIT_SECONDS = 60.0


@dataclass
class JourneyOptions:
    bars: int = 1_500
    replay_bars: int = 120
    optimisation_trials: int = 12
    seed: int = 11
    report_path: Path = Path("demo-report.html")
    quiet: bool = False


@dataclass
class JourneyResult:
    dataset_id: str = ""
    workflow_id: str = ""
    backtest_id: str = ""
    backtest_metrics: backtest_pb2.BacktestMetrics | None = None
    optimisation: optimization_pb2.OptimizationResult | None = None
    training: training_pb2.TrainingResult | None = None
    model_name: str = ""
    # the replay's symbol: bar topics are shared market data and a bar published twice is a
    # duplicate, so each run replays onto a symbol of its own (a second `make demo` against the
    # same mesh would otherwise replay only duplicates, and its deployment would see no bar)
    live_symbol: str = ""
    deployment_id: str = ""
    signals_seen: list[signal_pb2.Signal] = field(default_factory=list)
    webhook_deliveries: int = 0
    webhook_signatures_valid: bool = False
    account: paper.PaperAccount | None = None
    trades: list[paper.PaperTrade] = field(default_factory=list)


class Narrator:
    def __init__(self, quiet: bool) -> None:
        self.console = Console(quiet=quiet, highlight=False)
        self.number = 0

    @contextlib.contextmanager
    def step(self, title: str) -> Iterator[None]:
        self.number += 1
        self.console.rule(f"[bold]{self.number}. {title}", align="left")
        started = time.monotonic()
        yield
        self.console.print(f"[dim]   ({time.monotonic() - started:.1f}s)[/]")

    def say(self, text: str) -> None:
        self.console.print(f"   {text}", markup=False)


def demo_bars(options: JourneyOptions) -> pd.DataFrame:
    """A realistic daily series from the platform's seeded generator (regimes, volatility clustering)."""
    bars = generate(
        SyntheticSpec(seed=options.seed, bar_count=options.bars, interval_ns=DAY_NS, symbol=SYMBOL)
    )
    return pd.DataFrame(
        {
            "timestamp": pd.to_datetime(bars.timestamps, unit="ns", utc=True),
            "open": bars.open,
            "high": bars.high,
            "low": bars.low,
            "close": bars.close,
            "volume": bars.volume,
        }
    )


def _dataset_csv(options: JourneyOptions) -> bytes:
    """The series as the CSV file a trader would upload."""
    buffer = io.StringIO()
    demo_bars(options).to_csv(buffer, index=False, date_format="%Y-%m-%dT%H:%M:%SZ")
    return buffer.getvalue().encode()


class WebhookReceiver:
    """A local HTTPS-less receiver (loopback) that checks each delivery's HMAC signature."""

    def __init__(self) -> None:
        self.secret = ""
        self.deliveries: list[dict[str, Any]] = []
        self.valid = True
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length", "0")))
                signed = verify(self.headers.get(SIGNATURE_HEADER, ""), receiver.secret, body, time.time())
                receiver.valid = receiver.valid and signed
                receiver.deliveries.append(json.loads(body))
                self.send_response(200 if signed else 401)
                self.end_headers()

            def log_message(self, *_: object) -> None:
                return

        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/alphintra"

    def __enter__(self) -> WebhookReceiver:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._server.shutdown()
        self._server.server_close()


class Journey:
    def __init__(self, session: Session, options: JourneyOptions) -> None:
        self.session = session
        self.options = options
        self.narrator = Narrator(options.quiet)
        self.result = JourneyResult()

    def follow(self, job_id: str) -> None:
        """The job live (progress bar, logs, trials), or quietly to its end."""
        if not self.options.quiet:
            watch_job(self.session, job_id)
            return
        for _ in job_events(self.session, job_id):
            pass

    def call(self, method: Any, request: Any, timeout: float | None = 120.0) -> Any:
        return self.session.call(method, request, timeout=timeout)

    # -- the steps ----------------------------------------------------------------------

    def upload_dataset(self) -> None:
        body = _dataset_csv(self.options)
        metadata = datasets.DatasetUploadMetadata(
            display_name=f"{SYMBOL} daily (demo)",
            format=datasets.DATASET_FORMAT_CSV,
            default_symbol=SYMBOL,
            timeframe=bar_pb2.TIMEFRAME_1_DAY,
            size_bytes=len(body),
            request_id=f"demo-dataset-{hashlib.sha256(body).hexdigest()[:16]}",
        )
        messages = [datasets.UploadDatasetRequest(metadata=metadata)] + [
            datasets.UploadDatasetRequest(chunk=body[start : start + CHUNK_BYTES])
            for start in range(0, len(body), CHUNK_BYTES)
        ]
        stub = self.session.stub(datasets_grpc.DatasetServiceStub)
        reply = stub.UploadDataset(iter(messages), metadata=self.session.metadata(), timeout=120)
        self.result.dataset_id = reply.dataset.id
        self.narrator.say(
            f"uploaded {len(body):,} bytes in {len(messages) - 1} chunks -> dataset "
            f"{reply.dataset.id}: {reply.dataset.row_count} bars of {SYMBOL}"
        )
        for warning in reply.warnings:
            self.narrator.say(f"warning: {warning}")

    def create_workflow(self) -> None:
        workflow = json_format.Parse(
            (EXAMPLES / "rsi_mean_reversion.json").read_text(), workflow_pb2.Workflow()
        )
        workflow.display_name = "RSI mean reversion (demo)"
        for node in workflow.graph.nodes:
            if node.type == "dataSource":
                node.parameters["symbol"].text = SYMBOL
                node.parameters["dataset_id"].text = self.result.dataset_id
        stub = self.session.stub(workflows_grpc.WorkflowServiceStub)
        created = self.call(stub.CreateWorkflow, workflows.CreateWorkflowRequest(workflow=workflow)).workflow
        self.result.workflow_id = created.id
        self.narrator.say(
            f"workflow {created.id} v{created.version}: {len(created.graph.nodes)} nodes, "
            f"{len(created.graph.edges)} edges"
        )

    def validate_and_compile(self) -> None:
        stub = self.session.stub(workflows_grpc.WorkflowServiceStub)
        validated = self.call(
            stub.ValidateWorkflow, workflows.ValidateWorkflowRequest(workflow_id=self.result.workflow_id)
        )
        self.narrator.say(f"valid: {validated.valid} ({len(validated.problems)} remarks)")
        compiled = self.call(
            stub.CompileWorkflow, workflows.CompileWorkflowRequest(workflow_id=self.result.workflow_id)
        )
        self.narrator.say(
            f"compiled: {len(compiled.spec.indicators)} indicators, warm-up "
            f"{compiled.spec.warmup_bars} bars, {len(compiled.python_code.splitlines())} lines of "
            "generated Python"
        )
        self.spec = compiled.spec

    def strategy_backtest(self) -> None:
        stub = self.session.stub(backtests_grpc.BacktestServiceStub)
        request = backtests.CreateBacktestRequest(
            spec=self.spec,
            dataset_id=self.result.dataset_id,
            config=backtest_pb2.BacktestConfig(),
            display_name="RSI mean reversion on the demo dataset",
        )
        backtest = self.call(stub.CreateBacktest, request).backtest
        if backtest.job_id:
            self.follow(backtest.job_id)
        backtest = self.call(stub.GetBacktest, backtests.GetBacktestRequest(backtest_id=backtest.id)).backtest
        report = self.call(
            stub.GetBacktestReport, backtests.GetBacktestReportRequest(backtest_id=backtest.id)
        )
        self.options.report_path.write_bytes(report.data)
        metrics = backtest.result.metrics
        self.result.backtest_id = backtest.id
        self.result.backtest_metrics = metrics
        self.narrator.say(
            f"backtest {backtest.id}: return {metrics.total_return:+.2%}, Sharpe "
            f"{metrics.sharpe_ratio:.2f}, max drawdown {metrics.max_drawdown:.2%}, "
            f"{metrics.trade_count} trades; report -> {self.options.report_path}"
        )

    def _model_mode(self, model_config: execution_pb2.ModelModeConfig) -> execution_pb2.Execution:
        stub = self.session.stub(workflows_grpc.WorkflowServiceStub)
        request = workflows.ExecuteWorkflowRequest(
            workflow_id=self.result.workflow_id,
            mode=execution_pb2.EXECUTION_MODE_MODEL,
            dataset_id=self.result.dataset_id,
            model_config=model_config,
        )
        execution = self.call(stub.ExecuteWorkflow, request).execution
        self.narrator.say(f"execution {execution.id} runs as job {execution.job_id}; watching it live")
        self.follow(execution.job_id)
        return self.call(
            stub.GetExecution,
            workflows.GetExecutionRequest(workflow_id=self.result.workflow_id, execution_id=execution.id),
        ).execution

    def optimise(self) -> None:
        config = execution_pb2.ModelModeConfig(
            optimization=optimization_pb2.OptimizationConfig(
                sampler=optimization_pb2.SAMPLER_TPE,
                objective=optimization_pb2.OBJECTIVE_SHARPE,
                trial_count=self.options.optimisation_trials,
                seed=self.options.seed,
            )
        )
        execution = self._model_mode(config)
        result = execution.optimization_result
        self.result.optimisation = result
        best = ", ".join(
            f"{name}={json_format.MessageToDict(value)}" for name, value in result.best_parameters.items()
        )
        self.narrator.say(
            f"best {best} (trial {result.best_trial_number} of {len(result.trials)}); Sharpe in-sample "
            f"{result.in_sample_metrics.sharpe_ratio:.2f}, out-of-sample "
            f"{result.out_of_sample_metrics.sharpe_ratio:.2f}; new workflow version "
            f"{result.new_workflow_version}"
        )
        if result.overfitting_warning:
            self.narrator.say(f"overfitting warning: {result.overfitting_reason}")

    def train(self) -> None:
        self.result.model_name = f"demo-rsi-lgbm-{self.result.workflow_id[:8]}"
        config = execution_pb2.ModelModeConfig(
            training=training_pb2.TrainingConfig(
                model_family=training_pb2.MODEL_FAMILY_LIGHTGBM,
                label=training_pb2.LabelDefinition(
                    forward_return=training_pb2.ForwardReturnLabel(threshold=0.0), horizon_bars=5
                ),
                split=training_pb2.DataSplit(
                    train_fraction=0.6, validation_fraction=0.2, test_fraction=0.2, gap_bars=5
                ),
                seed=self.options.seed,
                model_name=self.result.model_name,
                signal_threshold=0.55,
            )
        )
        execution = self._model_mode(config)
        result = execution.training_result
        self.result.training = result
        self.narrator.say(
            f"model {result.model_name} v{result.model_version}: ONNX parity max error "
            f"{result.onnx_parity_max_error:.2e}; test-split backtest return "
            f"{result.test_backtest.metrics.total_return:+.2%}"
        )

    def promote(self) -> None:
        stub = self.session.stub(registry_grpc.ModelRegistryServiceStub)
        assert self.result.training is not None
        self.call(
            stub.SetModelAlias,
            registry.SetModelAliasRequest(
                model_name=self.result.model_name,
                alias="production",
                version=self.result.training.model_version,
                reason="demo: trained and verified",
            ),
        )
        self.narrator.say(f"{self.result.model_name}@production -> v{self.result.training.model_version}")

    def deploy(self) -> None:
        self.result.live_symbol = f"{SYMBOL}-{self.result.workflow_id[:8].upper()}"
        deployment = deployments.Deployment(
            display_name="demo deployment",
            symbols=[self.result.live_symbol],
            timeframe=bar_pb2.TIMEFRAME_1_DAY,
            thresholds=deployments.SignalThresholds(buy_threshold=0.55, sell_threshold=0.45),
            risk=deployments.DeploymentRisk(quantity=0.0, stop_loss_fraction=0.05, take_profit_fraction=0.1),
        )
        deployment.model.model_name = self.result.model_name
        deployment.model.alias = "production"
        stub = self.session.stub(deployments_grpc.DeploymentServiceStub)
        created = self.call(stub.CreateDeployment, deployments.CreateDeploymentRequest(deployment=deployment))
        self.result.deployment_id = created.deployment.id
        self.narrator.say(
            f"deployment {created.deployment.id} on {self.result.live_symbol} daily bars, this run's "
            f"replay of {SYMBOL} ({deployments.DeploymentState.Name(created.deployment.state)})"
        )

    def replay_and_trade(self) -> None:
        """Paper account and webhook first, then the bars; the deployment turns them into signals."""
        strategy_id = f"deployments/{self.result.deployment_id}"
        paper_stub = self.session.stub(paper_grpc.PaperTradingServiceStub)
        account = self.call(
            paper_stub.CreateAccount,
            paper.CreateAccountRequest(
                account=paper.PaperAccount(
                    display_name="demo paper account",
                    initial_cash=100_000.0,
                    strategy_ids=[strategy_id],
                    deployment_ids=[self.result.deployment_id],
                    commission_fraction=0.001,
                )
            ),
        )
        self.narrator.say(f"paper account {account.account.id} with 100,000.00 follows {strategy_id}")
        with WebhookReceiver() as receiver:
            hooks = self.session.stub(webhooks_grpc.WebhookServiceStub)
            created = self.call(
                hooks.CreateWebhook,
                webhooks.CreateWebhookRequest(
                    webhook=webhooks.Webhook(
                        url=receiver.url,
                        display_name="demo receiver",
                        enabled=True,
                        filter=signal_pb2.SignalFilter(strategy_ids=[strategy_id]),
                    )
                ),
            )
            receiver.secret = created.signing_secret
            self.narrator.say(f"webhook {created.webhook.id} -> {receiver.url} (HMAC-SHA256 signed)")
            signals = self._replay_bars(strategy_id)
            deadline = time.monotonic() + DELIVERY_WAIT_SECONDS
            while len(receiver.deliveries) < len(signals) and time.monotonic() < deadline:
                time.sleep(0.2)
            self.result.webhook_deliveries = len(receiver.deliveries)
            self.result.webhook_signatures_valid = receiver.valid and bool(receiver.deliveries)
        self.narrator.say(
            f"{len(signals)} signals seen by the subscriber, {self.result.webhook_deliveries} "
            f"webhook deliveries (signatures valid: {self.result.webhook_signatures_valid})"
        )
        self._wait_for_paper(account.account.id, signals)

    def _replay_bars(self, strategy_id: str) -> list[signal_pb2.Signal]:
        tail = demo_bars(self.options).tail(self.options.replay_bars)
        stub = self.session.stub(bus_grpc.SignalBusServiceStub)
        subscription = stub.Subscribe(
            bus.SubscribeRequest(from_now=True, filter=signal_pb2.SignalFilter(strategy_ids=[strategy_id])),
            metadata=self.session.metadata(),
            timeout=60,
        )
        seen: list[signal_pb2.Signal] = []
        reader = threading.Thread(target=_collect, args=(subscription, seen), daemon=True)
        reader.start()
        bars = []
        for row in tail.itertuples(index=False):
            bar = bar_pb2.Bar(
                symbol=self.result.live_symbol,
                timeframe=bar_pb2.TIMEFRAME_1_DAY,
                open=row.open,
                high=row.high,
                low=row.low,
                close=row.close,
                volume=row.volume,
            )
            bar.time.FromNanoseconds(int(row.timestamp.value))
            bars.append(bus.PublishBarsRequest(bar=bar))
        acks = list(stub.PublishBars(iter(bars), metadata=self.session.metadata(), timeout=60))
        self.narrator.say(
            f"replayed {len(acks)} bars of {SYMBOL} onto the bar topic {self.result.live_symbol}"
        )
        time.sleep(3.0)
        subscription.cancel()
        reader.join(timeout=5)
        self.result.signals_seen = seen
        return seen

    def _wait_for_paper(self, account_id: str, signals: list[signal_pb2.Signal]) -> None:
        stub = self.session.stub(paper_grpc.PaperTradingServiceStub)
        deadline = time.monotonic() + DELIVERY_WAIT_SECONDS
        while True:
            account = self.call(stub.GetAccount, paper.GetAccountRequest(account_id=account_id)).account
            trades = self.call(
                stub.ListTrades, paper.ListTradesRequest(account_id=account_id, page_size=100)
            ).trades
            if trades or not signals or time.monotonic() > deadline:
                break
            time.sleep(0.3)
        self.result.account = account
        self.result.trades = list(trades)
        profit = account.equity - account.initial_cash
        self.narrator.say(
            f"{len(trades)} paper fills; equity {account.equity:,.2f}, P&L {profit:+,.2f} "
            f"({profit / account.initial_cash:+.2%})"
        )


def _collect(stream: Any, seen: list[signal_pb2.Signal]) -> None:
    with contextlib.suppress(grpc.RpcError):
        for batch in stream:
            seen.extend(record.signal for record in batch.signals)


def run_journey(session: Session, options: JourneyOptions) -> JourneyResult:
    journey = Journey(session, options)
    steps = [
        ("Upload a dataset", journey.upload_dataset),
        ("Create the RSI mean-reversion workflow from examples/", journey.create_workflow),
        ("Validate and compile it", journey.validate_and_compile),
        ("STRATEGY mode: backtest it, with its HTML report", journey.strategy_backtest),
        ("MODEL mode: optimise its parameters (walk-forward, Optuna)", journey.optimise),
        ("MODEL mode: train a LightGBM model, export to ONNX, register it", journey.train),
        ("Promote the model to production", journey.promote),
        ("Deploy it on live bars", journey.deploy),
        ("Replay bars; signals to a subscriber, a webhook and a paper account", journey.replay_and_trade),
    ]
    for title, run in steps:
        with journey.narrator.step(title):
            run()
    return journey.result
