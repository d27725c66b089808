"""The experiment tracker's transport-free facade: what each ExperimentService RPC means.

Experiments are owned, and their runs with them: the owner reads and writes; an admin of the same
organisation may read; everyone else gets NOT_FOUND. Lists and searches without experiment ids
cover the caller's own experiments. Parameters are written once (a changed value is refused),
tags overwrite, metrics append as time series. Trainer jobs record their runs through this same
facade (`services.trainer.modeling.tracking`), with the run's `job_id` set. Artifacts are kept
in the content-addressed store; a run names them by tags "artifact.<name>" = "sha256:<hex>".
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from google.protobuf.message import Message

from alphintra.trainer.v1 import experiment_service_pb2 as messages
from services.core.errors import (
    Aborted,
    AlreadyExists,
    FailedPrecondition,
    FieldViolation,
    InvalidArgument,
    NotFound,
)
from services.core.modeling.run_filter import parse_filter, parse_order_by
from services.core.ownership import Caller, Ownership, Role, require_readable, require_role, require_writable
from services.core.paging import next_page_token, page_request
from services.trainer.experiments import rules
from services.trainer.experiments.store import ExperimentStore, MetricPoint, NewRun, StoredRun, status_name

EXPERIMENT = "experiment"
RUN = "run"
MIN_COMPARED, MAX_COMPARED = 2, 20


@dataclass(frozen=True, slots=True)
class Page:
    items: list
    next_page_token: str


def _hash(message: Message) -> str:
    return hashlib.sha256(message.SerializeToString(deterministic=True)).hexdigest()


def _time(message: Message, field: str) -> datetime | None:
    return getattr(message, field).ToDatetime(tzinfo=UTC) if message.HasField(field) else None


def _experiment_name(experiment_id: str) -> str:
    return f"experiments/{experiment_id}"


def _run_name(run_id: str) -> str:
    return f"runs/{run_id}"


class ExperimentsApp:
    def __init__(self, store: ExperimentStore, clock: Callable[[], datetime]) -> None:
        self._store = store
        self._clock = clock

    # -- experiments -----------------------------------------------------------------------

    async def create_experiment(
        self, caller: Caller, experiment: messages.Experiment, request_id: str
    ) -> messages.Experiment:
        require_role(caller, Role.TRADER)
        rules.check_experiment(experiment)
        kept = messages.Experiment(
            id=uuid.uuid4().hex,
            display_name=experiment.display_name.strip(),
            description=experiment.description,
        )
        kept.tags.update(experiment.tags)
        fingerprint = _hash(messages.CreateExperimentRequest(experiment=experiment)) if request_id else None
        if request_id:
            earlier = await self._store.experiment_by_request(caller.user_id, request_id)
            if earlier is not None:
                return self._replayed(earlier, fingerprint, request_id)
        ownership = Ownership(caller.user_id, caller.organization_id)
        if await self._store.create_experiment(
            kept, ownership, request_id or None, fingerprint, self._clock()
        ):
            return await self.get_experiment(caller, kept.id)
        earlier = await self._store.experiment_by_request(caller.user_id, request_id) if request_id else None
        if earlier is not None:
            return self._replayed(earlier, fingerprint, request_id)
        raise AlreadyExists(
            EXPERIMENT, kept.display_name, f"you already have an experiment named {kept.display_name!r}"
        )

    @staticmethod
    def _replayed(earlier, fingerprint: str | None, request_id: str) -> messages.Experiment:
        if earlier.request_hash != fingerprint:
            raise AlreadyExists("request", request_id, "request_id was used for a different experiment")
        return earlier.experiment

    async def get_experiment(self, caller: Caller, experiment_id: str) -> messages.Experiment:
        stored = await self._store.get_experiment(experiment_id) if experiment_id else None
        if stored is None:
            raise NotFound(EXPERIMENT, _experiment_name(experiment_id))
        require_readable(caller, stored.ownership, EXPERIMENT, _experiment_name(experiment_id))
        return stored.experiment

    async def experiment_named(
        self, caller: Caller, display_name: str, request_id: str
    ) -> messages.Experiment:
        """The caller's experiment of that name, created if it does not exist (trainer jobs use it)."""
        found = await self._store.experiment_by_name(caller.user_id, display_name)
        if found is not None:
            return found.experiment
        try:
            return await self.create_experiment(
                caller, messages.Experiment(display_name=display_name), request_id
            )
        except AlreadyExists:  # created meanwhile by another job
            found = await self._store.experiment_by_name(caller.user_id, display_name)
            if found is None:
                raise
            return found.experiment

    async def list_experiments(self, caller: Caller, page_size: int, page_token: str, query: str) -> Page:
        filters = {"query": query}
        page = page_request(page_size, page_token, filters, default=50, maximum=100)
        after = (datetime.fromisoformat(page.after[0]), str(page.after[1])) if page.after else None
        rows = await self._store.list_experiments(caller.user_id, query, after, page.size + 1)
        items = [row.experiment for row in rows[: page.size]]
        last = items[-1] if len(rows) > page.size else None
        key = (last.update_time.ToDatetime(tzinfo=UTC).isoformat(), last.id) if last else None
        return Page(items, next_page_token(key, filters))

    # -- runs ------------------------------------------------------------------------------

    async def _run(self, caller: Caller, run_id: str, *, write: bool) -> StoredRun:
        stored = await self._store.get_run(run_id) if run_id else None
        if stored is None:
            raise NotFound(RUN, _run_name(run_id))
        check = require_writable if write else require_readable
        check(caller, stored.ownership, RUN, _run_name(run_id))
        return stored

    async def create_run(
        self, caller: Caller, request: messages.CreateRunRequest, *, job_id: str = ""
    ) -> messages.Run:
        require_role(caller, Role.TRADER)
        rules.check_new_run(request)
        experiment = (
            await self._store.get_experiment(request.experiment_id) if request.experiment_id else None
        )
        if experiment is None:
            raise NotFound(EXPERIMENT, _experiment_name(request.experiment_id))
        require_writable(caller, experiment.ownership, EXPERIMENT, _experiment_name(request.experiment_id))
        fingerprint = _hash(request) if request.request_id else None
        if request.request_id:
            earlier = await self._store.run_by_request(caller.user_id, request.request_id)
            if earlier is not None:
                return self._replayed_run(earlier, fingerprint, request.request_id)
        status = status_name(request.status or messages.RUN_STATUS_RUNNING)
        new = NewRun(
            run_id=uuid.uuid4().hex, experiment_id=request.experiment_id, ownership=experiment.ownership,
            display_name=request.display_name.strip(), status=status,
            start_time=_time(request, "start_time") or self._clock(), job_id=job_id,
            params=dict(request.params), tags={key: value for key, value in request.tags.items() if value},
            request_id=request.request_id or None, request_hash=fingerprint,
        )  # fmt: skip
        if not await self._store.create_run(new, self._clock()):
            earlier = await self._store.run_by_request(caller.user_id, request.request_id)
            if earlier is None:
                raise Aborted("the run could not be created; try again")
            return self._replayed_run(earlier, fingerprint, request.request_id)
        return (await self._run(caller, new.run_id, write=False)).run

    @staticmethod
    def _replayed_run(earlier: StoredRun, fingerprint: str | None, request_id: str) -> messages.Run:
        if earlier.request_hash != fingerprint:
            raise AlreadyExists("request", request_id, "request_id was used for a different run")
        return earlier.run

    async def get_run(self, caller: Caller, run_id: str) -> messages.Run:
        return (await self._run(caller, run_id, write=False)).run

    async def log_metrics(self, caller: Caller, run_id: str, metrics: Sequence[messages.Metric]) -> None:
        rules.check_metrics(metrics)
        await self._run(caller, run_id, write=True)
        now = self._clock()
        points = [
            MetricPoint(
                item.key,
                item.value,
                item.step,
                item.time.ToDatetime(tzinfo=UTC) if item.HasField("time") else now,
            )
            for item in metrics
        ]
        status = await self._store.log_metrics(run_id, points)
        if status is None:
            raise NotFound(RUN, _run_name(run_id))
        if status != "RUNNING":
            raise FailedPrecondition(
                f"run {run_id} has ended ({status}): metrics are no longer accepted",
                [("RUN_STATUS", _run_name(run_id), f"status {status}")],
            )

    async def log_params(self, caller: Caller, run_id: str, params: dict[str, str]) -> None:
        rules.check_params(params)
        await self._run(caller, run_id, write=True)
        existing = await self._store.log_params(run_id, params)
        changed = sorted(key for key, value in existing.items() if value != params[key])
        if changed:
            raise InvalidArgument(
                "a parameter keeps the value it was first logged with",
                [
                    FieldViolation(f"params[{key}]", f"already logged as {existing[key][:100]!r}")
                    for key in changed
                ],
            )

    async def set_tags(self, caller: Caller, run_id: str, tags: dict[str, str]) -> None:
        rules.check_tags(tags)
        await self._run(caller, run_id, write=True)
        await self._store.set_tags(run_id, tags)

    async def update_run(self, caller: Caller, run: messages.Run, paths: Sequence[str]) -> messages.Run:
        current = await self._run(caller, run.id, write=True)
        current_status = status_name(current.run.status)
        new_status = status_name(run.status)
        rules.check_update(paths, current_status, new_status)
        try:
            expected = int(run.etag) if run.etag else None
        except ValueError:
            raise InvalidArgument(
                "invalid etag", [FieldViolation("run.etag", "an etag a run returned")]
            ) from None
        status = new_status if "status" in paths else None
        end_time = (
            run.end_time.ToDatetime(tzinfo=UTC) if "end_time" in paths and run.HasField("end_time") else None
        )
        if status in rules.TERMINAL and end_time is None and not current.run.HasField("end_time"):
            end_time = self._clock()
        display_name = run.display_name.strip()[: rules.MAX_NAME] if "display_name" in paths else None
        updated = await self._store.update_run(
            run.id, expected_etag=expected, display_name=display_name, status=status, end_time=end_time
        )
        if updated is None:
            raise Aborted(f"run {run.id} changed since etag {run.etag}: read it again", reason="STALE_ETAG")
        return updated.run

    # -- search and comparison -------------------------------------------------------------

    async def search_runs(self, caller: Caller, request: messages.SearchRunsRequest) -> Page:
        comparisons = parse_filter(request.filter)
        order = parse_order_by(list(request.order_by))
        for experiment_id in request.experiment_ids:
            await self.get_experiment(caller, experiment_id)
        query = {"experiments": sorted(request.experiment_ids), "filter": request.filter,
                 "order": list(request.order_by)}  # fmt: skip
        page = page_request(request.page_size, request.page_token, query, default=100, maximum=1000)
        offset = int(page.after[0]) if page.after else 0
        owner = None if request.experiment_ids else caller.user_id
        rows = await self._store.search(
            owner, list(request.experiment_ids), comparisons, order, offset=offset, limit=page.size + 1
        )
        items = [row.run for row in rows[: page.size]]
        more = len(rows) > page.size
        return Page(items, next_page_token((offset + page.size,), query) if more else "")

    async def compare_runs(
        self, caller: Caller, run_ids: Sequence[str], history_keys: Sequence[str]
    ) -> messages.CompareRunsResponse:
        if not MIN_COMPARED <= len(run_ids) <= MAX_COMPARED:
            raise InvalidArgument(
                "invalid comparison",
                [FieldViolation("run_ids", f"from {MIN_COMPARED} to {MAX_COMPARED} run ids")],
            )
        found = await self._store.get_runs(run_ids)
        for run_id in run_ids:
            stored = found.get(run_id)
            if stored is None:
                raise NotFound(RUN, _run_name(run_id))
            require_readable(caller, stored.ownership, RUN, _run_name(run_id))
        runs = [found[run_id].run for run_id in run_ids]
        param_keys = sorted({key for run in runs for key in run.params})
        response = messages.CompareRunsResponse(
            runs=runs,
            param_keys=param_keys,
            metric_keys=sorted({metric.key for run in runs for metric in run.latest_metrics}),
            differing_param_keys=[
                key for key in param_keys if len({run.params.get(key) for run in runs}) > 1
            ],
        )
        histories: dict[tuple[str, str], messages.MetricHistory] = {}
        for row in await self._store.metric_history(list(dict.fromkeys(run_ids)), list(history_keys)):
            history = histories.setdefault(
                (row["run_id"], row["key"]), messages.MetricHistory(run_id=row["run_id"], key=row["key"])
            )
            point = history.points.add(key=row["key"], value=row["value"], step=row["step"])
            point.time.FromDatetime(row["time"])
        response.metric_histories.extend(
            histories[(run_id, key)]
            for run_id in dict.fromkeys(run_ids)
            for key in history_keys
            if (run_id, key) in histories
        )
        return response
