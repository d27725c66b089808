"""The backtest service's facade: synchronous runs, stored backtests run as jobs, and their reads."""

from __future__ import annotations

import asyncio
import hashlib
import uuid
from collections.abc import Callable
from datetime import datetime

import asyncpg

from alphintra.common.v1 import bar_pb2
from alphintra.strategy.v1 import backtest_pb2, strategy_spec_pb2
from alphintra.trainer.v1 import backtest_service_pb2 as messages
from alphintra.trainer.v1 import training_service_pb2
from services.core.backtest.inputs import Bars
from services.core.errors import AlreadyExists, FailedPrecondition, FieldViolation, InvalidArgument, NotFound
from services.core.ownership import Caller, Ownership, Role, can_read, require_readable, require_role
from services.core.paging import next_page_token, page_request
from services.mesh import conversions
from services.mesh.artifacts import ArtifactStore
from services.mesh.walk_forward import walk_forward_backtest
from services.trainer.backtests.messages import (
    JOB_STATE_OF_STATE,
    backtest_from_row,
    best_by_metric,
    normalized_curve,
)
from services.trainer.backtests.runs import bars_content_hash, run_backtest
from services.trainer.backtests.store import BacktestFilter, BacktestStore, NewBacktest
from services.trainer.backtests.validation import config_violations, spec_violations
from services.trainer.datasets.loading import load_bars
from services.trainer.jobs.app import JobsApp, Page
from services.trainer.modeling.workflow_client import WorkflowClient

RESOURCE = "backtest"
MIN_COMPARED, MAX_COMPARED = 2, 10


def _name(backtest_id: str) -> str:
    return f"backtests/{backtest_id}"


class BacktestsApp:
    def __init__(
        self,
        store: BacktestStore,
        jobs: JobsApp,
        pool: asyncpg.Pool,
        artifacts: ArtifactStore,
        *,
        clock: Callable[[], datetime],
        new_id: Callable[[], str] | None = None,
        workflow_address: str | None = None,
    ) -> None:
        self._workflow_address = workflow_address
        self._store = store
        self._jobs = jobs
        self._pool = pool
        self._artifacts = artifacts
        self._clock = clock
        self._new_id = new_id or (lambda: uuid.uuid4().hex)

    async def run(
        self,
        caller: Caller,
        spec: strategy_spec_pb2.StrategySpec | None,
        config: backtest_pb2.BacktestConfig,
        *,
        dataset_id: str,
        bars: bar_pb2.BarSeries | None,
    ) -> messages.RunBacktestResponse:
        violations = spec_violations(spec or strategy_spec_pb2.StrategySpec(), spec is not None, "spec")
        violations += config_violations(config, "config")
        chosen = dataset_id or (spec.data_source.dataset_id if spec is not None else "")
        if bars is None and not chosen:
            violations.append(FieldViolation("data", "send bars, a dataset_id, or a spec with a dataset"))
        if violations:
            raise InvalidArgument("invalid backtest", violations)
        assert spec is not None
        if bars is not None:
            domain_bars = conversions.bars_from_proto(bars, "bars")
            content_hash = bars_content_hash(domain_bars)
        else:
            record, domain_bars = await load_bars(self._pool, self._artifacts, caller, chosen)
            content_hash = record.content_hash
        if config.methodology == backtest_pb2.METHODOLOGY_WALK_FORWARD:
            result = await asyncio.to_thread(self._walk_forward, caller, spec, domain_bars, config)
            return messages.RunBacktestResponse(result=result, data_content_hash=content_hash)
        output = await asyncio.to_thread(run_backtest, spec, domain_bars, config)
        return messages.RunBacktestResponse(result=output.result, data_content_hash=content_hash)

    def _walk_forward(
        self,
        caller: Caller,
        spec: strategy_spec_pb2.StrategySpec,
        bars: Bars,
        config: backtest_pb2.BacktestConfig,
    ) -> backtest_pb2.BacktestResult:
        """Walk-forward re-optimises the graph in every window: read it from the workflow service
        (as the caller, whose workflow it must be), then run it as the workflow service does."""
        if not spec.workflow_id:
            raise InvalidArgument(
                "walk-forward needs the workflow graph",
                [FieldViolation("spec.workflow_id", "walk-forward runs on a stored workflow's spec")],
            )
        with WorkflowClient(self._workflow_address, caller.user_id) as workflows:
            graph = workflows.version(spec.workflow_id, spec.workflow_version).graph
        domain_config = conversions.config_from_proto(config, "config")
        return walk_forward_backtest(graph, bars, domain_config, config, "config")

    async def create(self, caller: Caller, request: messages.CreateBacktestRequest) -> messages.Backtest:
        require_role(caller, Role.TRADER)
        dataset_id = request.dataset_id or request.spec.data_source.dataset_id
        violations = spec_violations(request.spec, request.HasField("spec"), "spec")
        violations += config_violations(request.config, "config")
        if not dataset_id:
            violations.append(
                FieldViolation("dataset_id", "required: stored backtests run on stored datasets")
            )
        if request.config.methodology == backtest_pb2.METHODOLOGY_WALK_FORWARD:
            violations.append(
                FieldViolation(
                    "config.methodology", "walk-forward runs from the workflow (it needs the graph)"
                )
            )
        if violations:
            raise InvalidArgument("invalid backtest", violations)
        fingerprint = hashlib.sha256(request.SerializeToString(deterministic=True)).hexdigest()
        if request.request_id:
            earlier = await self._store.find_by_request(caller.user_id, request.request_id)
            if earlier is not None:
                return _same_request(earlier, fingerprint, request.request_id)
        owner = await self._store.dataset_owner(dataset_id)
        if owner is None or not (owner.owner_id == "" or can_read(caller, owner)):
            raise NotFound("dataset", f"datasets/{dataset_id}")
        backtest_id = self._new_id()
        new = NewBacktest(
            backtest_id=backtest_id,
            ownership=Ownership(caller.user_id, caller.organization_id),
            display_name=request.display_name,
            spec=request.spec.SerializeToString(),
            config=request.config.SerializeToString(),
            dataset_id=dataset_id,
            workflow_id=request.spec.workflow_id,
            workflow_version=request.spec.workflow_version,
            request_id=request.request_id,
            request_hash=fingerprint,
        )
        if not await self._store.insert(new, self._clock()):
            earlier = await self._store.find_by_request(caller.user_id, request.request_id)
            assert earlier is not None
            return _same_request(earlier, fingerprint, request.request_id)
        job = training_service_pb2.Job(
            kind=training_service_pb2.JOB_KIND_BACKTEST,
            display_name=request.display_name or f"backtest {backtest_id}",
        )
        job.config.backtest.spec.CopyFrom(request.spec)
        job.config.backtest.dataset_id = dataset_id
        job.config.backtest.backtest.CopyFrom(request.config)
        job.config.backtest.backtest_id = backtest_id
        try:
            queued = await self._jobs.create(caller, job, "")
        except BaseException:
            await self._store.delete(backtest_id)
            raise
        await self._store.attach_job(backtest_id, queued.id)
        return await self.get(caller, backtest_id)

    async def _readable(self, caller: Caller, backtest_id: str) -> asyncpg.Record:
        row = await self._store.get(backtest_id) if backtest_id else None
        if row is None:
            raise NotFound(RESOURCE, _name(backtest_id))
        require_readable(
            caller, Ownership(row["owner_id"], row["organization_id"]), RESOURCE, _name(backtest_id)
        )
        return row

    async def _finished(self, caller: Caller, backtest_id: str) -> asyncpg.Record:
        row = await self._readable(caller, backtest_id)
        if row["state"] != "succeeded" or row["result"] is None:
            raise FailedPrecondition(
                f"backtest {_name(backtest_id)} has not finished (it is {row['state']})",
                [("STATE", _name(backtest_id), f"the backtest is {row['state']}")],
            )
        return row

    async def get(self, caller: Caller, backtest_id: str) -> messages.Backtest:
        return backtest_from_row(await self._readable(caller, backtest_id))

    async def list(self, caller: Caller, request: messages.ListBacktestsRequest) -> Page[messages.Backtest]:
        query = {"workflow_id": request.workflow_id, "dataset_id": request.dataset_id, "state": request.state}
        page = page_request(request.page_size, request.page_token, query)
        where = BacktestFilter(
            visible_to_user=caller.user_id,
            visible_to_organization=caller.organization_id if caller.role is Role.ADMIN else "",
            workflow_id=request.workflow_id,
            dataset_id=request.dataset_id,
            state=JOB_STATE_OF_STATE.get(request.state, ""),
        )
        rows, last_key = await self._store.list(where, page)
        return Page(
            [backtest_from_row(row, metrics_only=True) for row in rows], next_page_token(last_key, query)
        )

    async def trades(
        self, caller: Caller, backtest_id: str, page_size: int, page_token: str
    ) -> tuple[list[backtest_pb2.Trade], str, int]:
        query = {"backtest_id": backtest_id}
        page = page_request(page_size, page_token, query, default=100, maximum=1000)
        await self._finished(caller, backtest_id)
        stored = backtest_pb2.BacktestResult.FromString(await self._store.trades(backtest_id) or b"")
        start = int(page.after[0]) if page.after else 0
        chosen = list(stored.trades[start : start + page.size])
        more = start + page.size < len(stored.trades)
        return chosen, next_page_token((start + page.size,) if more else None, query), len(stored.trades)

    async def report(self, caller: Caller, backtest_id: str) -> bytes:
        row = await self._finished(caller, backtest_id)
        return await asyncio.to_thread(self._artifacts.path(row["report_digest"]).read_bytes)

    async def compare(
        self, caller: Caller, backtest_ids: list[str], max_points: int
    ) -> messages.CompareBacktestsResponse:
        if not MIN_COMPARED <= len(backtest_ids) <= MAX_COMPARED:
            raise InvalidArgument(
                "compare 2 to 10 backtests",
                [
                    FieldViolation(
                        "backtest_ids",
                        f"{len(backtest_ids)} given; between {MIN_COMPARED} and {MAX_COMPARED}",
                    )
                ],
            )
        if max_points < 0 or max_points == 1:
            raise InvalidArgument(
                "invalid max_equity_points", [FieldViolation("max_equity_points", "0 or ≥ 2")]
            )
        compared = []
        for backtest_id in backtest_ids:
            backtest = backtest_from_row(await self._finished(caller, backtest_id))
            compared.append(
                messages.ComparedBacktest(
                    backtest_id=backtest_id,
                    display_name=backtest.display_name,
                    metrics=backtest.result.metrics,
                    normalized_equity_curve=normalized_curve(backtest.result, max_points or 500),
                )
            )
        return messages.CompareBacktestsResponse(backtests=compared, best_by_metric=best_by_metric(compared))


def _same_request(earlier: asyncpg.Record, fingerprint: str, request_id: str) -> messages.Backtest:
    if earlier["request_hash"] != fingerprint:
        raise AlreadyExists("request", request_id, f"request_id {request_id!r} was used for another backtest")
    return backtest_from_row(earlier)
