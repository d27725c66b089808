"""KServe v2 / Open Inference Protocol tensors <-> numpy.

Inputs come either as `raw_input_contents` (little-endian bytes, what tritonclient sends) or
as typed `contents` (what JSON clients send); outputs answer in the same form as the request,
because tritonclient reads only raw outputs while JSON clients need typed ones.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from inference import grpc_service_pb2 as messages
from services.core.errors import FieldViolation, InvalidArgument
from services.predictor.onnx_model import ModelSignature

# KServe datatype -> (numpy dtype, InferTensorContents field)
DATATYPES: dict[str, tuple[str, str]] = {
    "BOOL": ("?", "bool_contents"),
    "INT8": ("<i1", "int_contents"),
    "INT16": ("<i2", "int_contents"),
    "INT32": ("<i4", "int_contents"),
    "INT64": ("<i8", "int64_contents"),
    "UINT8": ("<u1", "uint_contents"),
    "UINT16": ("<u2", "uint_contents"),
    "UINT32": ("<u4", "uint_contents"),
    "UINT64": ("<u8", "uint64_contents"),
    "FP16": ("<f2", "fp32_contents"),
    "FP32": ("<f4", "fp32_contents"),
    "FP64": ("<f8", "fp64_contents"),
}


@dataclass(frozen=True)
class InferInput:
    rows: np.ndarray
    raw: bool
    # the outputs asked for, by name; empty means all
    outputs: tuple[str, ...]


def requested_version(request: messages.ModelInferRequest | messages.ModelReadyRequest) -> int | None:
    text = request.model_version if isinstance(request, messages.ModelInferRequest) else request.version
    if not text:
        return None
    if not text.isdigit() or int(text) < 1:
        field = "model_version" if isinstance(request, messages.ModelInferRequest) else "version"
        raise InvalidArgument("invalid model version", [FieldViolation(field, "must be a version number")])
    return int(text)


def check_request(request: messages.ModelInferRequest) -> None:
    """What can be checked before the model is known."""
    violations = []
    if not request.model_name:
        violations.append(FieldViolation("model_name", "required"))
    if len(request.inputs) != 1:
        violations.append(FieldViolation("inputs", f"one input tensor is served, not {len(request.inputs)}"))
    if request.raw_input_contents and len(request.raw_input_contents) != len(request.inputs):
        violations.append(
            FieldViolation("raw_input_contents", "needs one entry per input (or none, with typed contents)")
        )
    if violations:
        raise InvalidArgument("invalid inference request", violations)


def decode_input(request: messages.ModelInferRequest, signature: ModelSignature) -> InferInput:
    """The one input tensor as float32 [rows, features]; every problem is named at once."""
    tensor = request.inputs[0]
    violations = []
    if tensor.name != signature.input.name:
        violations.append(FieldViolation("inputs[0].name", f"the model's input is {signature.input.name!r}"))
    if tensor.datatype not in DATATYPES:
        violations.append(FieldViolation("inputs[0].datatype", f"must be one of {', '.join(DATATYPES)}"))
    shape = list(tensor.shape)
    features = signature.feature_count
    if len(shape) != 2 or shape[0] < 1 or shape[1] != features:
        violations.append(FieldViolation("inputs[0].shape", f"must be [rows, {features}] with rows >= 1"))
    known = {output.name for output in signature.outputs}
    for index, output in enumerate(request.outputs):
        if output.name not in known:
            violations.append(FieldViolation(f"outputs[{index}].name", f"must be one of {sorted(known)}"))
    if violations:
        raise InvalidArgument("invalid inference request", violations)
    values = _values(request, tensor, shape[0] * shape[1])
    rows = values.astype(np.float32, copy=False).reshape(shape)
    if not np.isfinite(rows).all():
        raise InvalidArgument(
            "inputs must be finite numbers", [FieldViolation("inputs[0]", "holds NaN or infinite values")]
        )
    return InferInput(
        rows, bool(request.raw_input_contents), tuple(output.name for output in request.outputs)
    )


def _values(
    request: messages.ModelInferRequest, tensor: messages.ModelInferRequest.InferInputTensor, count: int
) -> np.ndarray:
    dtype, contents_field = DATATYPES[tensor.datatype]
    typed = getattr(tensor.contents, contents_field)
    if request.raw_input_contents:
        raw = request.raw_input_contents[0]
        if len(typed):
            raise InvalidArgument(
                "input given twice",
                [FieldViolation("inputs[0].contents", "leave empty with raw_input_contents")],
            )
        expected = count * np.dtype(dtype).itemsize
        if len(raw) != expected:
            raise InvalidArgument(
                "raw input size does not match its shape",
                [
                    FieldViolation(
                        "raw_input_contents[0]", f"holds {len(raw)} bytes; shape and datatype need {expected}"
                    )
                ],
            )
        return np.frombuffer(raw, dtype=dtype)
    if len(typed) != count:
        raise InvalidArgument(
            "input contents do not match the shape",
            [
                FieldViolation(
                    f"inputs[0].contents.{contents_field}", f"holds {len(typed)} values; shape needs {count}"
                )
            ],
        )
    return np.asarray(typed, dtype=dtype)


def encode_outputs(
    response: messages.ModelInferResponse,
    signature: ModelSignature,
    outputs: list[np.ndarray],
    requested: tuple[str, ...],
    raw: bool,
) -> None:
    for spec, array in zip(signature.outputs, outputs, strict=True):
        if requested and spec.name not in requested:
            continue
        tensor = response.outputs.add(name=spec.name, datatype=spec.datatype, shape=array.shape)
        dtype, contents_field = DATATYPES[spec.datatype]
        if raw:
            response.raw_output_contents.append(np.ascontiguousarray(array, dtype=dtype).tobytes())
        else:
            getattr(tensor.contents, contents_field).extend(array.ravel().tolist())


def tensor_metadata(signature: ModelSignature) -> tuple[list, list]:
    def describe(spec: object) -> messages.ModelMetadataResponse.TensorMetadata:
        return messages.ModelMetadataResponse.TensorMetadata(
            name=spec.name,  # type: ignore[attr-defined]
            datatype=spec.datatype,  # type: ignore[attr-defined]
            shape=list(spec.shape),  # type: ignore[attr-defined]
        )

    return [describe(signature.input)], [describe(spec) for spec in signature.outputs]
