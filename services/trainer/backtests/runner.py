"""The BACKTEST job runner (`kinds.RUNNERS`): load the dataset, run the backtest, store what it made.

It runs in the job's own process (see `services.trainer.jobs.contract`), so it opens its own
connection (psycopg, synchronous: there is no event loop here). When the job fills a stored
backtest (CreateBacktest), its trades, result and HTML report (in the artifact store) are written to
that backtest's row; the job's result keeps the metrics and the equity curve.
"""

from __future__ import annotations

import psycopg

from alphintra.trainer.v1 import training_service_pb2 as messages
from services.mesh.artifacts import ArtifactStore
from services.trainer.backtests.runs import BacktestOutput, report_html, run_backtest
from services.trainer.datasets.loading import load_bars_sync
from services.trainer.jobs.contract import JobContext, JobEnvironment


def run_backtest_job(
    config: messages.JobConfig, context: JobContext, environment: JobEnvironment
) -> messages.JobResult:
    job = config.backtest
    context.progress(0.0, "loading the dataset")
    record, bars = load_bars_sync(
        environment.database_url,
        environment.artifacts_root,
        context.owner_id,
        job.dataset_id,
        schema=environment.schema,
    )
    context.log(f"dataset {job.dataset_id}: {len(bars)} bars ({record.content_hash})")
    context.check_cancelled()
    context.progress(0.2, "backtesting")
    output = run_backtest(job.spec, bars, job.backtest, "job.config.backtest.backtest")
    context.check_cancelled()
    context.progress(0.8, "storing the result")
    if job.backtest_id:
        symbol = record.symbols[0] if len(record.symbols) == 1 else ""
        html = report_html(output, f"Backtest on {record.display_name}", symbol)
        digest = ArtifactStore(environment.artifacts_root).put_bytes(html.encode()).digest
        _store(environment, job.backtest_id, output, record.content_hash, digest)
    metrics = output.result.metrics
    context.log(
        f"{metrics.trade_count} trades, total return {metrics.total_return:.2%}, "
        f"sharpe {metrics.sharpe_ratio:.2f}"
    )
    context.progress(1.0, "done")
    kept = messages.BacktestJobResult(result=output.result, backtest_id=job.backtest_id)
    kept.result.ClearField("trades")
    return messages.JobResult(backtest=kept)


def _store(
    environment: JobEnvironment,
    backtest_id: str,
    output: BacktestOutput,
    content_hash: str,
    report_digest: str,
) -> None:
    result = type(output.result)()
    result.CopyFrom(output.result)
    trades = type(output.result)(trades=result.trades)
    result.ClearField("trades")
    with psycopg.connect(environment.database_url) as connection:
        connection.execute(
            f"""UPDATE {environment.schema}.backtests SET result = %s, trades = %s, trade_count = %s,
                    dataset_content_hash = %s, report_digest = %s WHERE id = %s""",  # noqa: S608 - schema checked by the worker
            (
                result.SerializeToString(),
                trades.SerializeToString(),
                len(trades.trades),
                content_hash,
                report_digest,
                backtest_id,
            ),
        )
