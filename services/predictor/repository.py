"""The model repository: loads versions beside each other, follows aliases, retires what nothing uses.

Loading (session, signature check, warm-up) runs in a worker thread, so the loop keeps
serving while a new version warms up. A version takes traffic only once it is READY; the
switch is one assignment on the loop (atomic for every request routed after it), and a
retired version's batcher is drained before its session is dropped, so requests finish on
the version they were routed to. A version that fails to load or to warm up is kept only as
a FAILED entry (for ListModels) and never routed to.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime

from services.core.errors import FailedPrecondition, InvalidArgument, NotFound, Unavailable
from services.core.monitoring.reference import FeatureReference, references_from_json
from services.predictor.batcher import Batcher
from services.predictor.breaker import CircuitBreaker
from services.predictor.drift_tracker import DriftTracker
from services.predictor.metrics import VersionMetrics
from services.predictor.model_source import PRODUCTION_ALIAS, AliasMove, ModelArtifact, ModelSource
from services.predictor.onnx_model import OnnxModel, load_model
from services.predictor.served import ServedModel, ServedVersion, ServingState
from services.predictor.settings import PredictorSettings
from services.predictor.traffic import TrafficSplit

log = logging.getLogger("alphintra.predictor.repository")


class ModelRepository:
    def __init__(
        self, source: ModelSource, settings: PredictorSettings, clock: Callable[[], datetime]
    ) -> None:
        self.source = source
        self.settings = settings
        self.clock = clock
        self.models: dict[str, ServedModel] = {}
        self._loads: dict[tuple[str, int], asyncio.Task[ServedVersion]] = {}
        self._retiring: set[asyncio.Task[None]] = set()
        self._background: set[asyncio.Task[ServedVersion]] = set()

    def model(self, name: str) -> ServedModel:
        model = self.models.get(name)
        if model is None:
            raise NotFound("model", name, f"model {name!r} is not served here")
        return model

    # -- loading -------------------------------------------------------------------------

    async def load(
        self,
        name: str,
        *,
        version: int | None = None,
        alias: str | None = None,
        make_default: bool = False,
        wait: bool = True,
    ) -> ServedModel:
        """Load a version (pinned) or follow an alias; neither follows `production`, else pins the newest."""
        try:
            if version is None and alias is None and PRODUCTION_ALIAS in await self.source.aliases(name):
                alias = PRODUCTION_ALIAS
            artifact = await self.source.resolve(name, version=version, alias=alias)
        except ValueError as error:  # a registration file that does not parse
            raise InvalidArgument(f"model {name!r} is registered with an unreadable file: {error}") from None
        model = self.models.setdefault(name, ServedModel(name))
        pinned = alias is None
        loading = self._load_task(model, artifact)

        async def adopt() -> ServedVersion:
            served = await loading
            if served.ready and self.models.get(name) is model:
                self._adopt(model, served, alias=alias, pinned=pinned, make_default=make_default)
            return served

        adopting = asyncio.get_running_loop().create_task(adopt())
        self._background.add(adopting)
        adopting.add_done_callback(self._background.discard)
        if not wait:
            return model
        # a caller that gives up (deadline) does not stop the load
        served = await asyncio.shield(adopting)
        if served.state is ServingState.FAILED:
            raise InvalidArgument(f"{name} version {served.version} cannot serve: {served.error_message}")
        return model

    def _load_task(self, model: ServedModel, artifact: ModelArtifact) -> asyncio.Future[ServedVersion]:
        key = (model.name, artifact.version)
        existing = model.versions.get(artifact.version)
        running = self._loads.get(key)
        if running is not None:
            return running
        if existing is not None and existing.state in (ServingState.READY, ServingState.UNLOADING):
            if existing.state is ServingState.UNLOADING:
                # routed to again before its drain finished: keep it
                existing.state = ServingState.READY
            done: asyncio.Future[ServedVersion] = asyncio.get_running_loop().create_future()
            done.set_result(existing)
            return done
        served = ServedVersion(
            model_name=model.name,
            version=artifact.version,
            breaker=CircuitBreaker(self.settings.breaker_failures, self.settings.breaker_open_seconds),
            metrics=VersionMetrics(model.name, artifact.version),
        )
        model.versions[artifact.version] = served
        task = asyncio.get_running_loop().create_task(self._load(served, artifact))
        self._loads[key] = task
        task.add_done_callback(lambda _: self._loads.pop(key, None))
        return task

    async def _load(self, served: ServedVersion, artifact: ModelArtifact) -> ServedVersion:
        try:
            model, references = await asyncio.to_thread(self._open, artifact)
        except (InvalidArgument, OSError, ValueError) as error:
            served.state = ServingState.FAILED
            served.error_message = error.message if isinstance(error, InvalidArgument) else str(error)
            log.error(
                "model %s version %d failed to load: %s",
                served.model_name,
                served.version,
                served.error_message,
            )
            return served
        settings = self.settings
        served.model = model
        if references:
            served.drift = DriftTracker(
                served.model_name,
                served.version,
                references,
                columns=model.signature.feature_count,
                max_age_seconds=settings.drift_window_seconds,
                max_rows=settings.drift_window_rows,
            )
        served.batcher = Batcher(
            model,
            max_rows=settings.max_batch_rows,
            max_delay_seconds=settings.max_batch_delay_ms / 1000.0,
            max_queued_rows=settings.max_queued_rows,
            threaded=settings.inference_mode == "thread",
            metrics=served.metrics,
            observe=served.drift.observe if served.drift is not None else None,
        )
        served.load_time = self.clock()
        served.state = ServingState.READY
        served.metrics.ready.set(1)
        log.info("model %s version %d ready", served.model_name, served.version)
        return served

    def _open(self, artifact: ModelArtifact) -> tuple[OnnxModel, tuple[FeatureReference, ...]]:
        model = load_model(artifact.onnx_path, artifact.metadata, self.settings)
        references: tuple[FeatureReference, ...] = ()
        if artifact.reference is not None:
            references = references_from_json(artifact.reference)
            if len(references) != model.signature.feature_count:
                raise InvalidArgument(
                    f"reference.json describes {len(references)} features, the model takes "
                    f"{model.signature.feature_count}"
                )
        return model, references

    def _adopt(
        self,
        model: ServedModel,
        served: ServedVersion,
        *,
        alias: str | None,
        pinned: bool,
        make_default: bool,
    ) -> None:
        """Route to a freshly READY version: one synchronous step, so the switch is atomic."""
        if alias is not None:
            model.aliases[alias] = served.version
        served.pinned = served.pinned or pinned
        follows_default = alias is not None and alias == model.default_alias
        if make_default or follows_default or model.default_alias is None:
            if model.default_version != served.version:
                model.fallback_version = model.default_version
                model.default_version = served.version
            if make_default or model.default_alias is None:
                model.default_alias = alias if alias == PRODUCTION_ALIAS or make_default else None
        self.retire_unreferenced(model)

    async def follow(self, move: AliasMove) -> None:
        """Apply an alias move from the source: load and warm the new version, then switch."""
        model = self.models.get(move.model_name)
        if model is None or move.alias not in model.aliases:
            return
        if move.version is None:
            log.warning(
                "alias %s@%s was removed; still serving version %d",
                move.model_name,
                move.alias,
                model.aliases[move.alias],
            )
            return
        if model.aliases[move.alias] == move.version:
            return
        try:
            artifact = await self.source.resolve(move.model_name, version=move.version)
        except NotFound as error:
            log.error(
                "alias %s@%s moved to a version that does not exist: %s",
                move.model_name,
                move.alias,
                error.message,
            )
            return
        served = await self._load_task(model, artifact)
        if not served.ready:
            log.error(
                "alias %s@%s moved to version %d, which cannot serve; staying on version %d",
                move.model_name,
                move.alias,
                move.version,
                model.aliases[move.alias],
            )
            return
        if self.models.get(move.model_name) is model and move.alias in model.aliases:
            self._adopt(model, served, alias=move.alias, pinned=False, make_default=False)
            log.info("alias %s@%s now serves version %d", move.model_name, move.alias, move.version)

    # -- retiring ------------------------------------------------------------------------

    def retire_unreferenced(self, model: ServedModel) -> None:
        referenced = model.referenced_versions()
        for number, served in list(model.versions.items()):
            if number in referenced:
                continue
            if served.state is ServingState.READY:
                self._retire(model, served)
            elif served.state is ServingState.FAILED and number < max(model.versions):
                del model.versions[number]

    def _retire(self, model: ServedModel, served: ServedVersion) -> None:
        served.state = ServingState.UNLOADING
        served.metrics.ready.set(0)
        task = asyncio.get_running_loop().create_task(self._drain(model, served))
        self._retiring.add(task)
        task.add_done_callback(self._retiring.discard)

    async def _drain(self, model: ServedModel, served: ServedVersion) -> None:
        if served.batcher is not None:
            await served.batcher.close()
        if served.state is not ServingState.UNLOADING:
            return  # loaded again while draining
        if model.versions.get(served.version) is served:
            del model.versions[served.version]
        served.metrics.remove(served.signature.feature_names if served.model is not None else ())
        served.model = None
        served.batcher = None
        log.info("model %s version %d unloaded", served.model_name, served.version)

    def unload(self, name: str, version: int) -> ServedModel:
        """Unload one version (0: all of them, and stop following the model's aliases)."""
        model = self.model(name)
        if version == 0:
            if model.split is not None:
                raise FailedPrecondition(
                    f"model {name} has a traffic split; remove it first",
                    [("TRAFFIC_SPLIT", name, "the split routes to loaded versions")],
                )
            model.aliases.clear()
            model.default_version = model.fallback_version = None
            model.default_alias = None
            for served in model.versions.values():
                served.pinned = False
            self.retire_unreferenced(model)
            del self.models[name]
            return model
        served = model.versions.get(version)
        if served is None:
            raise NotFound("model version", f"{name}/{version}")
        if model.split is not None and version in model.split.versions:
            raise FailedPrecondition(
                f"version {version} has a share of {name}'s traffic split",
                [("TRAFFIC_SPLIT", f"{name}/{version}", "remove it from the split first")],
            )
        served.pinned = False
        model.aliases = {alias: number for alias, number in model.aliases.items() if number != version}
        if model.fallback_version == version:
            model.fallback_version = None
        if model.default_version == version:
            model.default_version, model.fallback_version = model.fallback_version, None
            if model.default_version is None:
                ready = [
                    number for number, other in model.versions.items() if other.ready and number != version
                ]
                model.default_version = max(ready, default=None)
        if served.state is ServingState.FAILED:
            del model.versions[version]
        self.retire_unreferenced(model)
        return model

    # -- routing ---------------------------------------------------------------------------

    def set_split(self, name: str, split: TrafficSplit | None) -> ServedModel:
        model = self.model(name)
        if split is not None:
            not_ready = [version for version in split.versions if model.ready_version(version) is None]
            if not_ready:
                raise FailedPrecondition(
                    f"versions {not_ready} of {name} are not loaded and ready",
                    [("VERSION_NOT_READY", f"{name}/{version}", "load it first") for version in not_ready],
                )
        model.split = split
        self.retire_unreferenced(model)
        return model

    def choose(
        self, name: str, version: int | None, alias: str | None, routing_key: str
    ) -> tuple[ServedVersion, str]:
        """The version that answers a request, and how it was chosen (the metrics' route label)."""
        model = self.models.get(name)
        if model is None:
            raise NotFound("model", name, f"model {name!r} is not served here")
        if version is not None:
            served = model.versions.get(version)
            if served is None or served.state in (ServingState.FAILED, ServingState.UNLOADING):
                raise NotFound("model version", f"{name}/{version}")
            if not served.ready:
                raise Unavailable(f"{name} version {version} is loading", retry_after_seconds=0.5)
            return served, "version"
        number, route = self._routed_number(model, alias, routing_key)
        served = model.ready_version(number)
        if served is not None and not served.breaker.is_open:
            return served, route
        fallback = self.fallback_for(model, number)
        if fallback is not None:
            return fallback, "fallback"
        if served is not None:
            raise Unavailable(
                f"{name} version {number} is failing and no fallback is ready",
                retry_after_seconds=served.breaker.retry_after_seconds(),
            )
        raise Unavailable(f"no version of {name} is ready yet", retry_after_seconds=0.5)

    @staticmethod
    def _routed_number(model: ServedModel, alias: str | None, routing_key: str) -> tuple[int | None, str]:
        if alias is not None:
            number = model.aliases.get(alias)
            if number is None:
                raise NotFound(
                    "alias", f"{model.name}@{alias}", f"alias {alias!r} of {model.name!r} is not served here"
                )
            return number, "alias"
        if model.split is not None:
            return model.split.choose(routing_key), "split"
        return model.default_version, "default"

    def fallback_for(self, model: ServedModel, failing: int | None) -> ServedVersion | None:
        """The model's previous default, else its default, if ready and healthy (and not `failing`)."""
        for number in (model.fallback_version, model.default_version):
            if number is None or number == failing:
                continue
            served = model.ready_version(number)
            if served is not None and not served.breaker.is_open:
                return served
        return None

    def is_ready(self) -> bool:
        """Every model asked for has a ready default version."""
        return all(model.ready_version(model.default_version) is not None for model in self.models.values())

    async def close(self) -> None:
        """Finish loads and drain every batcher (server shutdown, after in-flight calls ended)."""
        pending = [*self._loads.values(), *self._background]
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
        for model in self.models.values():
            for served in model.versions.values():
                if served.batcher is not None:
                    await served.batcher.close()
        await asyncio.gather(*self._retiring, return_exceptions=True)
