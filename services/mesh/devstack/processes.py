"""Starting, waiting for and stopping child processes we own."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path


def spawn(
    command: Sequence[str], log_path: Path, environment: Mapping[str, str] | None = None
) -> subprocess.Popen[bytes]:
    """Run `command` with stdout and stderr appended to `log_path`.

    The child gets its own session, so a Ctrl-C in the terminal reaches only the
    process that owns it, which then stops its children in order.
    """
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("ab") as log:
        return subprocess.Popen(
            list(command),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            env=dict(environment) if environment is not None else None,
            start_new_session=True,
        )


def terminate(process: subprocess.Popen[bytes], grace_seconds: float) -> None:
    """SIGTERM, then SIGKILL if the process is still running after the grace period."""
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(grace_seconds)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def describe_exit(code: int) -> str:
    """`exited with code 1`, or `was killed by SIGKILL` for a negative Popen return code."""
    if code < 0:
        try:
            return f"was killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"was killed by signal {-code}"
    return f"exited with code {code}"


def wait_for(condition: Callable[[], bool], timeout_seconds: float, interval_seconds: float = 0.1) -> bool:
    """Poll `condition` until it holds or the time is up; True when it held."""
    deadline = time.monotonic() + timeout_seconds
    while True:
        if condition():
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(interval_seconds)


def is_alive(pid: int) -> bool:
    """Whether a process with this id exists (and is not a zombie we could reap)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return not _is_zombie(pid)


def _is_zombie(pid: int) -> bool:
    try:
        status = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    # the state letter follows the parenthesised command name, which may contain spaces
    return status.rsplit(")", 1)[-1].split()[0] == "Z"
