"""The batcher on a real onnxruntime session: one call per batch, right rows to the right caller."""

from __future__ import annotations

import asyncio

import numpy as np
import onnxruntime
import pytest

from services.core.errors import ResourceExhausted, Unavailable
from services.predictor.batcher import Batcher, InferenceFailed
from services.predictor.metrics import VersionMetrics
from services.predictor.onnx_model import OnnxModel, load_model
from services.predictor.settings import PredictorSettings
from tests.integration.predictor.model_files import classifier_bytes, fragile_regressor_bytes


class CountingModel(OnnxModel):
    """The real model, with a count of onnxruntime calls and their sizes."""

    def __init__(self, model: OnnxModel) -> None:
        super().__init__(model.session, model.signature)
        self.batches: list[int] = []

    def run(self, rows: np.ndarray) -> list[np.ndarray]:
        self.batches.append(rows.shape[0])
        return super().run(rows)


@pytest.fixture(scope="module")
def model_paths(tmp_path_factory) -> dict[str, str]:
    root = tmp_path_factory.mktemp("batcher")
    paths = {}
    for name, data in (("classifier", classifier_bytes(seed=1)), ("fragile", fragile_regressor_bytes())):
        path = root / f"{name}.onnx"
        path.write_bytes(data)
        paths[name] = str(path)
    return paths


def make_batcher(path: str, **options: object) -> tuple[Batcher, CountingModel]:
    settings = PredictorSettings(warmup_runs=1, max_batch_rows=64)
    model = CountingModel(load_model(path, {}, settings))
    values: dict[str, object] = {
        "max_rows": 64,
        "max_delay_seconds": 0.0,
        "max_queued_rows": 1_000,
        "threaded": False,
        "metrics": VersionMetrics("unit", 1),
    }
    values.update(options)
    return Batcher(model, **values), model  # type: ignore[arg-type]


def rows(seed: int, count: int) -> np.ndarray:
    return np.random.default_rng(seed).normal(0, 1, (count, 4)).astype(np.float32)


@pytest.mark.parametrize("threaded", [False, True], ids=["inline", "thread"])
async def test_requests_queued_together_share_one_call_and_get_their_own_rows(model_paths, threaded) -> None:
    batcher, model = make_batcher(model_paths["classifier"], threaded=threaded)
    session = onnxruntime.InferenceSession(model_paths["classifier"])
    inputs = [rows(seed, 1 + seed % 3) for seed in range(10)]

    answers = await asyncio.gather(*(batcher.submit(item) for item in inputs))

    assert model.batches == [sum(item.shape[0] for item in inputs)]
    for item, (labels, probabilities) in zip(inputs, answers, strict=True):
        expected_labels, expected_probabilities = session.run(None, {"X": item})
        np.testing.assert_array_equal(labels, expected_labels)
        np.testing.assert_array_equal(probabilities, expected_probabilities)


async def test_batches_stop_at_max_rows(model_paths) -> None:
    batcher, model = make_batcher(model_paths["classifier"], max_rows=10)

    await asyncio.gather(*(batcher.submit(rows(seed, 4)) for seed in range(5)))

    assert model.batches == [8, 8, 4]


async def test_a_delay_collects_requests_from_later_loop_turns(model_paths) -> None:
    batcher, model = make_batcher(model_paths["classifier"], max_delay_seconds=0.05)

    async def later(seed: int):
        await asyncio.sleep(0.005 * seed)
        return await batcher.submit(rows(seed, 1))

    await asyncio.gather(*(later(seed) for seed in range(4)))

    assert model.batches == [4]


async def test_a_failing_item_fails_alone(model_paths) -> None:
    batcher, _ = make_batcher(model_paths["fragile"])
    good = np.zeros((2, 4), dtype=np.float32)
    poison = np.full((1, 4), 50.0, dtype=np.float32)

    answers = await asyncio.gather(
        batcher.submit(good), batcher.submit(poison), batcher.submit(good), return_exceptions=True
    )

    assert isinstance(answers[1], InferenceFailed)
    assert [type(answer) for answer in (answers[0], answers[2])] == [list, list]


async def test_a_full_queue_pushes_back(model_paths) -> None:
    batcher, _ = make_batcher(model_paths["classifier"], max_queued_rows=10)
    first = batcher.submit(rows(1, 8))

    with pytest.raises(ResourceExhausted):
        batcher.submit(rows(2, 4))
    await first


async def test_close_answers_what_is_queued_then_refuses(model_paths) -> None:
    batcher, _ = make_batcher(model_paths["classifier"])
    queued = [batcher.submit(rows(seed, 2)) for seed in range(3)]

    await batcher.close()

    assert all(future.done() and not future.exception() for future in queued)
    with pytest.raises(Unavailable):
        batcher.submit(rows(4, 1))


async def test_observed_rows_are_the_batches(model_paths) -> None:
    seen: list[np.ndarray] = []
    batcher, _ = make_batcher(model_paths["classifier"], observe=seen.append)
    inputs = [rows(seed, 2) for seed in range(3)]

    await asyncio.gather(*(batcher.submit(item) for item in inputs))

    np.testing.assert_array_equal(np.concatenate(seen), np.concatenate(inputs))
