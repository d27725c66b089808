"""Runs stock `tritonclient.grpc` against a predictor; prints what it got as JSON.

A separate process: tritonclient's generated protos and ours both define package
`inference`, and one process's descriptor pool cannot hold both. Usage:
`python triton_client.py <port> <rows.json>`; rows are a list of float lists (4 features).
"""

from __future__ import annotations

import json
import queue
import sys

import numpy as np
import tritonclient.grpc as triton
from tritonclient.utils import InferenceServerException


def main() -> None:
    port, rows_path = sys.argv[1], sys.argv[2]
    with open(rows_path, encoding="utf-8") as file:
        rows = np.asarray(json.load(file), dtype=np.float32)
    client = triton.InferenceServerClient(f"127.0.0.1:{port}")
    metadata = client.get_model_metadata("churn", as_json=True)
    out: dict[str, object] = {
        "live": client.is_server_live(),
        "ready": client.is_server_ready(),
        "model_ready": client.is_model_ready("churn"),
        "version_ready": client.is_model_ready("churn", "1"),
        "missing_ready": client.is_model_ready("nope"),
        "metadata": metadata,
    }

    infer_input = triton.InferInput("X", list(rows.shape), "FP32")
    infer_input.set_data_from_numpy(rows)
    result = client.infer("churn", [infer_input], request_id="unary-1")
    out["infer"] = {
        "id": result.get_response().id,
        "version": result.get_response().model_version,
        "label": result.as_numpy("label").tolist(),
        "probabilities": result.as_numpy("probabilities").tolist(),
    }
    fp64_input = triton.InferInput("X", list(rows.shape), "FP64")
    fp64_input.set_data_from_numpy(rows.astype(np.float64))
    only_label = client.infer("churn", [fp64_input], outputs=[triton.InferRequestedOutput("label")])
    out["fp64_label"] = only_label.as_numpy("label").tolist()
    out["fp64_outputs"] = [output.name for output in only_label.get_response().outputs]
    try:
        bad = triton.InferInput("X", [rows.shape[0], 3], "FP32")
        bad.set_data_from_numpy(rows[:, :3].copy())
        client.infer("churn", [bad])
        out["bad_unary"] = "accepted"
    except InferenceServerException as error:
        out["bad_unary"] = error.status()

    answers: queue.Queue = queue.Queue()
    client.start_stream(callback=lambda result, error: answers.put((result, error)))
    for index in range(3):
        tensor = triton.InferInput("X", list(rows.shape) if index != 1 else [rows.shape[0], 3], "FP32")
        tensor.set_data_from_numpy(rows if index != 1 else rows[:, :3].copy())
        client.async_stream_infer("churn", [tensor], request_id=f"s{index}")
    streamed = []
    for _ in range(3):
        result, error = answers.get(timeout=30)
        if error is not None:
            streamed.append({"error": str(error)})
        else:
            streamed.append({"id": result.get_response().id, "label": result.as_numpy("label").tolist()})
    client.stop_stream()
    out["stream"] = streamed
    client.close()
    print(json.dumps(out))


if __name__ == "__main__":
    main()
