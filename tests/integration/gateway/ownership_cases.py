"""Every RPC of every service, classified for the ownership matrix (test_ownership_matrix.py).

User A owns resources; user B (a trader of A's organization) and user C (the admin of
another organization) try each RPC on them. A service's RPCs join the matrix as they land:
an RPC that still answers UNIMPLEMENTED is reported as pending, never as passed, and one that
answers anything but NOT_FOUND / PERMISSION_DENIED to B or C fails the matrix.

Requests are proto-JSON dicts; a string "{workflow}" stands for the id of A's workflow.
A resource whose creation RPC has not landed is named by a placeholder id.

A's world is real wherever the services can build it: a strategy workflow, a dataset of daily
bars, finished backtests of the workflow's strategy, two experiment runs, a registered model
version (a real ONNX classifier with its reference distributions) at alias `production`, served
by the predictor (loaded by A's organization admin, as an operator would) under A's registry key
"<A's id>/<model>", which is the name B and C try: the plain name only ever means their own models.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import onnx
from google.protobuf import json_format

from services.core import strategy
from services.core.monitoring.reference import references_for_matrix
from tests.integration.predictor.model_files import FEATURE_NAMES, FEATURES, classifier_bytes, training_data

WORKFLOW = "alphintra.workflow.v1.WorkflowService"
DATASETS = "alphintra.trainer.v1.DatasetService"
BACKTESTS = "alphintra.trainer.v1.BacktestService"
EXPERIMENTS = "alphintra.trainer.v1.ExperimentService"
REGISTRY = "alphintra.trainer.v1.ModelRegistryService"
TRAINING = "alphintra.trainer.v1.TrainingService"
DEPLOYMENTS = "alphintra.predictor.v1.DeploymentService"
PREDICTOR = "alphintra.predictor.v1.PredictorService"
INFERENCE = "inference.GRPCInferenceService"
BUS = "alphintra.signalbus.v1.SignalBusService"
WEBHOOKS = "alphintra.signalbus.v1.WebhookService"
PAPER = "alphintra.signalbus.v1.PaperTradingService"
AUTH = "alphintra.auth.v1.AuthService"


@dataclass(frozen=True)
class Creation:
    """How A creates one resource, and where its id is in the answer."""

    resource: str
    rpc: str
    request: dict[str, Any]
    id_path: str
    # made by A's organization admin (operators' RPCs), not by A
    by_admin: bool = False


def _strategy_graph() -> dict[str, Any]:
    return json_format.MessageToDict(strategy.get_template("sma_crossover").graph)


def _strategy_spec() -> dict[str, Any]:
    return json_format.MessageToDict(strategy.compile_graph(strategy.get_template("sma_crossover").graph))


def _daily_bars_csv(count: int = 120, seed: int = 11) -> bytes:
    """Enough daily bars for the strategy's warm-up (a 20-day SMA) and a few crossings."""
    generator = np.random.default_rng(seed)
    closes = 100 * np.exp(np.cumsum(generator.normal(0, 0.02, count)))
    start = datetime(2024, 1, 1, tzinfo=UTC)
    lines = ["timestamp,open,high,low,close,volume"]
    for day, close in enumerate(closes):
        stamp = (start + timedelta(days=day)).strftime("%Y-%m-%dT%H:%M:%SZ")
        lines.append(f"{stamp},{close:.4f},{close * 1.01:.4f},{close * 0.99:.4f},{close:.4f},1000")
    return ("\n".join(lines) + "\n").encode()


def _signature(onnx_bytes: bytes) -> dict[str, Any]:
    graph = onnx.load_from_string(onnx_bytes).graph
    datatypes = {onnx.TensorProto.FLOAT: "FP32", onnx.TensorProto.INT64: "INT64"}

    def specs(values: Any) -> list[dict[str, Any]]:
        return [
            {
                "name": value.name,
                "datatype": datatypes.get(value.type.tensor_type.elem_type, "FP32"),
                "shape": [dimension.dim_value or -1 for dimension in value.type.tensor_type.shape.dim],
            }
            for value in values
        ]

    return {
        "inputs": specs(graph.input),
        "outputs": specs(graph.output),
        "feature_names": FEATURE_NAMES,
        "class_names": ["0", "1"],
    }


def _model_version() -> dict[str, Any]:
    """A real ONNX classifier (skl2onnx) with the reference distributions drift reports compare to."""
    onnx_bytes = classifier_bytes(seed=1)
    references = references_for_matrix(FEATURE_NAMES, training_data(seed=1, rows=2_000)[0])
    return {
        "model_name": "{model}",
        "artifact_content": base64.b64encode(onnx_bytes).decode(),
        "model_version": {
            "description": "A's classifier",
            "signature": _signature(onnx_bytes),
            "reference_distributions": [
                {
                    "feature": reference.name,
                    "bin_edges": list(reference.bin_edges),
                    "bin_fractions": list(reference.bin_fractions),
                    "quantiles": list(reference.quantiles),
                    "mean": reference.mean,
                }
                for reference in references
            ],
        },
    }


STRATEGY_SPEC = _strategy_spec()
# one row of the model's features
FEATURE_ROW = [0.25, -0.5, 1.0, 0.0]
assert len(FEATURE_ROW) == FEATURES
# A's model as the predictor serves it: in A's namespace
SERVED_MODEL = "{user}/{model}"


# in order: later creations may name earlier resources
# "dataset" is uploaded first (a client stream: DATASET_UPLOAD), so that creations may name it
CREATIONS: tuple[Creation, ...] = (
    Creation(
        "workflow",
        f"{WORKFLOW}/CreateWorkflow",
        {"workflow": {"display_name": "A's SMA crossover", "graph": _strategy_graph()}},
        "workflow.id",
    ),
    Creation(
        "execution",
        f"{WORKFLOW}/ExecuteWorkflow",
        {"workflow_id": "{workflow}", "mode": "EXECUTION_MODE_STRATEGY"},
        "execution.id",
    ),
    Creation(
        "backtest",
        f"{BACKTESTS}/CreateBacktest",
        {"spec": STRATEGY_SPEC, "dataset_id": "{dataset}", "config": {}, "display_name": "A's backtest"},
        "backtest.id",
    ),
    Creation(
        "second_backtest",
        f"{BACKTESTS}/CreateBacktest",
        {
            "spec": STRATEGY_SPEC,
            "dataset_id": "{dataset}",
            "config": {},
            "display_name": "A's other backtest",
        },
        "backtest.id",
    ),
    Creation(
        "experiment",
        f"{EXPERIMENTS}/CreateExperiment",
        {"experiment": {"display_name": "A's"}},
        "experiment.id",
    ),
    Creation(
        "run", f"{EXPERIMENTS}/CreateRun", {"experiment_id": "{experiment}", "display_name": "A's"}, "run.id"
    ),
    Creation(
        "second_run",
        f"{EXPERIMENTS}/CreateRun",
        {"experiment_id": "{experiment}", "display_name": "A's other"},
        "run.id",
    ),
    Creation(
        "model", f"{REGISTRY}/CreateModel", {"model": {"model_name": "{unique}-model"}}, "model.model_name"
    ),
    Creation("model_version", f"{REGISTRY}/CreateModelVersion", _model_version(), "model_version.name"),
    Creation(
        "alias",
        f"{REGISTRY}/SetModelAlias",
        {"model_name": "{model}", "alias": "production", "version": 1},
        "change.alias",
    ),
    Creation(
        "served_model",
        f"{PREDICTOR}/LoadModel",
        {"model_name": SERVED_MODEL, "alias": "production", "wait_until_ready": True},
        "model.model_name",
        by_admin=True,
    ),
    Creation(
        "job",
        f"{TRAINING}/CreateJob",
        {
            "job": {
                "display_name": "A's job",
                "kind": "JOB_KIND_BACKTEST",
                "config": {"backtest": {"spec": STRATEGY_SPEC, "dataset_id": "{dataset}", "backtest": {}}},
            }
        },
        "job.id",
    ),
    Creation(
        "deployment",
        f"{DEPLOYMENTS}/CreateDeployment",
        {"deployment": {"display_name": "A's"}},
        "deployment.id",
    ),
    Creation(
        "account",
        f"{PAPER}/CreateAccount",
        {"account": {"display_name": "A's", "initial_cash": 1e5}},
        "account.id",
    ),
    Creation(
        "webhook",
        f"{WEBHOOKS}/CreateWebhook",
        {"webhook": {"url": "https://hooks.alphintra.test/a"}},
        "webhook.id",
    ),
    Creation(
        "signal",
        f"{BUS}/PublishSignal",
        {
            "signal": {
                "signal_id": "{unique}-signal",
                "strategy_id": "a-strategy",
                "symbol": "BTC-USD",
                "action": "ACTION_BUY",
                "confidence": 0.5,
            }
        },
        "signal.signal_id",
    ),
    Creation("api_key", f"{AUTH}/CreateApiKey", {"display_name": "A's key"}, "api_key.id"),
)
# UploadDataset is client-streaming: A uploads one small CSV of daily bars
DATASET_UPLOAD = (
    {"metadata": {"display_name": "A's bars", "default_symbol": "BTC-USD", "format": "DATASET_FORMAT_CSV"}},
    {"chunk": base64.b64encode(_daily_bars_csv()).decode()},
)
# backtests A's world waits for: reads of trades, reports and comparisons need them finished
FINISHED_BACKTESTS = ("backtest", "second_backtest")

# A may read these (an admin of A's organization too); B and C must be refused
READS: dict[str, dict[str, Any]] = {
    f"{AUTH}/GetUser": {"user_id": "{user}"},
    f"{AUTH}/ListApiKeys": {"owner_id": "{user}"},
    f"{WORKFLOW}/GetWorkflow": {"workflow_id": "{workflow}"},
    f"{WORKFLOW}/ListWorkflowVersions": {"workflow_id": "{workflow}"},
    f"{WORKFLOW}/GetWorkflowVersion": {"workflow_id": "{workflow}", "version": 1},
    f"{WORKFLOW}/ValidateWorkflow": {"workflow_id": "{workflow}"},
    f"{WORKFLOW}/CompileWorkflow": {"workflow_id": "{workflow}"},
    # A's workflow traced on A's dataset: the bars come from the trainer, read as the caller
    f"{WORKFLOW}/TraceStrategy": {"workflow_id": "{workflow}", "dataset_id": "{dataset}", "max_bars": 20},
    f"{WORKFLOW}/GetExecution": {"workflow_id": "{workflow}", "execution_id": "{execution}"},
    f"{WORKFLOW}/ListExecutions": {"workflow_id": "{workflow}"},
    f"{DATASETS}/GetDataset": {"dataset_id": "{dataset}"},
    f"{DATASETS}/PreviewDataset": {"dataset_id": "{dataset}"},
    f"{DATASETS}/GetDatasetStatistics": {"dataset_id": "{dataset}"},
    # a backtest of someone else's dataset reads it
    f"{BACKTESTS}/RunBacktest": {"spec": STRATEGY_SPEC, "dataset_id": "{dataset}", "config": {}},
    f"{BACKTESTS}/CreateBacktest": {
        "spec": STRATEGY_SPEC,
        "dataset_id": "{dataset}",
        "config": {},
        "display_name": "borrowed data",
    },
    f"{BACKTESTS}/GetBacktest": {"backtest_id": "{backtest}"},
    f"{BACKTESTS}/ListBacktestTrades": {"backtest_id": "{backtest}"},
    f"{BACKTESTS}/GetBacktestReport": {"backtest_id": "{backtest}"},
    f"{BACKTESTS}/CompareBacktests": {"backtest_ids": ["{backtest}", "{second_backtest}"]},
    f"{EXPERIMENTS}/GetExperiment": {"experiment_id": "{experiment}"},
    f"{EXPERIMENTS}/GetRun": {"run_id": "{run}"},
    f"{EXPERIMENTS}/SearchRuns": {"experiment_ids": ["{experiment}"]},
    f"{EXPERIMENTS}/CompareRuns": {"run_ids": ["{run}", "{second_run}"]},
    f"{REGISTRY}/GetModel": {"model_name": "{model}"},
    f"{REGISTRY}/GetModelVersion": {"model_name": "{model}", "version": 1},
    f"{REGISTRY}/ListModelVersions": {"model_name": "{model}"},
    f"{REGISTRY}/ListAliasHistory": {"model_name": "{model}", "alias": "production"},
    f"{REGISTRY}/GetModelLineage": {"model_name": "{model}", "version": 1},
    f"{TRAINING}/GetJob": {"job_id": "{job}"},
    f"{TRAINING}/ListJobLogs": {"job_id": "{job}"},
    # a job trained from someone else's workflow reads it
    f"{TRAINING}/CreateJobFromWorkflow": {
        "workflow_id": "{workflow}",
        "job": {
            "kind": "JOB_KIND_BACKTEST",
            "config": {"backtest": {"dataset_id": "{dataset}", "backtest": {}}},
        },
    },
    f"{DEPLOYMENTS}/GetDeployment": {"deployment_id": "{deployment}"},
    f"{DEPLOYMENTS}/GetLatestFeatures": {"deployment_id": "{deployment}"},
    f"{PREDICTOR}/Predict": {
        "model_name": SERVED_MODEL,
        "features": {"rows": 1, "columns": len(FEATURE_ROW), "values": FEATURE_ROW},
    },
    f"{PREDICTOR}/GetDriftReport": {"model_name": SERVED_MODEL},
    f"{INFERENCE}/ModelReady": {"name": SERVED_MODEL},
    f"{INFERENCE}/ModelMetadata": {"name": SERVED_MODEL},
    f"{INFERENCE}/ModelInfer": {
        "model_name": SERVED_MODEL,
        "inputs": [
            {
                "name": "X",
                "datatype": "FP32",
                "shape": [1, len(FEATURE_ROW)],
                "contents": {"fp32_contents": FEATURE_ROW},
            }
        ],
    },
    f"{WEBHOOKS}/GetWebhook": {"webhook_id": "{webhook}"},
    f"{WEBHOOKS}/ListWebhookDeliveries": {"webhook_id": "{webhook}"},
    f"{WEBHOOKS}/ListDeadLetters": {"webhook_id": "{webhook}"},
    f"{PAPER}/GetAccount": {"account_id": "{account}"},
    f"{PAPER}/ListPositions": {"account_id": "{account}"},
    f"{PAPER}/ListTrades": {"account_id": "{account}"},
    f"{PAPER}/ListOrders": {"account_id": "{account}"},
    f"{PAPER}/GetPerformance": {"account_id": "{account}"},
}
# server-streaming reads of one of A's resources: the first answer must be a refusal
STREAM_READS: dict[str, dict[str, Any]] = {
    f"{DATASETS}/ReadDatasetBars": {"dataset_id": "{dataset}"},
    f"{TRAINING}/WatchJob": {"job_id": "{job}"},
    f"{REGISTRY}/DownloadModelArtifact": {"model_name": "{model}", "version": 1},
}

# changes B and C must be refused; `True`: an admin of A's organization may make it (user management)
WRITES: dict[str, tuple[dict[str, Any], bool]] = {
    f"{AUTH}/UpdateUser": (
        {"user": {"id": "{user}", "display_name": "hijacked"}, "update_mask": "displayName"},
        True,
    ),
    f"{AUTH}/RevokeApiKey": ({"api_key_id": "{api_key}"}, False),
    f"{WORKFLOW}/UpdateWorkflow": (
        {
            "workflow": {"id": "{workflow}", "display_name": "hijacked"},
            "update_mask": "displayName",
            "expected_version": 1,
        },
        False,
    ),
    f"{WORKFLOW}/DeleteWorkflow": ({"workflow_id": "{workflow}", "expected_version": 1}, False),
    f"{WORKFLOW}/ExecuteWorkflow": ({"workflow_id": "{workflow}", "mode": "EXECUTION_MODE_STRATEGY"}, False),
    f"{DATASETS}/DeleteDataset": ({"dataset_id": "{dataset}"}, False),
    f"{EXPERIMENTS}/CreateRun": ({"experiment_id": "{experiment}", "display_name": "intruder"}, False),
    f"{EXPERIMENTS}/LogRunMetrics": ({"run_id": "{run}", "metrics": [{"key": "loss", "value": 0.5}]}, False),
    f"{EXPERIMENTS}/LogRunParams": ({"run_id": "{run}", "params": {"learning_rate": "0.1"}}, False),
    f"{EXPERIMENTS}/SetRunTags": ({"run_id": "{run}", "tags": {"stage": "hijacked"}}, False),
    f"{EXPERIMENTS}/UpdateRun": (
        {"run": {"id": "{run}", "display_name": "hijacked"}, "update_mask": "displayName"},
        False,
    ),
    f"{REGISTRY}/CreateModelVersion": ({"model_name": "{model}"}, False),
    f"{REGISTRY}/SetModelAlias": ({"model_name": "{model}", "alias": "production", "version": 1}, False),
    f"{REGISTRY}/DeleteModelAlias": ({"model_name": "{model}", "alias": "production"}, False),
    f"{REGISTRY}/RollbackModelAlias": ({"model_name": "{model}", "alias": "production"}, False),
    f"{REGISTRY}/SetRetrainingSchedule": ({"model_name": "{model}"}, False),
    f"{TRAINING}/CancelJob": ({"job_id": "{job}"}, False),
    f"{DEPLOYMENTS}/StopDeployment": ({"deployment_id": "{deployment}"}, False),
    f"{WEBHOOKS}/UpdateWebhook": (
        {"webhook": {"id": "{webhook}", "display_name": "hijacked"}, "update_mask": "displayName"},
        False,
    ),
    f"{WEBHOOKS}/DeleteWebhook": ({"webhook_id": "{webhook}"}, False),
    f"{WEBHOOKS}/RotateWebhookSecret": ({"webhook_id": "{webhook}"}, False),
    f"{WEBHOOKS}/ReplayDeadLetters": ({"webhook_id": "{webhook}"}, False),
    f"{PAPER}/ResetAccount": ({"account_id": "{account}"}, False),
    f"{PAPER}/UpdateRiskLimits": ({"account_id": "{account}"}, False),
}

# lists, and which of A's resources each lists: A sees it; B's and C's answers never mention it
LISTS: dict[str, tuple[dict[str, Any], str]] = {
    f"{WORKFLOW}/ListWorkflows": ({}, "workflow"),
    f"{DATASETS}/ListDatasets": ({}, "dataset"),
    f"{BACKTESTS}/ListBacktests": ({}, "backtest"),
    f"{EXPERIMENTS}/ListExperiments": ({}, "experiment"),
    f"{REGISTRY}/ListModels": ({}, "model"),
    f"{TRAINING}/ListJobs": ({}, "job"),
    f"{DEPLOYMENTS}/ListDeployments": ({}, "deployment"),
    f"{PREDICTOR}/ListModels": ({}, "model"),
    f"{BUS}/ListSignals": ({}, "signal"),
    f"{WEBHOOKS}/ListWebhooks": ({}, "webhook"),
    f"{PAPER}/ListAccounts": ({}, "account"),
}
# a subscription replaying the whole log: A's batches carry A's signal, B's and C's never do
STREAM_LISTS: dict[str, tuple[dict[str, Any], str]] = {
    f"{BUS}/Subscribe": ({"from_offset": "0-0"}, "signal"),
}

# about A's organization, which its members share: an outsider (C) must be refused
ORGANIZATION_READS: dict[str, dict[str, Any]] = {
    f"{AUTH}/GetOrganization": {"organization_id": "{organization}"},
    f"{AUTH}/ListOrganizationMembers": {"organization_id": "{organization}"},
    f"{AUTH}/ListUsers": {"organization_id": "{organization}"},
}

# RPCs that cannot name another user's resource, and why
NOT_ABOUT_OTHERS: dict[str, str] = {
    f"{AUTH}/Login": "signs the caller in",
    f"{AUTH}/RefreshToken": "the caller's own session",
    f"{AUTH}/Logout": "the caller's own sessions (tested in test_sign_in.py)",
    f"{AUTH}/ExchangeApiKey": "the key proves who calls",
    f"{AUTH}/CreateApiKey": "creates the caller's own key",
    f"{AUTH}/WhoAmI": "the caller",
    f"{AUTH}/GetJwks": "public keys",
    f"{AUTH}/CreateUser": "creates a user in the caller's own organization",
    f"{AUTH}/CreateOrganization": "creates the caller's own organization",
    f"{WORKFLOW}/ListNodeTypes": "the platform's node catalog",
    f"{WORKFLOW}/ListTemplates": "the platform's templates",
    f"{WORKFLOW}/CreateWorkflow": "creates the caller's own workflow",
    f"{WORKFLOW}/CloneTemplate": "copies a platform template for the caller",
    f"{DATASETS}/UploadDataset": "creates the caller's own dataset",
    f"{DATASETS}/GeneratePlatformDataset": "platform data, admins only",
    f"{EXPERIMENTS}/CreateExperiment": "creates the caller's own experiment",
    f"{REGISTRY}/CreateModel": "creates the caller's own model",
    f"{TRAINING}/CreateJob": "creates the caller's own job",
    f"{DEPLOYMENTS}/CreateDeployment": "creates the caller's own deployment",
    f"{PREDICTOR}/PredictStream": "Predict's stream: per-item errors in the stream; Predict is in READS",
    f"{PREDICTOR}/LoadModel": "operators' serving capacity, admins only",
    f"{PREDICTOR}/UnloadModel": "operators' serving capacity, admins only",
    f"{PREDICTOR}/SetTrafficSplit": "operators' serving capacity, admins only",
    f"{INFERENCE}/ServerLive": "health",
    f"{INFERENCE}/ServerReady": "health",
    f"{INFERENCE}/ServerMetadata": "the server's own description",
    f"{INFERENCE}/ModelStreamInfer": "ModelInfer's stream: per-item errors in it; ModelInfer is in READS",
    f"{BUS}/PublishSignal": "publishes the caller's own signal",
    f"{BUS}/PublishSignals": "publishes the caller's own signals",
    f"{BUS}/PublishBars": "market data, shared by symbol",
    f"{BUS}/SubscribeBars": "market data, shared by symbol",
    f"{WEBHOOKS}/CreateWebhook": "creates the caller's own webhook",
    f"{PAPER}/CreateAccount": "creates the caller's own account",
}


def classified() -> set[str]:
    groups = [READS, STREAM_READS, WRITES, LISTS, STREAM_LISTS, ORGANIZATION_READS, NOT_ABOUT_OTHERS]
    names = [name for group in groups for name in group]
    duplicates = {name for name in names if names.count(name) > 1}
    assert not duplicates, f"classified twice: {sorted(duplicates)}"
    return set(names)
