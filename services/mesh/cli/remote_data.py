"""`alphintra datasets ...` and `alphintra backtests ...` against a running mesh."""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from pathlib import Path

from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TransferSpeedColumn

from alphintra.common.v1 import bar_pb2
from alphintra.strategy.v1 import backtest_pb2
from alphintra.trainer.v1 import backtest_service_pb2 as backtests
from alphintra.trainer.v1 import backtest_service_pb2_grpc as backtests_grpc
from alphintra.trainer.v1 import dataset_service_pb2 as datasets
from alphintra.trainer.v1 import dataset_service_pb2_grpc as datasets_grpc
from alphintra.workflow.v1 import workflow_service_pb2 as workflows
from alphintra.workflow.v1 import workflow_service_pb2_grpc as workflows_grpc
from services.mesh.cli.connection import CliError, Session
from services.mesh.cli.remote import command, enum_value, paging_arguments, read_message, request_id
from services.mesh.cli.remote_output import field, print_fields, print_json, show, stdout, to_dict
from services.mesh.cli.remote_workflows import watch_job

CHUNK_BYTES = 1 << 20
DATASET_COLUMNS = [
    ("id", field("id")),
    ("name", field("display_name")),
    ("symbols", field("symbols")),
    ("timeframe", field("timeframe")),
    ("rows", field("row_count")),
    ("from", field("start_time")),
    ("to", field("end_time")),
    ("platform", field("platform")),
]
BACKTEST_COLUMNS = [
    ("id", field("id")),
    ("name", field("display_name")),
    ("state", field("state")),
    ("dataset", field("dataset_id")),
    ("return", field("result.metrics.total_return")),
    ("sharpe", field("result.metrics.sharpe_ratio")),
    ("created", field("create_time")),
]


# -- datasets ---------------------------------------------------------------------------


def _datasets(session: Session) -> datasets_grpc.DatasetServiceStub:
    return session.stub(datasets_grpc.DatasetServiceStub)


def _upload_messages(path: Path, metadata: datasets.DatasetUploadMetadata, progress: Progress
                     ) -> Iterator[datasets.UploadDatasetRequest]:  # fmt: skip
    """Metadata first, then the file in 1 MiB chunks, advancing the progress bar as gRPC sends them."""
    task = progress.add_task(f"upload {path.name}", total=metadata.size_bytes)
    yield datasets.UploadDatasetRequest(metadata=metadata)
    with path.open("rb") as file:
        while chunk := file.read(CHUNK_BYTES):
            yield datasets.UploadDatasetRequest(chunk=chunk)
            progress.advance(task, len(chunk))


def _upload(session: Session, arguments: argparse.Namespace) -> int:
    path = Path(arguments.file)
    if not path.is_file():
        raise CliError(f"{path} is not a file")
    file_format = datasets.DATASET_FORMAT_PARQUET if path.suffix.lower() in {".parquet", ".pq"} else (
        datasets.DATASET_FORMAT_CSV)  # fmt: skip
    metadata = datasets.DatasetUploadMetadata(
        display_name=arguments.name or path.stem,
        format=file_format,
        default_symbol=arguments.symbol or "",
        timeframe=enum_value(bar_pb2.Timeframe, "TIMEFRAME_", arguments.timeframe)
        if arguments.timeframe
        else 0,
        size_bytes=path.stat().st_size,
        request_id=request_id(),
    )
    columns = (TextColumn("{task.description}"), BarColumn(), DownloadColumn(), TransferSpeedColumn())
    with Progress(*columns, console=stdout, disable=arguments.json) as progress:
        reply = _datasets(session).UploadDataset(
            _upload_messages(path, metadata, progress), metadata=session.metadata(), timeout=None
        )
    if arguments.json:
        print_json(reply)
        return 0
    show(reply.dataset, as_json=False, columns=DATASET_COLUMNS, title="uploaded")
    for warning in reply.warnings:
        stdout.print(f"warning: {warning}", markup=False)
    return 0


def _list_datasets(session: Session, arguments: argparse.Namespace) -> int:
    request = datasets.ListDatasetsRequest(page_size=arguments.page_size, page_token=arguments.page_token)
    reply = session.call(_datasets(session).ListDatasets, request)
    show(list(reply.datasets), as_json=arguments.json, columns=DATASET_COLUMNS,
         next_page_token=reply.next_page_token)  # fmt: skip
    return 0


def _describe(session: Session, arguments: argparse.Namespace) -> int:
    stub = _datasets(session)
    dataset = session.call(
        stub.GetDataset, datasets.GetDatasetRequest(dataset_id=arguments.dataset_id)
    ).dataset
    statistics = session.call(
        stub.GetDatasetStatistics, datasets.GetDatasetStatisticsRequest(dataset_id=arguments.dataset_id)
    ).statistics
    if arguments.json:
        print_json({"dataset": to_dict(dataset), "statistics": to_dict(statistics)})
        return 0
    print_fields(dataset, "dataset")
    print_fields(statistics, "statistics")
    return 0


def _generate(session: Session, arguments: argparse.Namespace) -> int:
    spec = datasets.SyntheticDatasetSpec(
        seed=arguments.seed,
        bar_count=arguments.bars,
        symbol=arguments.symbol,
        timeframe=enum_value(bar_pb2.Timeframe, "TIMEFRAME_", arguments.timeframe),
    )
    request = datasets.GeneratePlatformDatasetRequest(
        spec=spec, display_name=arguments.name, platform=arguments.platform, request_id=request_id()
    )
    dataset = session.call(_datasets(session).GeneratePlatformDataset, request, timeout=None).dataset
    show(dataset, as_json=arguments.json, columns=DATASET_COLUMNS, title="generated")
    return 0


# -- backtests --------------------------------------------------------------------------


def _backtests(session: Session) -> backtests_grpc.BacktestServiceStub:
    return session.stub(backtests_grpc.BacktestServiceStub)


def _run(session: Session, arguments: argparse.Namespace) -> int:
    compiled = session.call(
        session.stub(workflows_grpc.WorkflowServiceStub).CompileWorkflow,
        workflows.CompileWorkflowRequest(workflow_id=arguments.workflow, version=arguments.version),
    )
    config = (read_message(arguments.backtest_config, backtest_pb2.BacktestConfig)
              if arguments.backtest_config else backtest_pb2.BacktestConfig())  # fmt: skip
    request = backtests.CreateBacktestRequest(
        spec=compiled.spec,
        dataset_id=arguments.dataset,
        config=config,
        display_name=arguments.name or f"{arguments.workflow} on {arguments.dataset}",
        request_id=request_id(),
    )
    backtest = session.call(_backtests(session).CreateBacktest, request).backtest
    if backtest.job_id:
        code = watch_job(session, backtest.job_id, as_json=arguments.json)
        if code:
            return code
    backtest = session.call(
        _backtests(session).GetBacktest, backtests.GetBacktestRequest(backtest_id=backtest.id)
    )
    backtest = backtest.backtest
    if arguments.report:
        _write_report(session, backtest.id, Path(arguments.report))
    if arguments.json:
        print_json(backtest)
    else:
        show(backtest, as_json=False, columns=BACKTEST_COLUMNS)
        print_fields(backtest.result.metrics, "metrics")
    return 0


def _write_report(session: Session, backtest_id: str, path: Path) -> None:
    body = session.call(
        _backtests(session).GetBacktestReport, backtests.GetBacktestReportRequest(backtest_id=backtest_id)
    )
    path.write_bytes(body.data)
    stdout.print(f"report written to {path}")


def _report(session: Session, arguments: argparse.Namespace) -> int:
    _write_report(session, arguments.backtest_id, Path(arguments.out))
    return 0


def _list_backtests(session: Session, arguments: argparse.Namespace) -> int:
    request = backtests.ListBacktestsRequest(page_size=arguments.page_size, page_token=arguments.page_token)
    reply = session.call(_backtests(session).ListBacktests, request)
    show(list(reply.backtests), as_json=arguments.json, columns=BACKTEST_COLUMNS,
         next_page_token=reply.next_page_token)  # fmt: skip
    return 0


def _compare(session: Session, arguments: argparse.Namespace) -> int:
    request = backtests.CompareBacktestsRequest(backtest_ids=arguments.backtest_ids)
    reply = session.call(_backtests(session).CompareBacktests, request)
    if arguments.json:
        print_json(reply)
        return 0
    columns = [
        ("backtest", field("backtest_id")),
        ("name", field("display_name")),
        ("return", field("metrics.total_return")),
        ("sharpe", field("metrics.sharpe_ratio")),
        ("max dd", field("metrics.max_drawdown")),
        ("trades", field("metrics.trade_count")),
    ]
    show(list(reply.backtests), as_json=False, columns=columns, title="side by side")
    for metric, best in sorted(reply.best_by_metric.items()):
        stdout.print(f"best {metric}: {best}", markup=False)
    return 0


def register(commands: argparse._SubParsersAction) -> None:
    group = commands.add_parser("datasets", help="datasets on the mesh").add_subparsers(
        dest="action", required=True
    )
    upload = command(group, "upload", "upload a CSV or Parquet file (with a progress bar)", _upload)
    upload.add_argument("file")
    upload.add_argument("--name", help="display name (default: the file name)")
    upload.add_argument("--symbol", help="the symbol, when the file has no symbol column")
    upload.add_argument("--timeframe", help="e.g. 1_day, 1_hour, 5_minutes (gaps are checked against it)")
    paging_arguments(
        command(group, "list", "datasets you can use (yours and the platform's)", _list_datasets)
    )
    command(group, "describe", "a dataset and its statistics", _describe).add_argument("dataset_id")
    generate = command(group, "generate", "generate a synthetic OHLCV dataset (seeded)", _generate)
    generate.add_argument("--name", required=True)
    generate.add_argument("--symbol", default="SYN")
    generate.add_argument("--bars", type=int, default=1260)
    generate.add_argument("--seed", type=int, default=7)
    generate.add_argument("--timeframe", default="1_day")
    generate.add_argument("--platform", action="store_true", help="visible to every user (admins only)")

    group = commands.add_parser("backtests", help="stored backtests").add_subparsers(
        dest="action", required=True
    )
    run = command(group, "run", "backtest a workflow on a dataset as a job, following it live", _run)
    run.add_argument("--workflow", required=True, help="workflow id")
    run.add_argument("--version", type=int, default=0)
    run.add_argument("--dataset", required=True, help="dataset id")
    run.add_argument("--backtest-config", help="JSON file of alphintra.strategy.v1.BacktestConfig")
    run.add_argument("--name")
    run.add_argument("--report", help="also write the HTML report to this file")
    report = command(group, "report", "write a backtest's HTML report", _report, json_flag=False)
    report.add_argument("backtest_id")
    report.add_argument("--out", required=True)
    paging_arguments(command(group, "list", "your backtests", _list_backtests))
    command(group, "compare", "several backtests side by side", _compare).add_argument(
        "backtest_ids", nargs="+"
    )
