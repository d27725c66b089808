"""Turning an uploaded file, or a generator spec, into what is stored: canonical bars and statistics.

Runs in a worker thread (pandas parsing a large CSV takes seconds of CPU); it reads the upload's
temporary file from disk, so the file's bytes are never held in memory besides the parsed columns.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from services.core.datasets import generator
from services.core.datasets.columnar import CanonicalBars
from services.core.datasets.ohlcv import read_ohlcv, sniff_format
from services.core.datasets.statistics import DatasetSummary, GapReport, summarize
from services.core.datasets.timeframes import infer_timeframe, interval_ns
from services.core.errors import FieldViolation, InvalidArgument

LISTED_GAPS_IN_WARNINGS = 5


@dataclass(frozen=True, slots=True)
class UploadMetadata:
    display_name: str
    file_format: str  # "csv", "parquet" or '' (sniffed from the file's first bytes)
    default_symbol: str
    timeframe: str  # a timeframe code; '' to infer it
    timezone: str  # IANA zone of timestamps without an offset; '' means UTC
    size_bytes: int
    request_id: str


@dataclass(frozen=True, slots=True, eq=False)
class Prepared:
    bars: CanonicalBars
    source_format: str
    timeframe: str
    summary: DatasetSummary
    warnings: tuple[str, ...]


def prepare_upload(path: Path, metadata: UploadMetadata) -> Prepared:
    """Read and check the file at `path`; InvalidArgument lists every problem (nothing is kept then)."""
    file_format = metadata.file_format
    if not file_format:
        with path.open("rb") as file:
            file_format = sniff_format(file.read(4))
    table = read_ohlcv(
        path,
        file_format=file_format,
        default_symbol=metadata.default_symbol.strip(),
        timezone=metadata.timezone,
    )
    if (table.symbols == "").any():
        raise InvalidArgument(
            "the rows need a symbol",
            [
                FieldViolation(
                    "metadata.default_symbol", "the file has no symbol column: name the symbol here"
                )
            ],
        )
    bars = CanonicalBars.from_table(table)
    starts = [item.start for item in bars.ranges]
    inferred = infer_timeframe(bars.timestamps, starts)
    timeframe = metadata.timeframe or inferred
    warnings = []
    if metadata.timeframe and inferred and inferred != metadata.timeframe:
        warnings.append(
            f"the declared timeframe is {metadata.timeframe} but the bars are most often {inferred} apart"
        )
    if not timeframe:
        warnings.append("the timeframe could not be inferred from the bars' spacing: no gap report")
    summary = summarize(bars, interval_ns(timeframe))
    warnings.extend(gap_warnings(summary.gaps))
    return Prepared(bars, file_format, timeframe, summary, tuple(warnings))


def prepare_generated(spec: generator.SyntheticSpec, timeframe: str) -> Prepared:
    bars = generator.generate(spec)
    return Prepared(bars, "generated", timeframe, summarize(bars, spec.interval_ns), ())


def gap_warnings(gaps: GapReport) -> list[str]:
    """The gap report as an upload's warnings: a summary, then the largest gaps."""
    if gaps.gap_count == 0:
        return []
    lines = [gaps.summary()]
    for gap in gaps.largest[:LISTED_GAPS_IN_WARNINGS]:
        start = pd.Timestamp(gap.start_ns, tz="UTC").isoformat()
        end = pd.Timestamp(gap.end_ns, tz="UTC").isoformat()
        lines.append(f"{gap.symbol}: {gap.missing_bars:,} bar(s) missing from {start} to {end}")
    return lines
