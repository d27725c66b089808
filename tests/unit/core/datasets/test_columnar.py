"""The canonical stored form: sorted by symbol and time, read back exactly, same bars same bytes."""

import numpy as np
import pytest

from services.core.datasets.columnar import (
    CanonicalBars,
    CorruptDataset,
    encode,
    read_bars,
    read_header,
    read_rows,
    read_time_range,
)
from services.core.datasets.ohlcv import read_ohlcv
from services.core.errors import InvalidArgument

CSV = b"""time,symbol,open,high,low,close,volume
2024-01-01,BBB,5,6,4,5.25,21
2024-01-01,AAA,1,2,0.5,1.5,10
2024-01-02,BBB,5,6,4,5.5,20
2024-01-02,AAA,1.5,2,1,1.25,11
2024-01-03,AAA,1.25,1.5,1,1.5,12
"""


def _write(bars: CanonicalBars, path):
    path.write_bytes(b"".join(bytes(piece) for piece in encode(bars)))
    return path


def test_rows_are_sorted_by_symbol_then_time():
    bars = CanonicalBars.from_table(read_ohlcv(CSV))
    assert bars.symbols == ["AAA", "BBB"]
    assert [(item.start, item.stop) for item in bars.ranges] == [(0, 3), (3, 5)]
    assert bars.close.tolist() == [1.5, 1.25, 1.5, 5.25, 5.5]
    assert bars.symbol_column().tolist() == ["AAA", "AAA", "AAA", "BBB", "BBB"]


def test_a_symbol_reads_back_exactly(tmp_path):
    bars = CanonicalBars.from_table(read_ohlcv(CSV))
    path = _write(bars, tmp_path / "bars")
    bbb = read_bars(path, "BBB")
    assert bbb.close.tolist() == [5.25, 5.5]
    assert bbb.volume.tolist() == [21.0, 20.0]
    np.testing.assert_array_equal(bbb.timestamps, bars.timestamps[3:])
    everything = read_bars(path, all_symbols=True)
    for name in ("timestamp", "open", "high", "low", "close", "volume"):
        np.testing.assert_array_equal(everything.column(name), bars.column(name))
    with pytest.raises(InvalidArgument) as raised:
        read_bars(path)
    assert raised.value.violations[0].field == "symbol"


def test_row_ranges_cross_symbols(tmp_path):
    path = _write(CanonicalBars.from_table(read_ohlcv(CSV)), tmp_path / "bars")
    middle = read_rows(path, 2, 4)
    assert middle.close.tolist() == [1.5, 5.25]
    assert [(item.name, item.start, item.stop) for item in middle.ranges] == [("AAA", 0, 1), ("BBB", 1, 2)]
    assert len(read_rows(path, 5, 5)) == 0


def _day_ns(day: int) -> int:
    return int(np.datetime64(f"2024-01-{day:02d}", "ns").astype(np.int64))


def test_a_time_range_of_one_symbol_reads_only_its_bars(tmp_path):
    path = _write(CanonicalBars.from_table(read_ohlcv(CSV)), tmp_path / "bars")
    everything = read_time_range(path, "AAA")
    assert everything.close.tolist() == [1.5, 1.25, 1.5]
    assert [(item.name, item.start, item.stop) for item in everything.ranges] == [("AAA", 0, 3)]
    # [start, end): the bar opening at end_ns is not in it
    middle = read_time_range(path, "AAA", _day_ns(2), _day_ns(3))
    assert middle.close.tolist() == [1.25]
    assert read_time_range(path, "AAA", start_ns=_day_ns(2)).close.tolist() == [1.25, 1.5]
    assert read_time_range(path, "AAA", end_ns=_day_ns(2)).close.tolist() == [1.5]
    assert read_time_range(path, "BBB", max_rows=1).close.tolist() == [5.25]
    assert read_time_range(path, "AAA", start_ns=_day_ns(2), max_rows=5).close.tolist() == [1.25, 1.5]
    # empty ranges, and times far outside int64 nanoseconds (a Timestamp may be year 9999)
    assert len(read_time_range(path, "AAA", _day_ns(3), _day_ns(2))) == 0
    assert len(read_time_range(path, "AAA", start_ns=10**21)) == 0
    assert read_time_range(path, "AAA", start_ns=-(10**21), end_ns=10**21).close.tolist() == [1.5, 1.25, 1.5]
    with pytest.raises(InvalidArgument) as raised:
        read_time_range(path, None)
    assert raised.value.violations[0].field == "symbol"
    with pytest.raises(InvalidArgument):
        read_time_range(path, "CCC")


def test_same_bars_same_bytes_whatever_the_input_order(tmp_path):
    lines = CSV.splitlines()
    # another interleaving of the symbols, each still in time order
    shuffled = b"\n".join([lines[0], lines[2], lines[4], lines[1], lines[5], lines[3]])
    first = b"".join(bytes(piece) for piece in encode(CanonicalBars.from_table(read_ohlcv(CSV))))
    second = b"".join(bytes(piece) for piece in encode(CanonicalBars.from_table(read_ohlcv(shuffled))))
    assert first == second


def test_columns_are_aligned_and_the_header_is_checked(tmp_path):
    path = _write(CanonicalBars.from_table(read_ohlcv(CSV)), tmp_path / "bars")
    with path.open("rb") as file:
        header = read_header(file)
    assert all(offset % 64 == 0 for _, offset in header.columns.values())
    (tmp_path / "other").write_bytes(b"PAR1 not ours at all")
    with pytest.raises(CorruptDataset), (tmp_path / "other").open("rb") as file:
        read_header(file)
    (tmp_path / "short").write_bytes(path.read_bytes()[:-60])
    with pytest.raises(CorruptDataset):
        read_bars(tmp_path / "short", "BBB")
