"""The KServe v2 / Open Inference Protocol side: stock tritonclient works, and so do typed contents."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from pathlib import Path

import grpc
import numpy as np
import onnxruntime
import pytest

from inference import grpc_service_pb2 as messages
from tests.integration.predictor.requests import error_violations, rows_of

pytestmark = pytest.mark.integration

CLIENT = Path(__file__).with_name("triton_client.py")


def churn_session(model_root: Path) -> onnxruntime.InferenceSession:
    return onnxruntime.InferenceSession(str(model_root / "churn" / "1" / "model.onnx"))


async def test_tritonclient_metadata_infer_and_stream(predictor, model_root, tmp_path) -> None:
    rows = rows_of(seed=50, count=6)
    rows_path = tmp_path / "rows.json"
    rows_path.write_text(json.dumps(rows.tolist()))
    labels, probabilities = churn_session(model_root).run(None, {"X": rows})

    completed = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, str(CLIENT), str(predictor.port), str(rows_path)],
        capture_output=True,
        text=True,
        timeout=90,
        check=False,
    )

    assert completed.returncode == 0, completed.stderr
    seen = json.loads(completed.stdout)
    assert (
        seen["live"],
        seen["ready"],
        seen["model_ready"],
        seen["version_ready"],
        seen["missing_ready"],
    ) == (
        True,
        True,
        True,
        True,
        False,
    )
    metadata = seen["metadata"]
    assert metadata["platform"] == "onnxruntime_onnx"
    assert metadata["versions"] == ["1"]
    assert metadata["inputs"] == [{"name": "X", "datatype": "FP32", "shape": ["-1", "4"]}]
    assert [output["name"] for output in metadata["outputs"]] == ["label", "probabilities"]
    assert seen["infer"]["id"] == "unary-1"
    assert seen["infer"]["version"] == "1"
    assert seen["infer"]["label"] == labels.tolist()
    np.testing.assert_array_equal(np.asarray(seen["infer"]["probabilities"], dtype=np.float32), probabilities)
    assert seen["fp64_label"] == labels.tolist()
    assert seen["fp64_outputs"] == ["label"]
    assert seen["bad_unary"] == "StatusCode.INVALID_ARGUMENT"
    first, bad, last = seen["stream"]
    assert first == {"id": "s0", "label": labels.tolist()}
    assert "INVALID_ARGUMENT" in bad["error"]
    assert last == {"id": "s2", "label": labels.tolist()}


async def test_typed_contents_are_answered_with_typed_contents(inference_stub, model_root) -> None:
    rows = rows_of(seed=51, count=3)
    labels, probabilities = churn_session(model_root).run(None, {"X": rows})
    request = messages.ModelInferRequest(model_name="churn", model_version="1", id="typed")
    tensor = request.inputs.add(name="X", datatype="FP64", shape=[3, 4])
    tensor.contents.fp64_contents.extend(rows.astype(np.float64).ravel().tolist())

    response = await inference_stub.ModelInfer(request)

    assert response.id == "typed"
    assert not response.raw_output_contents
    label, probability = response.outputs
    assert (label.name, label.datatype, list(label.shape)) == ("label", "INT64", [3])
    assert list(label.contents.int64_contents) == labels.tolist()
    np.testing.assert_array_equal(
        np.asarray(probability.contents.fp32_contents, dtype=np.float32), probabilities.ravel()
    )


def _request(**changes: object) -> messages.ModelInferRequest:
    request = messages.ModelInferRequest(model_name="churn")
    tensor = request.inputs.add(name="X", datatype="FP32", shape=[2, 4])
    request.raw_input_contents.append(np.zeros((2, 4), dtype=np.float32).tobytes())
    for name, value in changes.items():
        if name == "input_name":
            tensor.name = value  # type: ignore[assignment]
        elif name == "datatype":
            tensor.datatype = value  # type: ignore[assignment]
        elif name == "shape":
            del tensor.shape[:]
            tensor.shape.extend(value)  # type: ignore[arg-type]
        elif name == "raw":
            request.raw_input_contents[0] = value  # type: ignore[index]
        elif name == "typed_too":
            tensor.contents.fp32_contents.extend([0.0] * 8)
        elif name == "typed_only":
            del request.raw_input_contents[:]
            tensor.contents.fp32_contents.extend(value)  # type: ignore[arg-type]
        elif name == "output":
            request.outputs.add(name=value)
        elif name == "second_input":
            request.inputs.add(name="Y", datatype="FP32", shape=[1])
        else:
            setattr(request, name, value)
    return request


@pytest.mark.parametrize(
    ("request_", "fields"),
    [
        (_request(model_name=""), ["model_name"]),
        (_request(second_input=True), ["inputs", "raw_input_contents"]),
        (_request(model_version="one"), ["model_version"]),
        (_request(input_name="features"), ["inputs[0].name"]),
        (_request(datatype="BYTES"), ["inputs[0].datatype"]),
        (_request(shape=[8]), ["inputs[0].shape"]),
        (_request(shape=[2, 5]), ["inputs[0].shape"]),
        (_request(raw=b"\x00" * 31), ["raw_input_contents[0]"]),
        (_request(typed_too=True), ["inputs[0].contents"]),
        (_request(typed_only=[0.0] * 7), ["inputs[0].contents.fp32_contents"]),
        (_request(typed_only=[float("nan")] * 8), ["inputs[0]"]),
        (_request(output="scores"), ["outputs[0].name"]),
    ],
    ids=[
        "no-model",
        "two-inputs",
        "version-text",
        "input-name",
        "datatype",
        "rank",
        "feature-count",
        "raw-size",
        "raw-and-typed",
        "typed-count",
        "nan",
        "unknown-output",
    ],
)
async def test_bad_inference_requests_are_invalid_argument(inference_stub, request_, fields) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await inference_stub.ModelInfer(request_)

    assert raised.value.code() is grpc.StatusCode.INVALID_ARGUMENT
    assert error_violations(raised.value) == fields


async def test_metadata_of_an_unknown_model_is_not_found(inference_stub) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await inference_stub.ModelMetadata(messages.ModelMetadataRequest(name="nope"))

    assert raised.value.code() is grpc.StatusCode.NOT_FOUND
