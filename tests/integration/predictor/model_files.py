"""Small real ONNX models for the predictor's tests: scikit-learn + skl2onnx (zipmap off), plus
hand-built graphs that fail in the ways a bad model version does.

`write_model_tree` lays them out as the predictor's model directory expects:
`<root>/<name>/<version>/model.onnx`, `reference.json`, `metadata.json`, `<root>/<name>/aliases.json`.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper
from skl2onnx import to_onnx
from sklearn.ensemble import GradientBoostingClassifier, GradientBoostingRegressor

from services.core.monitoring.reference import references_for_matrix

FEATURES = 4
FEATURE_NAMES = [f"x{index}" for index in range(FEATURES)]


def training_data(seed: int, rows: int = 600) -> tuple[np.ndarray, np.ndarray]:
    generator = np.random.default_rng(seed)
    features = generator.normal(0.0, 1.0, (rows, FEATURES)).astype(np.float32)
    labels = (features[:, 0] + 0.5 * features[:, 1] - 0.25 * features[:, 2] > 0).astype(np.int64)
    return features, labels


def classifier_bytes(seed: int, trees: int = 10) -> bytes:
    features, labels = training_data(seed)
    model = GradientBoostingClassifier(n_estimators=trees, max_depth=2, random_state=seed).fit(
        features, labels
    )
    return to_onnx(model, features[:1], options={"zipmap": False}, target_opset=17).SerializeToString()


def regressor_bytes(seed: int) -> bytes:
    features, labels = training_data(seed)
    target = features @ np.array([1.0, -2.0, 0.5, 0.0], dtype=np.float32) + labels
    model = GradientBoostingRegressor(n_estimators=10, max_depth=2, random_state=seed).fit(features, target)
    return to_onnx(model, features[:1], target_opset=17).SerializeToString()


def _gather_regressor(offset: int) -> bytes:
    """values = table[int(x[:, 0]) + offset]: fine while the index is inside the 10-entry table,
    an onnxruntime error outside it."""
    table = helper.make_tensor("table", TensorProto.FLOAT, [10], [float(index) for index in range(10)])
    start = helper.make_tensor("start", TensorProto.INT64, [1], [0])
    end = helper.make_tensor("end", TensorProto.INT64, [1], [1])
    axes = helper.make_tensor("axes", TensorProto.INT64, [1], [1])
    shift = helper.make_tensor("shift", TensorProto.INT64, [], [offset])
    nodes = [
        helper.make_node("Slice", ["X", "start", "end", "axes"], ["first"]),
        helper.make_node("Squeeze", ["first", "axes"], ["column"]),
        helper.make_node("Cast", ["column"], ["index"], to=TensorProto.INT64),
        helper.make_node("Add", ["index", "shift"], ["shifted"]),
        helper.make_node("Gather", ["table", "shifted"], ["variable"], axis=0),
    ]
    graph = helper.make_graph(
        nodes,
        "gather_regressor",
        [helper.make_tensor_value_info("X", TensorProto.FLOAT, [None, FEATURES])],
        [helper.make_tensor_value_info("variable", TensorProto.FLOAT, [None])],
        initializer=[table, start, end, axes, shift],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model.SerializeToString()


def fragile_regressor_bytes() -> bytes:
    """Serves rows whose first feature is 0..9 and fails on any other (warm-up on zeros passes)."""
    return _gather_regressor(0)


def warmup_failing_bytes() -> bytes:
    """Fails on every input, zeros included: it can never pass its warm-up."""
    return _gather_regressor(100)


def write_version(
    root: Path, name: str, version: int, onnx_bytes: bytes, *, reference_seed: int | None = None
) -> Path:
    directory = root / name / str(version)
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "model.onnx").write_bytes(onnx_bytes)
    (directory / "metadata.json").write_text(json.dumps({"feature_names": FEATURE_NAMES}))
    if reference_seed is not None:
        features, _ = training_data(reference_seed, rows=5_000)
        references = references_for_matrix(FEATURE_NAMES, features)
        (directory / "reference.json").write_text(
            json.dumps({"features": [reference.to_json() for reference in references]})
        )
    return directory / "model.onnx"


def set_aliases(root: Path, name: str, aliases: dict[str, int]) -> None:
    """Rewrite aliases.json atomically (write aside, rename over), as a registry export would."""
    target = root / name / "aliases.json"
    temporary = target.with_suffix(".tmp")
    temporary.write_text(json.dumps(aliases))
    os.replace(temporary, target)


def write_model_tree(root: Path) -> None:
    """Every model the predictor tests use."""
    # a classifier with two good versions, a corrupt one and one that fails its warm-up
    write_version(root, "churn", 1, classifier_bytes(seed=1), reference_seed=1)
    write_version(root, "churn", 2, classifier_bytes(seed=2, trees=12), reference_seed=2)
    write_version(root, "churn", 3, b"this is not an onnx model")
    write_version(root, "churn", 4, warmup_failing_bytes())
    set_aliases(root, "churn", {"production": 1})
    # a regressor with one version and no aliases (served at its newest version)
    write_version(root, "price", 1, regressor_bytes(seed=3))
    # a regressor whose second version fails on some inputs (fallback and circuit breaker)
    write_version(root, "fragile", 1, regressor_bytes(seed=4))
    write_version(root, "fragile", 2, fragile_regressor_bytes())
    set_aliases(root, "fragile", {"production": 1})
