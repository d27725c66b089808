"""Peers whose pins conflict with ours get a virtual environment of their own under .bench/."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path


def install_venv(venv: Path, packages: list[str], what: str, timeout_seconds: float) -> bool:
    """`packages` installed into a new `venv` with uv; False (and why, on stderr) when that fails."""
    uv = shutil.which("uv") or str(Path(sys.executable).with_name("uv"))
    print(f"installing {what} into {venv}", flush=True)
    try:
        subprocess.run([uv, "venv", "-q", str(venv), "--python", "3.11"], check=True, timeout=300)
        subprocess.run(
            [uv, "pip", "install", "-q", "--python", str(venv / "bin" / "python"), *packages],
            check=True,
            timeout=timeout_seconds,
        )
    except (OSError, subprocess.SubprocessError) as error:
        print(f"{what} could not be installed ({error}); skipping it", file=sys.stderr)
        return False
    return True
