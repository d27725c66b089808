"""The first and last rows of a stored dataset, read without loading the rest of it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from services.core.datasets.columnar import CanonicalBars, read_header, read_rows


@dataclass(frozen=True, slots=True, eq=False)
class Preview:
    head: CanonicalBars
    tail: CanonicalBars
    # rows of the symbol asked for, or of the whole dataset
    row_count: int


def preview(path: Path, symbol: str, head_rows: int, tail_rows: int) -> Preview:
    """Rows of `symbol` (every symbol's, in stored order, when it is empty); InvalidArgument for a bad one."""
    with path.open("rb") as file:
        header = read_header(file)
    if symbol:
        chosen = header.symbol_range(symbol)
        start, stop = chosen.start, chosen.stop
    else:
        start, stop = 0, header.rows
    head = read_rows(path, start, min(stop, start + head_rows))
    tail = read_rows(path, max(start, stop - tail_rows), stop)
    return Preview(head=head, tail=tail, row_count=stop - start)
