"""The feature state survives a trip through bytes: a restored pipeline goes on bit for bit."""

from __future__ import annotations

import json

import numpy as np
import pytest

from services.core.features.state_codec import decode_evaluator_state, decode_state, encode_state
from services.core.features.streaming import FeatureState
from services.core.indicators import REGISTRY, stream


def random_bars(count: int, seed: int) -> list[tuple[float, float, float, float, float]]:
    generator = np.random.default_rng(seed)
    closes = 100 + np.cumsum(generator.normal(0, 1, count))
    bars = []
    for close in closes:
        spread = abs(generator.normal(0, 0.5))
        bars.append((close, close + spread, close - spread, close + generator.normal(0, 0.1), 1000.0))
    return [(o, max(o, h, c), min(o, low, c), c, v) for o, h, low, c, v in bars]


@pytest.mark.parametrize("name", sorted(REGISTRY))
def test_every_indicator_resumes_exactly_after_a_round_trip(name: str) -> None:
    original = stream(name)
    bars = random_bars(120, seed=len(name))
    for bar in bars[:70]:
        original.update(*bar)
    state = FeatureState(names=("x",), bars_seen=70, indicators={"node": original})

    restored = decode_state(encode_state(state)).indicators["node"]

    assert type(restored) is type(original)
    for bar in bars[70:]:
        expected, got = original.update(*bar), restored.update(*bar)
        np.testing.assert_array_equal(np.array(got), np.array(expected))


def test_only_indicator_classes_are_ever_built() -> None:
    document = {
        "format": 1,
        "names": ["x"],
        "bars_seen": 1,
        "indicators": {"node": {"o": "subprocess:Popen", "a": {}}},
    }

    with pytest.raises(ValueError, match="not an indicator module"):
        decode_state(json.dumps(document).encode())


def test_garbage_is_refused() -> None:
    with pytest.raises(ValueError, match="not a feature state"):
        decode_state(b"[1, 2, 3]")


def test_an_evaluator_state_is_not_a_feature_state_nor_garbage() -> None:
    feature_state = encode_state(FeatureState(names=("x",), bars_seen=0, indicators={"node": stream("sma")}))
    smuggled = {
        "format": 1,
        "kind": "evaluator",
        "bar_index": 3,
        "side": 0,
        "indicators": {"node": {"o": "subprocess:Popen", "a": {}}},
        "atr": None,
        "history": {"d": []},
    }

    for data in (feature_state, b"{}", b"[1, 2, 3]"):
        with pytest.raises(ValueError, match="not an evaluator state"):
            decode_evaluator_state(data)
    with pytest.raises(ValueError, match="not an indicator module"):
        decode_evaluator_state(json.dumps(smuggled).encode())
