"""ONNX export of a fitted model, and the parity check that gates it.

The exported graph reads one FP32 tensor "features" of shape [N, feature count]. Classifiers
output "label" (INT64 [N]) and "probabilities" (FP32 [N, 2]: plain tensors, no ZipMap, so any
runtime and the KServe protocol can read them); regressors output "variable" (FP32 [N, 1]).
LightGBM goes through onnxmltools, scikit-learn through skl2onnx.

A model is only accepted when onnxruntime's outputs equal the native model's on held-out rows
to `PARITY_TOLERANCE`: a converter bug or an unsupported option then fails the training
instead of serving different numbers than the ones that were validated.
"""

from __future__ import annotations

from dataclasses import dataclass

import lightgbm
import numpy as np
import onnx
import onnxruntime
from onnxmltools import convert_lightgbm
from onnxmltools.convert.common.data_types import FloatTensorType as MlFloatTensorType
from skl2onnx import to_onnx
from skl2onnx.common.data_types import FloatTensorType

from services.core.errors import FailedPrecondition
from services.core.modeling.families import FittedModel

INPUT_NAME = "features"
TARGET_OPSET = 15  # the highest onnxmltools' LightGBM converter supports
PARITY_TOLERANCE = 1e-5
GRAPH_NAME = "alphintra_model"

_DATATYPES = {
    onnx.TensorProto.FLOAT: "FP32",
    onnx.TensorProto.DOUBLE: "FP64",
    onnx.TensorProto.INT64: "INT64",
    onnx.TensorProto.INT32: "INT32",
    onnx.TensorProto.STRING: "BYTES",
    onnx.TensorProto.BOOL: "BOOL",
}


@dataclass(frozen=True, slots=True)
class Tensor:
    name: str
    datatype: str  # KServe v2
    shape: tuple[int, ...]  # -1 for a variable dimension


@dataclass(frozen=True, slots=True, eq=False)
class ExportedModel:
    content: bytes
    inputs: tuple[Tensor, ...]
    outputs: tuple[Tensor, ...]
    opset: int
    score_output: str  # the output holding the scores the native model's `scores` gives


def export_onnx(model: FittedModel, feature_count: int) -> ExportedModel:
    estimator = model.estimator
    if isinstance(estimator, lightgbm.LGBMModel):
        graph = convert_lightgbm(
            estimator,
            initial_types=[(INPUT_NAME, MlFloatTensorType([None, feature_count]))],
            zipmap=False,
            target_opset=TARGET_OPSET,
        )
    else:
        options = None if model.regression else {"zipmap": False}
        graph = to_onnx(
            estimator,
            initial_types=[(INPUT_NAME, FloatTensorType([None, feature_count]))],
            options=options,
            target_opset=TARGET_OPSET,
        )
    _variable_batch(graph)
    graph.graph.name = GRAPH_NAME  # converters name graphs by a random uuid; the bytes must be reproducible
    onnx.checker.check_model(graph)
    outputs = tuple(_tensor(value) for value in graph.graph.output)
    return ExportedModel(
        content=graph.SerializeToString(),
        inputs=tuple(_tensor(value) for value in graph.graph.input),
        outputs=outputs,
        opset=_default_opset(graph),
        score_output="variable" if model.regression else "probabilities",
    )


def _variable_batch(graph: onnx.ModelProto) -> None:
    """Every output's first dimension is the batch (onnxmltools declares LightGBM's label as [1])."""
    for value in graph.graph.output:
        dims = value.type.tensor_type.shape.dim
        if dims:
            dims[0].ClearField("dim_value")
            dims[0].dim_param = "N"


def _tensor(value: onnx.ValueInfoProto) -> Tensor:
    tensor_type = value.type.tensor_type
    shape = tuple(dim.dim_value if dim.HasField("dim_value") else -1 for dim in tensor_type.shape.dim)
    return Tensor(value.name, _DATATYPES.get(tensor_type.elem_type, "FP32"), shape)


def _default_opset(graph: onnx.ModelProto) -> int:
    return next((entry.version for entry in graph.opset_import if entry.domain in ("", "ai.onnx")), 0)


def onnx_scores(exported: ExportedModel, features: np.ndarray) -> np.ndarray:
    """What onnxruntime computes for these rows, in the native model's `scores` form."""
    session = onnxruntime.InferenceSession(exported.content, providers=["CPUExecutionProvider"])
    (output,) = session.run([exported.score_output], {INPUT_NAME: np.asarray(features, dtype=np.float32)})
    output = np.asarray(output, dtype=np.float64)
    return output[:, 1] if output.ndim == 2 and output.shape[1] == 2 else output.reshape(-1)


def parity_error(model: FittedModel, exported: ExportedModel, features: np.ndarray) -> float:
    """Largest absolute difference between the native and the ONNX scores on these rows."""
    if features.shape[0] == 0:
        return 0.0
    return float(np.max(np.abs(model.scores(features) - onnx_scores(exported, features))))


def require_parity(model: FittedModel, exported: ExportedModel, features: np.ndarray) -> float:
    error = parity_error(model, exported, features)
    if not error <= PARITY_TOLERANCE:
        raise FailedPrecondition(
            f"the ONNX model differs from the native one by {error:.3g} (> {PARITY_TOLERANCE:g}); "
            "the version was not accepted"
        )
    return error
