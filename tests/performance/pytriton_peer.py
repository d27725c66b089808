"""Triton Inference Server (the binary that the nvidia-pytriton wheel carries) as a predictor peer.

PyTriton 0.7.0 goes into its own venv, .bench/pytriton, beside MLServer's. It is served by a small
script (PYTRITON_RUNTIME) that binds a Python function calling onnxruntime, with the session options
of our MLServer runtime, to Triton: tritonserver -> python backend stub -> (zmq) -> this function.
The function runs in the script's process, so the server is a process tree: the script,
tritonserver, the backend stub and its multiprocessing helpers. Its CPU is the tree's, and stopping
it means stopping the tree (see `stop_tree` in bench_predictor).
"""

from __future__ import annotations

import os
from pathlib import Path

from tests.performance.peer_venvs import install_venv

PYTRITON_VERSION = "0.7.0"
PYTRITON_VENV = Path(".bench/pytriton")
# Greedy dynamic batching: a batch is whatever requests are queued when the model is free, up to
# MAX_BATCH rows, with no timer (max_queue_delay_microseconds 0), like our own micro-batching.
MAX_BATCH = 64

PYTRITON_RUNTIME = """
import os
import signal
import sys
import sysconfig

import numpy as np
import onnxruntime

# The wheel's python backend stub embeds libpython3.X.so and finds the first one on the loader path
# (on Debian, /lib's, another patch release than a pyenv interpreter's stdlib, which then fails to
# start): put this interpreter's own libpython first. tritonserver inherits os.environ.
os.environ["LD_LIBRARY_PATH"] = ":".join(
    filter(None, [sysconfig.get_config_var("LIBDIR"), os.environ.get("LD_LIBRARY_PATH")])
)

from pytriton.decorators import batch
from pytriton.model_config import DynamicBatcher, ModelConfig, Tensor
from pytriton.triton import Triton, TritonConfig

model_path, model_name, features, grpc_port, http_port, max_batch, workspace = sys.argv[1:8]

options = onnxruntime.SessionOptions()
options.intra_op_num_threads = 1
options.inter_op_num_threads = 1
options.add_session_config_entry("session.intra_op.allow_spinning", "0")
session = onnxruntime.InferenceSession(model_path, options)


@batch
def infer(X):
    label, probabilities = session.run(None, {"X": X.astype(np.float32, copy=False)})
    # Triton wants at least one dimension beyond the batch one: label goes out as [rows, 1]
    return {"label": label.reshape(-1, 1), "probabilities": probabilities}


def stop(*_):
    raise KeyboardInterrupt  # Triton.serve() stops tritonserver and its stubs on it


signal.signal(signal.SIGTERM, stop)
config = TritonConfig(
    grpc_address="127.0.0.1",
    grpc_port=int(grpc_port),
    http_address="127.0.0.1",
    http_port=int(http_port),
    allow_metrics=False,
    log_verbose=0,
)
with Triton(config=config, workspace=workspace) as triton:
    triton.bind(
        model_name=model_name,
        infer_func=infer,
        inputs=[Tensor(name="X", dtype=np.float32, shape=(int(features),))],
        outputs=[
            Tensor(name="label", dtype=np.int64, shape=(1,)),
            Tensor(name="probabilities", dtype=np.float32, shape=(-1,)),
        ],
        config=ModelConfig(
            max_batch_size=int(max_batch),
            batcher=DynamicBatcher(max_queue_delay_microseconds=0),
        ),
    )
    print("PyTriton: model bound, serving", flush=True)
    triton.serve()
"""


def ensure_pytriton() -> Path | None:
    """The venv's python with nvidia-pytriton in it; None (and why) when it cannot be installed."""
    installed = PYTRITON_VENV.glob("lib/python*/site-packages/pytriton/tritonserver/bin/tritonserver")
    if not list(installed) and not install_venv(
        PYTRITON_VENV,
        [f"nvidia-pytriton=={PYTRITON_VERSION}", "onnxruntime", "numpy"],
        f"nvidia-pytriton {PYTRITON_VERSION}",
        timeout_seconds=900,
    ):
        return None
    return PYTRITON_VENV / "bin" / "python"


def pytriton_command(
    python: Path, root: Path, model: Path, model_name: str, features: int, grpc_port: int, http_port: int
) -> list[str]:
    """The command line that serves `model` from a script written into `root`."""
    script = root / "pytriton_runtime.py"
    script.write_text(PYTRITON_RUNTIME)
    return [
        str(python.absolute()),
        str(script),
        str(model.resolve()),
        model_name,
        str(features),
        str(grpc_port),
        str(http_port),
        str(MAX_BATCH),
        str(root / "pytriton-workspace"),
    ]


def pytriton_environment() -> dict[str, str]:
    """Ours minus what would make the other venv's interpreter import our packages."""
    return {
        name: value
        for name, value in os.environ.items()
        if name not in {"PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV"}
    }
