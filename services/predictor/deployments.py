"""Live deployments: the transport-free facade the DeploymentService handlers call.

A deployment is checked and resolved (models, their feature specs, or the strategy) before it is
stored, so a request that cannot run leaves nothing behind. It is stored STARTING, its runner
starts, and it becomes RUNNING once warmed up (caught up with its topic's history). Running
deployments are restarted from PostgreSQL when the predictor starts again, resuming from the
feature cache. Deployments are their owner's: anybody else gets NOT_FOUND.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import hashlib
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from alphintra.predictor.v1 import deployment_service_pb2 as messages
from services.core.errors import (
    AlphintraError,
    AlreadyExists,
    FailedPrecondition,
    NotFound,
    PermissionDenied,
    ResourceExhausted,
)
from services.core.ownership import Caller, Role
from services.core.paging import next_page_token, page_request
from services.mesh.status import to_rpc_status
from services.predictor.app import Predictor
from services.predictor.deployment_checks import check_deployment
from services.predictor.deployment_plan import ModelMember, resolve_member
from services.predictor.deployment_runner import DeploymentRunner
from services.predictor.deployment_store import DeploymentStore, StoredDeployment
from services.predictor.feature_cache import FeatureCache, LatestFeatures
from services.predictor.peer_clients import SignalBusClient, WorkflowClient
from services.predictor.registry_client import RegistryClient
from services.predictor.settings import PredictorSettings

log = logging.getLogger("alphintra.predictor.deployments")

# how long CreateDeployment waits for the warm-up before answering STARTING
LIVE_WAIT_SECONDS = 60.0
# how long halting waits for the batch of bars in progress before cancelling it
HALT_GRACE_SECONDS = 10.0


@dataclass(frozen=True, slots=True)
class Peers:
    registry: RegistryClient
    workflows: WorkflowClient
    bus: SignalBusClient


class Deployments:
    def __init__(
        self,
        store: DeploymentStore,
        cache: FeatureCache,
        predictor: Predictor,
        peers: Peers,
        *,
        settings: PredictorSettings,
        clock: Callable[[], datetime],
    ) -> None:
        self._store = store
        self._cache = cache
        self._predictor = predictor
        self._peers = peers
        self._settings = settings
        self._clock = clock
        self._runners: dict[str, DeploymentRunner] = {}
        self._tasks: dict[str, asyncio.Task[None]] = {}

    # -- create ----------------------------------------------------------------------------

    async def create(
        self, caller: Caller, deployment: messages.Deployment, request_id: str
    ) -> messages.Deployment:
        if caller.role not in (Role.TRADER, Role.ADMIN):
            raise PermissionDenied("deploying needs the trader role")
        check_deployment(deployment)
        request_hash = hashlib.sha256(deployment.SerializeToString(deterministic=True)).hexdigest()
        if request_id:
            earlier = await self._store.by_request(caller.user_id, request_id)
            if earlier is not None:
                return self._replayed(earlier, request_hash)
        limit = self._limit(caller.tier)
        if await self._store.count_active(caller.user_id) >= limit:
            raise ResourceExhausted(f"the {caller.tier} plan runs at most {limit} deployments at once")
        record = messages.Deployment()
        record.CopyFrom(deployment)
        record.id = uuid.uuid4().hex
        record.owner_id = caller.user_id
        record.state = messages.DEPLOYMENT_STATE_STARTING
        members = await self._members(record)
        stored = await self._store.create(
            record, caller.tier, request_id or None, request_hash, self._clock()
        )
        if stored is None:
            earlier = await self._store.by_request(caller.user_id, request_id)
            assert earlier is not None
            return self._replayed(earlier, request_hash)
        runner = self._start(stored.deployment, members)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(runner.live.wait(), LIVE_WAIT_SECONDS)
        if runner.live.is_set():
            await self._store.set_state(
                stored.deployment.id, messages.DEPLOYMENT_STATE_RUNNING, self._clock()
            )
        return await self._view(stored.deployment.id)

    def _replayed(self, earlier: StoredDeployment, request_hash: str) -> messages.Deployment:
        if earlier.request_hash != request_hash:
            raise AlreadyExists(
                "deployment request", earlier.deployment.id, "request_id was used for a different deployment"
            )
        return self._with_live_statistics(earlier.deployment)

    def _limit(self, tier: str) -> int:
        return {
            "pro": self._settings.deployment_limit_pro,
            "premium": self._settings.deployment_limit_premium,
        }.get(tier, self._settings.deployment_limit_basic)

    async def _members(self, deployment: messages.Deployment) -> list[ModelMember]:
        source = deployment.WhichOneof("source")
        if source == "strategy":
            return []
        references = (
            [(deployment.model, 1.0)]
            if source == "model"
            else [(member.model, member.weight) for member in deployment.ensemble.members]
        )
        return [
            await resolve_member(
                deployment.owner_id,
                reference,
                weight,
                registry=self._peers.registry,
                workflows=self._peers.workflows,
                repository=self._predictor.repository,
            )
            for reference, weight in references
        ]

    def _start(self, deployment: messages.Deployment, members: list[ModelMember]) -> DeploymentRunner:
        runner = DeploymentRunner(
            deployment,
            members,
            predictor=self._predictor,
            bus=self._peers.bus,
            cache=self._cache,
            store=self._store,
            retry_seconds=self._settings.deployment_retry_seconds,
            clock=self._clock,
        )
        self._runners[deployment.id] = runner
        # a fresh context: the runner outlives the request that started it, so its work (every bar's
        # prediction and publish) must not carry that request's id, identity or trace
        task = asyncio.get_running_loop().create_task(
            self._run(runner), name=f"deployment-{deployment.id}", context=contextvars.Context()
        )
        self._tasks[deployment.id] = task
        return runner

    async def _run(self, runner: DeploymentRunner) -> None:
        deployment_id = runner.deployment.id
        became_live = asyncio.create_task(runner.live.wait())
        running = asyncio.create_task(runner.run())
        try:
            done, _ = await asyncio.wait({became_live, running}, return_when=asyncio.FIRST_COMPLETED)
            if became_live in done:
                await self._store.set_state(deployment_id, messages.DEPLOYMENT_STATE_RUNNING, self._clock())
            await running
        except asyncio.CancelledError:
            running.cancel()
            became_live.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await running
            raise
        except Exception as error:  # a bug in the runner: the deployment fails visibly instead of silently
            log.exception("deployment %s failed", deployment_id)
            status = to_rpc_status(
                error if isinstance(error, AlphintraError) else AlphintraError(str(error)), deployment_id
            )
            await self._store.set_state(
                deployment_id, messages.DEPLOYMENT_STATE_FAILED, self._clock(), error=status, stopped=True
            )
            self._runners.pop(deployment_id, None)

    # -- stop, read ------------------------------------------------------------------------

    async def _owned(self, caller: Caller, deployment_id: str) -> StoredDeployment:
        stored = await self._store.get(deployment_id) if deployment_id else None
        if stored is None or stored.deployment.owner_id != caller.user_id:
            raise NotFound("deployment", f"deployments/{deployment_id}")
        return stored

    async def stop(self, caller: Caller, deployment_id: str, reason: str) -> messages.Deployment:
        stored = await self._owned(caller, deployment_id)
        if stored.deployment.state in (messages.DEPLOYMENT_STATE_STOPPED, messages.DEPLOYMENT_STATE_FAILED):
            return self._with_live_statistics(stored.deployment)
        await self._halt(deployment_id)
        await self._store.set_state(
            deployment_id, messages.DEPLOYMENT_STATE_STOPPED, self._clock(), stopped=True
        )
        log.info("deployment %s stopped: %s", deployment_id, reason or "no reason given")
        return await self._view(deployment_id)

    async def _halt(self, deployment_id: str) -> None:
        """Stop the runner between two batches. Its statistics then match its last checkpoint, which a
        restart resumes after; a batch cut short leaves the checkpoint's statistics (saved with it)."""
        task = self._tasks.pop(deployment_id, None)
        runner = self._runners.pop(deployment_id, None)
        between_batches = runner is not None and await runner.pause(HALT_GRACE_SECONDS)
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if runner is not None and between_batches:
            await self._store.save_statistics(deployment_id, runner.statistics.message())

    async def get(self, caller: Caller, deployment_id: str) -> messages.Deployment:
        stored = await self._owned(caller, deployment_id)
        return self._with_live_statistics(stored.deployment)

    async def list(
        self, caller: Caller, page_size: int, page_token: str, state: int
    ) -> tuple[list[messages.Deployment], str]:
        query = {"state": state}
        page = page_request(page_size, page_token, query)
        after = None
        if page.after:
            after = (datetime.fromisoformat(str(page.after[0])), str(page.after[1]))
        rows = await self._store.list(caller.user_id, state, after, page.size + 1)
        items = [self._with_live_statistics(row.deployment) for row in rows[: page.size]]
        token = ""
        if len(rows) > page.size:
            last = rows[page.size - 1].deployment
            token = next_page_token((last.create_time.ToDatetime().isoformat() + "+00:00", last.id), query)
        return items, token

    async def latest_features(self, caller: Caller, deployment_id: str, symbol: str) -> list[LatestFeatures]:
        stored = await self._owned(caller, deployment_id)
        if stored.deployment.state not in (
            messages.DEPLOYMENT_STATE_STARTING,
            messages.DEPLOYMENT_STATE_RUNNING,
        ):
            raise FailedPrecondition(f"deployment {deployment_id} is not running")
        found = await self._cache.latest(deployment_id)
        return [item for item in found if not symbol or item.symbol == symbol]

    async def _view(self, deployment_id: str) -> messages.Deployment:
        stored = await self._store.get(deployment_id)
        assert stored is not None
        return self._with_live_statistics(stored.deployment)

    def _with_live_statistics(self, deployment: messages.Deployment) -> messages.Deployment:
        view = messages.Deployment()
        view.CopyFrom(deployment)
        view.name = f"deployments/{deployment.id}"
        runner = self._runners.get(deployment.id)
        if runner is not None:
            view.statistics.CopyFrom(runner.statistics.message())
        return view

    # -- restart ---------------------------------------------------------------------------

    async def restore_all(self) -> None:
        """Restart every deployment that was running (in the background: peers may still be starting)."""
        for stored in await self._store.active():
            deployment = stored.deployment
            while True:
                try:
                    members = await self._members(deployment)
                    break
                except AlphintraError as error:
                    log.warning("deployment %s cannot restart yet: %s", deployment.id, error.message)
                    await asyncio.sleep(self._settings.deployment_retry_seconds)
            self._start(deployment, members)
            log.info("deployment %s restarted", deployment.id)

    async def close(self) -> None:
        for deployment_id in list(self._tasks):
            await self._halt(deployment_id)
