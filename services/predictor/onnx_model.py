"""An ONNX model ready to serve: its onnxruntime session, its checked signature, its warm-up.

Only models the PredictorService can answer for are accepted: one 2-D numeric input of
[rows, features], and either a classifier's int64 label plus float probabilities (skl2onnx
with zipmap off) or a regressor's float values. Anything else fails the load with a reason,
so a version that could not answer correctly never takes traffic.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

import numpy as np
import onnxruntime

from services.core.errors import InvalidArgument
from services.predictor.settings import PredictorSettings

# onnxruntime element type -> (KServe v2 datatype, numpy dtype)
TENSOR_TYPES: dict[str, tuple[str, type[np.generic]]] = {
    "tensor(float)": ("FP32", np.float32),
    "tensor(double)": ("FP64", np.float64),
    "tensor(float16)": ("FP16", np.float16),
    "tensor(int64)": ("INT64", np.int64),
    "tensor(int32)": ("INT32", np.int32),
    "tensor(int16)": ("INT16", np.int16),
    "tensor(int8)": ("INT8", np.int8),
    "tensor(uint64)": ("UINT64", np.uint64),
    "tensor(uint32)": ("UINT32", np.uint32),
    "tensor(uint16)": ("UINT16", np.uint16),
    "tensor(uint8)": ("UINT8", np.uint8),
    "tensor(bool)": ("BOOL", np.bool_),
}
FLOAT_TYPES = {"tensor(float)", "tensor(double)"}
GRAPH_OPTIMIZATION = {
    "disabled": onnxruntime.GraphOptimizationLevel.ORT_DISABLE_ALL,
    "basic": onnxruntime.GraphOptimizationLevel.ORT_ENABLE_BASIC,
    "extended": onnxruntime.GraphOptimizationLevel.ORT_ENABLE_EXTENDED,
    "all": onnxruntime.GraphOptimizationLevel.ORT_ENABLE_ALL,
}


class ModelKind(StrEnum):
    CLASSIFIER = "classifier"
    REGRESSOR = "regressor"


@dataclass(frozen=True)
class TensorSpec:
    name: str
    datatype: str
    # -1 for a dimension the model leaves open (the batch)
    shape: tuple[int, ...]
    dtype: type[np.generic]


@dataclass(frozen=True)
class ModelSignature:
    kind: ModelKind
    input: TensorSpec
    outputs: tuple[TensorSpec, ...]
    feature_names: tuple[str, ...]
    class_names: tuple[str, ...]
    # classifiers: label and probabilities outputs; regressors: the values output
    label_output: str = ""
    probability_output: str = ""
    value_output: str = ""

    @property
    def feature_count(self) -> int:
        return self.input.shape[1]


def session_options(settings: PredictorSettings) -> onnxruntime.SessionOptions:
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = settings.intra_op_threads
    options.inter_op_num_threads = settings.inter_op_threads
    options.execution_mode = (
        onnxruntime.ExecutionMode.ORT_SEQUENTIAL
        if settings.execution_mode == "sequential"
        else onnxruntime.ExecutionMode.ORT_PARALLEL
    )
    options.graph_optimization_level = GRAPH_OPTIMIZATION[settings.graph_optimization]
    spinning = "1" if settings.allow_spinning else "0"
    options.add_session_config_entry("session.intra_op.allow_spinning", spinning)
    options.add_session_config_entry("session.inter_op.allow_spinning", spinning)
    # failures surface as exceptions (and metrics); onnxruntime's own stderr line per failed run would
    # cost a write per bad request
    options.log_severity_level = 4
    return options


class OnnxModel:
    """A loaded session; `run` is the one onnxruntime call per batch."""

    def __init__(self, session: onnxruntime.InferenceSession, signature: ModelSignature) -> None:
        self.session = session
        self.signature = signature
        self._input_name = signature.input.name
        self._input_dtype = signature.input.dtype
        self._output_names = [output.name for output in signature.outputs]

    def run(self, rows: np.ndarray) -> list[np.ndarray]:
        """Outputs in signature order for `rows` (float32 [n, features])."""
        if rows.dtype != self._input_dtype:
            rows = rows.astype(self._input_dtype)
        return self.session.run(self._output_names, {self._input_name: rows})


def load_model(path: Path, metadata: Mapping[str, Any], settings: PredictorSettings) -> OnnxModel:
    """Open, check and warm the model; InvalidArgument says why a model cannot serve."""
    try:
        session = onnxruntime.InferenceSession(
            str(path), sess_options=session_options(settings), providers=["CPUExecutionProvider"]
        )
    except Exception as error:  # onnxruntime raises its own exception types for every parse failure
        raise InvalidArgument(f"the artifact does not load in onnxruntime: {error}") from None
    signature = read_signature(session, metadata)
    model = OnnxModel(session, signature)
    class_count = warm_up(model, settings.warmup_runs, settings.max_batch_rows)
    if signature.kind is ModelKind.CLASSIFIER and len(signature.class_names) != class_count:
        names = tuple(metadata.get("class_names") or (str(index) for index in range(class_count)))
        if len(names) != class_count:
            raise InvalidArgument(f"metadata names {len(names)} classes, the model outputs {class_count}")
        model.signature = _with_class_names(signature, names)
    return model


def _with_class_names(signature: ModelSignature, names: tuple[str, ...]) -> ModelSignature:
    return ModelSignature(
        kind=signature.kind,
        input=signature.input,
        outputs=signature.outputs,
        feature_names=signature.feature_names,
        class_names=names,
        label_output=signature.label_output,
        probability_output=signature.probability_output,
        value_output=signature.value_output,
    )


def _tensor_spec(node: Any) -> TensorSpec:
    if node.type not in TENSOR_TYPES:
        raise InvalidArgument(
            f"{node.name!r} is a {node.type}, not a tensor (export classifiers with zipmap off)"
        )
    datatype, dtype = TENSOR_TYPES[node.type]
    shape = tuple(
        dimension if isinstance(dimension, int) and dimension > 0 else -1 for dimension in node.shape
    )
    return TensorSpec(node.name, datatype, shape, dtype)


def read_signature(session: onnxruntime.InferenceSession, metadata: Mapping[str, Any]) -> ModelSignature:
    inputs = session.get_inputs()
    if len(inputs) != 1:
        raise InvalidArgument(f"the model has {len(inputs)} inputs; one [rows, features] input is served")
    if inputs[0].type not in FLOAT_TYPES:
        raise InvalidArgument(f"the input {inputs[0].name!r} is {inputs[0].type}; float or double is served")
    model_input = _tensor_spec(inputs[0])
    if len(model_input.shape) != 2 or model_input.shape[1] < 1:
        raise InvalidArgument(
            f"the input {model_input.name!r} has shape {model_input.shape}; [rows, features]"
        )
    outputs = tuple(_tensor_spec(node) for node in session.get_outputs())
    feature_names = tuple(
        metadata.get("feature_names") or (f"f{index}" for index in range(model_input.shape[1]))
    )
    if len(feature_names) != model_input.shape[1]:
        raise InvalidArgument(
            f"metadata names {len(feature_names)} features, the model takes {model_input.shape[1]}"
        )
    labels = [output for output in outputs if output.datatype == "INT64" and len(output.shape) == 1]
    probabilities = [
        output for output in outputs if output.datatype in ("FP32", "FP64") and len(output.shape) == 2
    ]
    if len(outputs) == 2 and len(labels) == 1 and len(probabilities) == 1:
        class_names = tuple(str(name) for name in metadata.get("class_names") or ())
        return ModelSignature(
            kind=ModelKind.CLASSIFIER,
            input=model_input,
            outputs=outputs,
            feature_names=feature_names,
            class_names=class_names,
            label_output=labels[0].name,
            probability_output=probabilities[0].name,
        )
    if len(outputs) == 1 and outputs[0].datatype in ("FP32", "FP64") and len(outputs[0].shape) in (1, 2):
        return ModelSignature(
            kind=ModelKind.REGRESSOR,
            input=model_input,
            outputs=outputs,
            feature_names=feature_names,
            class_names=(),
            value_output=outputs[0].name,
        )
    described = ", ".join(f"{output.name}: {output.datatype}{list(output.shape)}" for output in outputs)
    raise InvalidArgument(
        f"outputs ({described}) are neither a classifier's int64 labels and float probabilities "
        "nor a regressor's float values"
    )


def warm_up(model: OnnxModel, runs: int, batch_rows: int) -> int:
    """Run zeros through the model at batch 1 and a full batch; return the class count (0: regressor).

    The first runs of a session allocate its arenas; doing them here keeps that cost off the
    first real requests, and a model that cannot run at all fails here, before any traffic.
    """
    signature = model.signature
    class_count = 0
    for rows in (1, batch_rows):
        zeros = np.zeros((rows, signature.feature_count), dtype=np.float32)
        for _ in range(runs):
            try:
                outputs = model.run(zeros)
            except Exception as error:  # onnxruntime's own exception types
                raise InvalidArgument(f"the model fails its warm-up run: {error}") from None
            class_count = _check_outputs(signature, outputs, rows)
    return class_count


def _check_outputs(signature: ModelSignature, outputs: list[np.ndarray], rows: int) -> int:
    for spec, output in zip(signature.outputs, outputs, strict=True):
        if output.shape[0] != rows:
            raise InvalidArgument(f"output {spec.name!r} has {output.shape[0]} rows for {rows} input rows")
    if signature.kind is ModelKind.REGRESSOR:
        return 0
    index = [spec.name for spec in signature.outputs].index(signature.probability_output)
    probabilities = outputs[index]
    if not np.all(np.isfinite(probabilities)):
        raise InvalidArgument("the model's warm-up probabilities are not finite")
    return int(probabilities.shape[1])
