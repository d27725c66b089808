"""What a worker reads about its job's process from /proc: resident memory and CPU time so far.

Sampled from outside, so a job cannot hide its use, and so the worker knows the CPU time of an
attempt it had to kill (a killed process reports nothing itself).
"""

from __future__ import annotations

import os
from dataclasses import dataclass

_PAGE_BYTES = os.sysconf("SC_PAGE_SIZE")
_TICKS_PER_SECOND = os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True, slots=True)
class ProcessSample:
    resident_bytes: int
    cpu_seconds: float


def parse_stat_cpu_seconds(stat: str) -> float:
    """utime + stime + cutime + cstime of a /proc/<pid>/stat line, in seconds."""
    # the command name (field 2) may hold spaces and parentheses: split after its last ')'
    fields = stat[stat.rindex(")") + 2 :].split()
    # fields[0] is field 3 (state); utime, stime, cutime, cstime are fields 14 to 17
    ticks = sum(int(value) for value in fields[11:15])
    return ticks / _TICKS_PER_SECOND


def sample(pid: int) -> ProcessSample | None:
    """The process's memory and CPU, or None once it is gone."""
    try:
        with open(f"/proc/{pid}/statm", encoding="ascii") as file:
            resident_pages = int(file.read().split()[1])
        with open(f"/proc/{pid}/stat", encoding="ascii") as file:
            cpu = parse_stat_cpu_seconds(file.read())
    except (FileNotFoundError, ProcessLookupError, IndexError, ValueError):
        return None
    return ProcessSample(resident_bytes=resident_pages * _PAGE_BYTES, cpu_seconds=cpu)
