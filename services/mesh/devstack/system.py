"""Finding the server binaries the embedded default needs, and installing them when we may.

CI and containers run as root with Debian's package archive reachable, so a missing
binary is installed there on first use; a developer's own account gets the exact
command to run instead of a stack trace.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from services.mesh.devstack.errors import DevstackError

APT_LOCK_TIMEOUT_SECONDS = 300


def is_root() -> bool:
    return os.geteuid() == 0


def ensure_installed(find: Callable[[], Path | None], *, package: str, what: str) -> Path:
    """The path `find` returns, after installing the Debian `package` first if it returns None."""
    found = find()
    if found is not None:
        return found
    if not is_root():
        raise DevstackError(
            f"{what} is not installed. Install it with:\n"
            f"    sudo apt-get update && sudo apt-get install -y {package}\n"
            "or point the mesh at a server of your own (DATABASE_URL / REDIS_URL)."
        )
    install_with_apt(package)
    found = find()
    if found is None:
        raise DevstackError(f"`apt-get install -y {package}` succeeded but {what} is still not found")
    return found


def install_with_apt(package: str) -> None:
    """`apt-get update` then `apt-get install -y package`, failing with apt's own output."""
    print(f"{package} is missing: installing it with apt-get (once per machine)...", file=sys.stderr)
    environment = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    wait_for_lock = ["-o", f"DPkg::Lock::Timeout={APT_LOCK_TIMEOUT_SECONDS}"]
    for command in (
        ["apt-get", *wait_for_lock, "update"],
        ["apt-get", *wait_for_lock, "install", "-y", package],
    ):
        result = subprocess.run(command, env=environment, capture_output=True, text=True, check=False)
        if result.returncode != 0:
            raise DevstackError(
                f"`{' '.join(command)}` failed with exit code {result.returncode}:\n"
                f"{(result.stdout + result.stderr)[-3000:]}"
            )
