"""The one error the embedded servers raise: its message tells the developer what to do."""

from __future__ import annotations


class DevstackError(RuntimeError):
    """A local server could not be found, started or stopped; the message says why and what to run."""
