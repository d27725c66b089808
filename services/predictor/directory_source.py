"""Model versions from a directory tree, with alias moves found by polling.

Layout (documented in services/predictor/README.md):

    <root>/<model>/aliases.json              {"production": 3, "staging": 4}   (optional)
    <root>/<model>/<version>/model.onnx      the exported model (zipmap off)
    <root>/<model>/<version>/reference.json  per-feature training distributions (optional)
    <root>/<model>/<version>/metadata.json   {"feature_names": [...], "class_names": [...]} (optional)

An alias moves when aliases.json is rewritten: writers should write a temporary file and
rename it over the old one, so a poll never reads half a file (a file that does not parse is
skipped until the next poll).
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from services.core.errors import NotFound
from services.predictor.model_source import AliasMove, ModelArtifact

log = logging.getLogger("alphintra.predictor.source")

ALIASES_FILE = "aliases.json"
MODEL_FILE = "model.onnx"
REFERENCE_FILE = "reference.json"
METADATA_FILE = "metadata.json"
MODEL_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$")


class DirectoryModelSource:
    def __init__(self, root: Path, *, poll_seconds: float = 1.0) -> None:
        self.root = root
        self.poll_seconds = poll_seconds

    def _model_directory(self, model_name: str) -> Path:
        directory = self.root / model_name
        if not MODEL_NAME.match(model_name) or not directory.is_dir():
            raise NotFound("model", model_name)
        return directory

    def _model_names(self) -> list[str]:
        if not self.root.is_dir():
            return []
        return sorted(
            path.name for path in self.root.iterdir() if path.is_dir() and MODEL_NAME.match(path.name)
        )

    async def model_names(self) -> list[str]:
        return await asyncio.to_thread(self._model_names)

    def _aliases(self, model_name: str) -> dict[str, int]:
        path = self._model_directory(model_name) / ALIASES_FILE
        if not path.exists():
            return {}
        document = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(document, dict):
            raise ValueError(f"{path} must hold an object of alias -> version")
        return {str(alias): int(version) for alias, version in document.items()}

    async def aliases(self, model_name: str) -> dict[str, int]:
        return await asyncio.to_thread(self._aliases, model_name)

    def _versions(self, model_name: str) -> list[int]:
        directory = self._model_directory(model_name)
        return sorted(
            int(path.name)
            for path in directory.iterdir()
            if path.name.isdigit() and (path / MODEL_FILE).is_file()
        )

    def _resolve(self, model_name: str, version: int | None, alias: str | None) -> ModelArtifact:
        if alias is not None:
            aliases = self._aliases(model_name)
            if alias not in aliases:
                raise NotFound("alias", f"{model_name}@{alias}")
            version = aliases[alias]
        if version is None:
            versions = self._versions(model_name)
            if not versions:
                raise NotFound("model", model_name, f"model {model_name!r} has no versions")
            version = versions[-1]
        directory = self._model_directory(model_name) / str(version)
        if not (directory / MODEL_FILE).is_file():
            raise NotFound("model version", f"{model_name}/{version}")
        return ModelArtifact(
            model_name=model_name,
            version=version,
            onnx_path=directory / MODEL_FILE,
            metadata=_read_json(directory / METADATA_FILE) or {},
            reference=_read_json(directory / REFERENCE_FILE),
        )

    async def resolve(
        self, model_name: str, *, version: int | None = None, alias: str | None = None
    ) -> ModelArtifact:
        return await asyncio.to_thread(self._resolve, model_name, version, alias)

    def _snapshot(self) -> dict[str, tuple[int, int]]:
        """(mtime_ns, size) of every aliases file: cheap to compare on every poll."""
        stamps = {}
        for name in self._model_names():
            path = self.root / name / ALIASES_FILE
            try:
                stat = path.stat()
            except FileNotFoundError:
                continue
            stamps[name] = (stat.st_mtime_ns, stat.st_size)
        return stamps

    async def watch(self) -> AsyncIterator[AliasMove]:
        known: dict[str, dict[str, int]] = {}
        stamps: dict[str, tuple[int, int]] = {}
        while True:
            current = await asyncio.to_thread(self._snapshot)
            for name in sorted(set(current) | set(stamps)):
                if current.get(name) == stamps.get(name):
                    continue
                try:
                    aliases = await self.aliases(name) if name in current else {}
                except (ValueError, OSError, NotFound) as error:
                    log.warning("aliases of model %s unreadable, retrying: %s", name, error)
                    current.pop(name, None)
                    continue
                before = known.get(name, {})
                for alias in sorted(set(aliases) | set(before)):
                    if aliases.get(alias) != before.get(alias):
                        yield AliasMove(name, alias, aliases.get(alias))
                known[name] = aliases
            stamps = current
            await asyncio.sleep(self.poll_seconds)


def _read_json(path: Path) -> Any:
    if not path.exists():
        return None
    return json.loads(path.read_text(encoding="utf-8"))
