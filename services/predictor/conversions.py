"""PredictorService protobuf <-> the predictor's domain, and the checks a request must pass first."""

from __future__ import annotations

import math

import numpy as np
from google.protobuf import timestamp_pb2

from alphintra.predictor.v1 import predictor_service_pb2 as messages
from services.core.errors import FieldViolation, InvalidArgument
from services.predictor.app import Prediction
from services.predictor.drift_tracker import DriftReport
from services.predictor.onnx_model import ModelKind
from services.predictor.served import ServedModel, ServedVersion, ServingState
from services.predictor.traffic import TrafficSplit

# FeatureMatrix field 3 (values), packed: wire type 2
VALUES_TAG = (3 << 3) | 2
# below this many values, decoding element by element beats re-serialising the message
BYTES_DECODE_MIN_VALUES = 64
MAX_ROWS = 1_000_000

STATES = {
    ServingState.LOADING: messages.SERVING_STATE_LOADING,
    ServingState.READY: messages.SERVING_STATE_READY,
    ServingState.UNLOADING: messages.SERVING_STATE_UNLOADING,
    ServingState.FAILED: messages.SERVING_STATE_FAILED,
}

Selector = tuple[int | None, str | None]


def _varint(value: int) -> bytes:
    encoded = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            encoded.append(byte | 0x80)
        else:
            encoded.append(byte)
            return bytes(encoded)


def _values(matrix: messages.FeatureMatrix) -> np.ndarray:
    """The values as float32, without a Python float per value for larger matrices.

    `values` is the last field, so its packed little-endian floats end the serialised message;
    the tag and length in front of them are checked, and anything unexpected (unknown fields
    appended by a newer client) takes the element-wise path.
    """
    count = len(matrix.values)
    if count >= BYTES_DECODE_MIN_VALUES:
        data = matrix.SerializeToString()
        header = bytes([VALUES_TAG]) + _varint(4 * count)
        start = len(data) - 4 * count
        if start >= len(header) and data[start - len(header) : start] == header:
            return np.frombuffer(data, dtype="<f4", offset=start)
    return np.fromiter(matrix.values, dtype=np.float32, count=count)


def _selector_violations(
    request: messages.PredictRequest | messages.PredictStreamRequest,
) -> list[FieldViolation]:
    violations = []
    selector = request.WhichOneof("selector")
    if selector == "version" and request.version < 1:
        violations.append(FieldViolation("version", "must be at least 1 (leave it unset for the default)"))
    if selector == "alias" and not request.alias:
        violations.append(FieldViolation("alias", "must not be empty (leave it unset for the default)"))
    return violations


def _matrix_violations(
    request: messages.PredictRequest | messages.PredictStreamRequest,
) -> list[FieldViolation]:
    if not request.HasField("features"):
        return [FieldViolation("features", "required")]
    matrix = request.features
    rows, columns, count = matrix.rows, matrix.columns, len(matrix.values)
    violations = []
    if not 1 <= rows <= MAX_ROWS:
        violations.append(FieldViolation("features.rows", f"must be between 1 and {MAX_ROWS}"))
    if columns < 1:
        violations.append(FieldViolation("features.columns", "must be at least 1"))
    if rows >= 1 and columns >= 1 and rows * columns != count:
        violations.append(
            FieldViolation("features.values", f"holds {count} values; rows × columns is {rows * columns}")
        )
    return violations


def feature_rows(request: messages.PredictRequest | messages.PredictStreamRequest) -> np.ndarray:
    """The request's rows as float32 [rows, columns]; every problem is named at once."""
    violations = [FieldViolation("model_name", "required")] if not request.model_name else []
    violations += _matrix_violations(request) + _selector_violations(request)
    if violations:
        raise InvalidArgument("invalid prediction request", violations)
    matrix = request.features
    values = _values(matrix)
    if not np.isfinite(values).all():
        index = int(np.flatnonzero(~np.isfinite(values))[0])
        row, column = divmod(index, matrix.columns)
        where = FieldViolation(f"features.values[{index}]", f"NaN or infinite (row {row}, column {column})")
        raise InvalidArgument("features must be finite numbers", [where])
    return values.reshape(matrix.rows, matrix.columns)


def selector(
    request: messages.PredictRequest | messages.PredictStreamRequest | messages.LoadModelRequest,
) -> Selector:
    chosen = request.WhichOneof("selector")
    if chosen == "version":
        return request.version, None
    if chosen == "alias":
        return None, request.alias
    return None, None


def predictions(prediction: Prediction) -> messages.Predictions:
    served = prediction.served
    signature = served.signature
    outputs = dict(zip((output.name for output in signature.outputs), prediction.outputs, strict=True))
    message = messages.Predictions(
        model_name=served.model_name, model_version=served.version, fallback=prediction.fallback
    )
    if signature.kind is ModelKind.CLASSIFIER:
        probabilities = outputs[signature.probability_output]
        message.labels.extend(outputs[signature.label_output].tolist())
        message.probabilities.rows, message.probabilities.columns = probabilities.shape
        message.probabilities.values.extend(probabilities.ravel().tolist())
        message.class_names.extend(signature.class_names)
    else:
        message.values.extend(outputs[signature.value_output].ravel().tolist())
    return message


def _timestamp(moment: object) -> timestamp_pb2.Timestamp:
    stamp = timestamp_pb2.Timestamp()
    stamp.FromDatetime(moment)  # type: ignore[arg-type]
    return stamp


def served_version(model: ServedModel, served: ServedVersion) -> messages.ServedVersion:
    message = messages.ServedVersion(
        version=served.version,
        state=STATES[served.state],
        aliases=sorted(alias for alias, number in model.aliases.items() if number == served.version),
        fallback=model.fallback_version == served.version,
        error_message=served.error_message,
    )
    if served.load_time is not None:
        message.load_time.CopyFrom(_timestamp(served.load_time))
    if served.model is not None:
        message.feature_count = served.signature.feature_count
        message.class_names.extend(served.signature.class_names)
    return message


def served_model(model: ServedModel) -> messages.ServedModel:
    message = messages.ServedModel(
        model_name=model.name,
        versions=[served_version(model, model.versions[number]) for number in sorted(model.versions)],
        default_version=model.default_version or 0,
    )
    if model.split is not None:
        message.traffic_split.sticky = model.split.sticky
        for version, percent in model.split.allocations:
            message.traffic_split.allocations.add(version=version, percent=percent)
    return message


def traffic_split(request: messages.SetTrafficSplitRequest) -> TrafficSplit | None:
    if not request.model_name:
        raise InvalidArgument("invalid traffic split", [FieldViolation("model_name", "required")])
    allocations = tuple((item.version, item.percent) for item in request.traffic_split.allocations)
    if not allocations:
        return None
    return TrafficSplit(allocations=allocations, sticky=request.traffic_split.sticky)


def window_seconds(request: messages.GetDriftReportRequest) -> float:
    if not request.HasField("window"):
        return 3600.0
    seconds = request.window.ToTimedelta().total_seconds()
    if not seconds > 0 or not math.isfinite(seconds):
        raise InvalidArgument("invalid drift window", [FieldViolation("window", "must be positive")])
    return seconds


def drift_report(report: DriftReport) -> messages.GetDriftReportResponse:
    return messages.GetDriftReportResponse(
        model_name=report.model_name,
        version=report.version,
        window_start_time=_timestamp(report.window_start),
        window_end_time=_timestamp(report.window_end),
        row_count=report.row_count,
        level=int(report.level),
        features=[
            messages.FeatureDrift(
                feature=drift.feature,
                psi=drift.psi,
                ks_statistic=drift.ks_statistic,
                ks_p_value=drift.ks_p_value,
                level=int(drift.level),
                mean=drift.mean,
                reference_mean=drift.reference_mean,
            )
            for drift in report.features
        ],
    )
