"""Log tails for error messages: the last lines of a server's log usually say why it failed."""

from __future__ import annotations

from pathlib import Path


def tail(path: Path, lines: int = 30) -> str:
    """The last `lines` lines of a log file, or a note that there is none yet."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        return f"(no log at {path})"
    kept = text.splitlines()[-lines:]
    return "\n".join(kept) if kept else f"({path} is empty)"


def describe_failure(summary: str, log_path: Path, lines: int = 30) -> str:
    """A failure message followed by the tail of the log that explains it."""
    return f"{summary}\n--- last lines of {log_path} ---\n{tail(log_path, lines)}"
