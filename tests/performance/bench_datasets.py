"""Datasets: loading 1,000,000 stored bars for a backtest, and checking a 1,000,000-row CSV upload.

- Loading: ours is `read_bars` on the canonical columnar file (what `load_bars` and
  `load_bars_sync` do after their one-row PostgreSQL lookup) and the `Bars` made from it. The
  references read the same bars, from the page cache as ours, into numpy arrays: from Parquet
  (pyarrow, uncompressed and snappy, as `pandas.to_parquet` writes by default), and from one `.npy`
  file per column (`numpy.load`): the two other forms the brief asked to weigh.
- Upload check: ours is `prepare_upload` on a 1,000,000-row CSV (parse, every check, sort into the
  canonical form, infer the timeframe, compute the statistics); the reference is `pandas.read_csv`
  of the same file alone, the least any upload must do.

Figures are medians after a warm-up; timings never fail a build.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as parquet

from services.core.datasets.columnar import encode, read_bars
from services.core.datasets.generator import SyntheticSpec, generate
from services.trainer.datasets.loading import bars_from_canonical
from services.trainer.datasets.preparation import UploadMetadata, prepare_upload
from tests.performance.measurement import Measurement

BARS = 1_000_000
MINUTE_NS = 60 * 10**9
COLUMNS = ("timestamp", "open", "high", "low", "close", "volume")


def _median_ms(work: Callable[[], object], repeats: int = 7) -> float:
    work()
    timings = []
    for _ in range(repeats):
        started = time.perf_counter()
        work()
        timings.append((time.perf_counter() - started) * 1000)
    return statistics.median(timings)


def run() -> list[Measurement]:
    bars = generate(SyntheticSpec(seed=1, bar_count=BARS, interval_ns=MINUTE_NS, symbol="BENCH"))
    with tempfile.TemporaryDirectory(prefix="bench-datasets-") as directory:
        root = Path(directory)
        canonical = root / "bars.ohlc"
        canonical.write_bytes(b"".join(bytes(piece) for piece in encode(bars)))
        frame = pd.DataFrame({name: bars.column(name) for name in COLUMNS})
        frame.to_parquet(root / "plain.parquet", compression=None)
        frame.to_parquet(root / "snappy.parquet")
        for name in COLUMNS:
            np.save(root / f"{name}.npy", bars.column(name))
        csv = root / "bars.csv"
        frame.assign(timestamp=pd.to_datetime(frame["timestamp"], utc=True)).to_csv(csv, index=False)

        ours = _median_ms(lambda: bars_from_canonical(read_bars(canonical, "BENCH")))
        plain = _median_ms(lambda: _parquet_arrays(root / "plain.parquet"))
        snappy = _median_ms(lambda: _parquet_arrays(root / "snappy.parquet"))
        npy = _median_ms(lambda: [np.load(root / f"{name}.npy") for name in COLUMNS])
        metadata = UploadMetadata("bench", "csv", "BENCH", "", "", 0, "")
        prepare = _median_ms(lambda: prepare_upload(csv, metadata), repeats=3)
        read_csv = _median_ms(lambda: pd.read_csv(csv), repeats=3)
    label = f"datasets: load {BARS:,} bars"
    return [
        Measurement(label, "ms", ours, "pyarrow Parquet, uncompressed", plain, higher_is_better=False,
                    aim="well under 1,000 ms"),
        Measurement(label, "ms", ours, "pyarrow Parquet, snappy", snappy, higher_is_better=False),
        Measurement(label, "ms", ours, "numpy .npy per column", npy, higher_is_better=False),
        Measurement(f"datasets: check and convert a {BARS:,}-row CSV upload", "ms", prepare,
                    "pandas.read_csv alone", read_csv, higher_is_better=False),
    ]  # fmt: skip


def _parquet_arrays(path: Path) -> list[np.ndarray]:
    table = parquet.read_table(path)
    return [table.column(name).to_numpy() for name in COLUMNS]
