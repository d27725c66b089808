"""The predictor's transport-free facade: what the gRPC handlers (both protocols) call.

`start` does everything synchronous about a prediction (route, check, enqueue) and returns a
`PendingPrediction`, so a stream can enqueue message after message without waiting for each
result: the batcher sees them all, and the stream answers them in order. Awaiting the result
handles an inference failure: the breaker counts it and the request is retried once on the
model's fallback version (marked `fallback`), so a broken new version costs no failed
requests while a healthy previous one is loaded.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import numpy as np

from services.core.errors import (
    FieldViolation,
    Internal,
    InvalidArgument,
    NotFound,
    PermissionDenied,
    Unauthenticated,
)
from services.core.ownership import Caller, Role
from services.mesh.identity import current_caller
from services.predictor.batcher import InferenceFailed, Outputs
from services.predictor.drift_monitor import DriftMonitor
from services.predictor.drift_tracker import DriftReport
from services.predictor.model_access import ModelAccess
from services.predictor.namespaces import is_registry_key
from services.predictor.repository import ModelRepository
from services.predictor.served import ServedModel, ServedVersion
from services.predictor.traffic import TrafficSplit

log = logging.getLogger("alphintra.predictor")


@dataclass(frozen=True, slots=True)
class Prediction:
    served: ServedVersion
    outputs: Outputs
    fallback: bool


class PendingPrediction:
    __slots__ = ("_app", "_future", "_route", "_rows", "_served", "_started")

    def __init__(
        self,
        app: Predictor,
        served: ServedVersion,
        *,
        route: str,
        rows: np.ndarray,
        future: asyncio.Future[Outputs],
        started: float,
    ) -> None:
        self._app = app
        self._served = served
        self._route = route
        self._rows = rows
        self._future = future
        self._started = started

    def cancel(self) -> None:
        self._future.cancel()

    async def result(self) -> Prediction:
        served, route = self._served, self._route
        try:
            outputs = await self._future
        except InferenceFailed as error:
            served, route = self._app.after_failure(served, route, error), "fallback"
            try:
                outputs = await served.batcher.submit(self._rows)  # type: ignore[union-attr]
            except InferenceFailed as second:
                self._app.count_failure(served, second)
                raise Internal(f"{served.model_name} failed on this input: {second}") from None
        breaker = served.breaker
        if breaker.is_open:
            served.metrics.breaker_open.set(0)
        breaker.record_success()
        metrics = served.metrics
        metrics.request_seconds.observe(time.perf_counter() - self._started)
        metrics.rows.inc(self._rows.shape[0])
        metrics.requests[route].inc()
        if route == "fallback":
            metrics.fallbacks.inc()
        return Prediction(served, outputs, route == "fallback")


class Predictor:
    def __init__(
        self,
        repository: ModelRepository,
        drift: DriftMonitor,
        clock: Callable[[], datetime],
        access: ModelAccess,
    ) -> None:
        self.repository = repository
        self.drift = drift
        self.clock = clock
        self.access = access

    # -- names -----------------------------------------------------------------------------

    def resolve_now(self, name: str) -> str | None:
        """The repository key the caller's model name means, or None when the registry must confirm it.

        Raises NotFound for a model the caller may not use (`model_access`).
        """
        return self.access.resolve_now(optional_caller(), name, self.repository.models)

    async def resolve(self, name: str) -> str:
        return await self.access.resolve(optional_caller(), name, self.repository.models)

    # -- predictions ---------------------------------------------------------------------

    def start_served(
        self, key: str, version: int | None, alias: str | None, routing_key: str, rows: np.ndarray
    ) -> PendingPrediction:
        """Route and enqueue one request by repository key (resolved for the caller, or the predictor's
        own deployments); raises the request's error (NotFound, InvalidArgument...)."""
        served, route = self.repository.choose(key, version, alias, routing_key)
        return self.enqueue(served, route, rows, time.perf_counter())

    def enqueue(
        self, served: ServedVersion, route: str, rows: np.ndarray, started: float
    ) -> PendingPrediction:
        """Check the rows against the chosen version and queue them for its next batch."""
        expected = served.signature.feature_count
        if rows.shape[1] != expected:
            raise InvalidArgument(
                f"{served.model_name} version {served.version} takes {expected} features per row, "
                f"not {rows.shape[1]}",
                [FieldViolation("features.columns", f"must be {expected}")],
            )
        future = served.batcher.submit(rows)  # type: ignore[union-attr]
        return PendingPrediction(self, served, route=route, rows=rows, future=future, started=started)

    async def predict(
        self, name: str, version: int | None, alias: str | None, routing_key: str, rows: np.ndarray
    ) -> Prediction:
        key = await self.resolve(name)
        return await self.start_served(key, version, alias, routing_key, rows).result()

    def count_failure(self, served: ServedVersion, error: InferenceFailed) -> None:
        served.metrics.inference_errors.inc()
        if served.breaker.record_failure():
            served.metrics.breaker_open.set(1)
            log.warning(
                "circuit opened for model %s version %d after repeated inference errors: %s",
                served.model_name,
                served.version,
                error,
            )

    def after_failure(self, served: ServedVersion, route: str, error: InferenceFailed) -> ServedVersion:
        """Count a failed inference; the version to retry on, or raise the request's error.

        A request that named its version gets that version's error; any other is retried on
        the model's fallback when one is ready.
        """
        self.count_failure(served, error)
        model = self.repository.models.get(served.model_name)
        fallback = None
        if route != "version" and model is not None:
            fallback = self.repository.fallback_for(model, served.version)
        if fallback is None:
            raise Internal(f"{served.model_name} version {served.version} failed on this input: {error}")
        return fallback

    # -- operators -------------------------------------------------------------------------

    async def load_model(
        self,
        caller: Caller,
        name: str,
        *,
        version: int | None,
        alias: str | None,
        make_default: bool,
        wait: bool,
    ) -> ServedModel:
        require_admin(caller)
        # an operator serves models of their own organisation (the registry decides), never another's
        if is_registry_key(name) and not await self.access.listed(caller, name):
            raise NotFound("model", name)
        return await self.repository.load(
            name, version=version, alias=alias, make_default=make_default, wait=wait
        )

    def unload_model(self, caller: Caller, name: str, version: int) -> ServedModel:
        require_admin(caller)
        return self.repository.unload(name, version)

    def set_traffic_split(self, caller: Caller, name: str, split: TrafficSplit | None) -> ServedModel:
        require_admin(caller)
        return self.repository.set_split(name, split)

    async def list_models(self, name: str) -> list[ServedModel]:
        if name:
            return [self.repository.model(await self.resolve(name))]
        caller = optional_caller()
        models = self.repository.models
        listed = [key for key in sorted(models) if await self.access.listed(caller, key)]
        # a model unloaded while the registry was asked is no longer listed
        return [models[key] for key in listed if key in models]

    async def drift_report(self, name: str, version: int, window_seconds: float) -> DriftReport:
        model = self.repository.model(await self.resolve(name))
        number = version or model.default_version
        served = model.ready_version(number)
        if served is None:
            raise NotFound("model version", f"{name}/{number}")
        return await self.drift.report(served, window_seconds)


def require_admin(caller: Caller) -> None:
    if caller.role is not Role.ADMIN:
        raise PermissionDenied("loading, unloading and splitting models is for admins")


def optional_caller() -> Caller | None:
    """The caller if the call carries an identity; None for anonymous in-mesh calls (platform models only)."""
    try:
        return current_caller()
    except Unauthenticated:
        return None
