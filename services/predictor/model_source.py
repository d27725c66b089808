"""Where model versions come from: the interface the repository loads through.

Two implementations fit it: the model directory (today) and the trainer's registry (when it
lands: versions and aliases over gRPC, artifacts from the content-addressed store, alias
moves from Redis pub/sub). The repository never knows which one it has.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

PRODUCTION_ALIAS = "production"


@dataclass(frozen=True)
class ModelArtifact:
    """One resolved model version: the ONNX file and what was registered with it."""

    model_name: str
    version: int
    onnx_path: Path
    # {"feature_names": [...], "class_names": [...]} (both optional)
    metadata: Mapping[str, Any] = field(default_factory=dict)
    # the parsed reference.json ({"features": [...]}, services.core.monitoring.reference), if any
    reference: Mapping[str, Any] | None = None


@dataclass(frozen=True)
class AliasMove:
    """An alias now points at `version` (None: the alias was removed)."""

    model_name: str
    alias: str
    version: int | None


class ModelSource(Protocol):
    async def model_names(self) -> list[str]:
        """Every model the source knows."""
        ...

    async def aliases(self, model_name: str) -> dict[str, int]:
        """The model's aliases and the versions they point at; NotFound for an unknown model."""
        ...

    async def resolve(
        self, model_name: str, *, version: int | None = None, alias: str | None = None
    ) -> ModelArtifact:
        """The version asked for, or the one `alias` points at, or (neither) the newest version.

        NotFound when the model, version or alias does not exist.
        """
        ...

    def watch(self) -> AsyncIterator[AliasMove]:
        """Alias moves from now on; the first items state where every alias points now."""
        ...
