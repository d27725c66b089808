"""The model directory: resolving versions and aliases, and seeing aliases move."""

from __future__ import annotations

import asyncio
import json

import pytest

from services.core.errors import NotFound
from services.predictor.directory_source import DirectoryModelSource
from services.predictor.model_source import AliasMove


@pytest.fixture
def root(tmp_path):
    for version in (1, 2, 10):
        directory = tmp_path / "churn" / str(version)
        directory.mkdir(parents=True)
        (directory / "model.onnx").write_bytes(b"onnx")
    (tmp_path / "churn" / "1" / "metadata.json").write_text(json.dumps({"feature_names": ["a"]}))
    (tmp_path / "churn" / "aliases.json").write_text(json.dumps({"production": 2}))
    (tmp_path / "not a model!").mkdir()
    return tmp_path


async def test_resolves_versions_aliases_and_the_newest(root) -> None:
    source = DirectoryModelSource(root)

    assert await source.model_names() == ["churn"]
    assert (await source.resolve("churn")).version == 10
    assert (await source.resolve("churn", alias="production")).version == 2
    first = await source.resolve("churn", version=1)
    assert first.metadata == {"feature_names": ["a"]}
    assert first.reference is None
    assert first.onnx_path == root / "churn" / "1" / "model.onnx"


@pytest.mark.parametrize(
    "arguments",
    [
        {"model_name": "nope"},
        {"model_name": "churn", "version": 3},
        {"model_name": "churn", "alias": "staging"},
        {"model_name": "../churn"},
    ],
)
async def test_what_does_not_exist_is_not_found(root, arguments) -> None:
    with pytest.raises(NotFound):
        await DirectoryModelSource(root).resolve(**arguments)


async def test_watch_reports_the_current_aliases_then_each_move(root) -> None:
    source = DirectoryModelSource(root, poll_seconds=0.01)
    moves = source.watch()

    assert await moves.__anext__() == AliasMove("churn", "production", 2)
    (root / "churn" / "aliases.json").write_text(json.dumps({"production": 10, "staging": 1}))
    seen = {await asyncio.wait_for(moves.__anext__(), 5), await asyncio.wait_for(moves.__anext__(), 5)}
    await moves.aclose()

    assert seen == {AliasMove("churn", "production", 10), AliasMove("churn", "staging", 1)}
