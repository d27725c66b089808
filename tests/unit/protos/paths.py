"""Where the contracts and their generated artefacts live."""

from __future__ import annotations

from pathlib import Path

REPOSITORY_ROOT = Path(__file__).resolve().parents[3]
DESCRIPTOR_SET_PATH = REPOSITORY_ROOT / "deploy" / "envoy" / "alphintra.pb"
GEN_PROTOS_PATH = REPOSITORY_ROOT / "scripts" / "gen_protos.py"
GENERATED_PYTHON = REPOSITORY_ROOT / "protos" / "python"
PROTO_ROOT = REPOSITORY_ROOT / "protos"
