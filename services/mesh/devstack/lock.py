"""The run lock: one mesh per run directory, and a clear answer when one is already up."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

from services.mesh.devstack.errors import DevstackError
from services.mesh.devstack.processes import is_alive

# what the command line of a supervisor contains, however it was started
MESH_COMMAND_MARKERS = ("services.mesh.devstack", "alphintra")


class AlreadyRunning(DevstackError):
    """Another live supervisor holds the lock."""

    def __init__(self, pid: int) -> None:
        super().__init__(
            f"the mesh is already running (pid {pid}) — stop it with Ctrl-C in its terminal or `kill {pid}`"
        )
        self.pid = pid


class PidLock:
    """A file naming the process that owns the run directory; a file naming a dead process is stale."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._held = False

    def acquire(self) -> None:
        """Take the lock or raise AlreadyRunning; exclusive creation settles a race between two starts."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        for _ in range(3):
            try:
                descriptor = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
            except FileExistsError:
                owner = self._owner()
                if owner is not None and owner != os.getpid() and _is_a_mesh(owner):
                    raise AlreadyRunning(owner) from None
                # stale: its process is gone, or the id now belongs to something else (after a reboot)
                with contextlib.suppress(FileNotFoundError):
                    self.path.unlink()
                continue
            with os.fdopen(descriptor, "w") as lock_file:
                lock_file.write(f"{os.getpid()}\n")
            self._held = True
            return
        raise DevstackError(f"could not take the lock {self.path}: it keeps reappearing")

    def release(self) -> None:
        """Remove the file if it still names this process."""
        if self._held and self._owner() == os.getpid():
            self.path.unlink()
        self._held = False

    def _owner(self) -> int | None:
        try:
            text = self.path.read_text().strip()
        except FileNotFoundError:
            return None
        return int(text) if text.isdigit() else None


def _is_a_mesh(pid: int) -> bool:
    """A live process started as `python -m services.mesh.devstack` or `alphintra run`."""
    if not is_alive(pid):
        return False
    try:
        command = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
    except OSError:
        return True  # alive but unreadable: assume it is ours rather than start a second mesh
    return any(marker in command for marker in MESH_COMMAND_MARKERS)
