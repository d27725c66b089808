"""What the predictor serves: each model's versions, their state, and the model's routing table.

A `ServedVersion` owns everything that lives and dies with one loaded version: its session,
batcher, circuit breaker, drift window and metric children. A `ServedModel` says which version
answers which request: followed aliases, the default (and its fallback), the A/B split.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum

from services.predictor.batcher import Batcher
from services.predictor.breaker import CircuitBreaker
from services.predictor.drift_tracker import DriftTracker
from services.predictor.metrics import VersionMetrics
from services.predictor.onnx_model import ModelSignature, OnnxModel
from services.predictor.traffic import TrafficSplit


class ServingState(Enum):
    LOADING = 1
    READY = 2
    UNLOADING = 3
    FAILED = 4


@dataclass(eq=False)
class ServedVersion:
    model_name: str
    version: int
    breaker: CircuitBreaker
    metrics: VersionMetrics
    state: ServingState = ServingState.LOADING
    load_time: datetime | None = None
    error_message: str = ""
    model: OnnxModel | None = None
    batcher: Batcher | None = None
    drift: DriftTracker | None = None
    # loaded by number (an operator's LoadModel): stays until UnloadModel, whatever aliases do
    pinned: bool = False

    @property
    def ready(self) -> bool:
        return self.state is ServingState.READY

    @property
    def signature(self) -> ModelSignature:
        assert self.model is not None, "only a READY version has a signature"
        return self.model.signature


@dataclass(eq=False)
class ServedModel:
    name: str
    versions: dict[int, ServedVersion] = field(default_factory=dict)
    # aliases this predictor follows -> the version it serves for each
    aliases: dict[str, int] = field(default_factory=dict)
    # the alias the default version follows (None: the default is pinned or the last loaded)
    default_alias: str | None = None
    default_version: int | None = None
    # the previous default, kept loaded to take over if the default fails
    fallback_version: int | None = None
    split: TrafficSplit | None = None

    def ready_version(self, version: int | None) -> ServedVersion | None:
        served = self.versions.get(version) if version is not None else None
        return served if served is not None and served.ready else None

    def referenced_versions(self) -> set[int]:
        """Versions something still routes to; every other loaded version can go."""
        referenced = {
            version for version in (self.default_version, self.fallback_version) if version is not None
        }
        referenced.update(self.aliases.values())
        if self.split is not None:
            referenced.update(self.split.versions)
        referenced.update(number for number, served in self.versions.items() if served.pinned)
        return referenced
