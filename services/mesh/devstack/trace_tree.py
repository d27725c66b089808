"""One trace from the local collector's JSON-lines file, printed as the tree of calls it was.

A span whose parent is not in the file (the caller's own span, or one still being exported)
is printed as a root, so a partial trace still reads top-down.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path
from typing import Any, TextIO

Span = dict[str, Any]


def spans_of(path: Path, trace_id: str) -> list[Span]:
    """Every span of `trace_id` in the file, in start order; lines that are not JSON are skipped."""
    found: list[Span] = []
    with path.open(encoding="utf-8") as lines:
        for line in lines:
            try:
                span = json.loads(line)
            except json.JSONDecodeError:
                continue
            if isinstance(span, dict) and span.get("trace_id") == trace_id:
                found.append(span)
    return sorted(found, key=lambda span: span["start_time_unix_nano"])


def tree_lines(spans: Iterable[Span]) -> list[str]:
    """`service  name  duration` per span, children indented under their parent."""
    ordered = list(spans)
    known = {span["span_id"] for span in ordered}
    children: dict[str | None, list[Span]] = defaultdict(list)
    for span in ordered:
        parent = span.get("parent_span_id")
        children[parent if parent in known else None].append(span)
    lines: list[str] = []

    def walk(parent: str | None, depth: int) -> None:
        for span in children.get(parent, []):
            milliseconds = (span["end_time_unix_nano"] - span["start_time_unix_nano"]) / 1e6
            status = "" if span.get("status") in (None, "UNSET", "OK") else f"  [{span['status']}]"
            lines.append(
                f"{'  ' * depth}{span['service.name']}  {span['name']}  {milliseconds:.1f} ms{status}"
            )
            walk(span["span_id"], depth + 1)

    walk(None, 0)
    return lines


def print_trace(path: Path, trace_id: str, out: TextIO) -> bool:
    """Print the trace; False (and a note) when the file holds no span of it."""
    spans = spans_of(path, trace_id)
    if not spans:
        out.write(f"no span of trace {trace_id} in {path}\n")
        return False
    out.write(f"trace {trace_id}: {len(spans)} spans\n")
    out.writelines(line + "\n" for line in tree_lines(spans))
    return True
