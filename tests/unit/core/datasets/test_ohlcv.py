"""OHLCV files: read when right, and every problem reported with its line when wrong."""

import io

import numpy as np
import pandas as pd
import pytest
from backtesting.test import GOOG

from services.core.datasets.ohlcv import MAX_LISTED_PER_CHECK, MAX_VIOLATIONS, read_ohlcv, sniff_format
from services.core.errors import InvalidArgument

HEADER = "Date,Open,High,Low,Close,Volume\n"
DAY_NS = 86_400 * 10**9


def _violations(text: str, **options) -> dict[str, str]:
    with pytest.raises(InvalidArgument) as raised:
        read_ohlcv(text.encode(), **options)
    return {violation.field: violation.description for violation in raised.value.violations}


def test_reads_goog_as_bars():
    csv = GOOG.to_csv(index_label="Date").encode()
    table = read_ohlcv(csv, default_symbol="GOOG")
    bars = table.bars()
    assert len(bars) == len(GOOG)
    np.testing.assert_array_equal(bars.close, GOOG["Close"].to_numpy())
    assert bars.timestamps[0] == pd.Timestamp(GOOG.index[0], tz="UTC").value
    assert table.symbol_names() == ["GOOG"]


def test_every_bad_line_is_named_at_once():
    text = HEADER + "\n".join(
        [
            "2024-01-01,10,11,9,10.5,100",  # line 2: fine
            "2024-01-02,10,,9,10.5,100",  # line 3: high missing
            "2024-01-03,10,11,9,abc,100",  # line 4: close not a number
            "not-a-date,10,11,9,10.5,100",  # line 5: bad timestamp
            "2024-01-04,10,9.5,9,10.5,100",  # line 6: high below close
            "2024-01-04,10,11,9,10.5,100",  # line 7: duplicate time
            "2024-01-03,10,11,10.2,10.5,100",  # line 8: earlier than previous, low above open
            "2024-01-09,-1,11,9,10.5,-5",  # line 9: negative open and volume
        ]
    )
    assert _violations(text) == {
        "line[3].high": "value is missing",
        "line[4].close": "not a number",
        "line[5].timestamp": "not a parseable date/time",
        "line[6].high": "below max(open, close)",
        "line[7].timestamp": "duplicate of the previous row's time",
        "line[8].timestamp": "earlier than the previous row",
        "line[8].low": "above min(open, close)",
        "line[9].open": "price must be positive",
        "line[9].volume": "must not be negative",
    }


def test_missing_columns_are_named():
    assert _violations("Date,Open,Close\n2024-01-01,1,1\n") == {
        "high": "required column is missing",
        "low": "required column is missing",
    }


def test_garbage_is_an_invalid_argument_not_a_crash():
    for garbage in [b"", b"\x00\xff\xfe", b'"unterminated,quote\n1,2']:
        with pytest.raises(InvalidArgument):
            read_ohlcv(garbage)


def test_a_flood_of_errors_is_listed_up_to_a_cap_and_counted():
    rows = "\n".join(f"2024-01-01 00:{i // 60:02d}:{i % 60:02d},1,2,1,1,-1" for i in range(500))
    violations = _violations(HEADER + rows)
    listed = [field for field in violations if field.startswith("line[")]
    assert len(listed) == MAX_LISTED_PER_CHECK
    assert "450 more rows" in violations["volume"]


def test_symbols_are_ordered_independently():
    text = "timestamp,symbol,open,high,low,close,volume\n" + "\n".join(
        [
            "2024-01-01,AAA,1,2,1,1,0",
            "2024-01-01,BBB,1,2,1,1,0",
            "2024-01-02,AAA,1,2,1,1,0",
            "2024-01-01,BBB,1,2,1,1,0",
        ]
    )
    assert _violations(text) == {"line[5].timestamp": "duplicate of the previous row's time"}


def test_gaps_against_the_interval_are_warnings():
    text = HEADER + "\n".join(
        ["2024-01-01,1,2,1,1,0", "2024-01-02,1,2,1,1,0", "2024-01-05,1,2,1,1,0", "2024-01-06,1,2,1,1,0"]
    )
    table = read_ohlcv(text.encode(), interval_ns=DAY_NS)
    assert [(w.field, w.description) for w in table.warnings] == [
        ("line[4].timestamp", "2 bar(s) missing before it")
    ]


def test_parquet_rows_are_zero_based(tmp_path):
    frame = pd.DataFrame({"timestamp": pd.date_range("2024-01-01", periods=3, freq="D")})
    frame["open"], frame["high"], frame["low"] = [1.0, 1, 1], [2.0, 0.5, 2], [1.0, 1, 1]
    frame["close"], frame["volume"] = [1.0, 1, 1], [0.0, 0, 0]
    path = tmp_path / "bars.parquet"
    frame.to_parquet(path)
    with pytest.raises(InvalidArgument) as raised:
        read_ohlcv(path)
    fields = {violation.field for violation in raised.value.violations}
    assert fields == {"row[1].high"}


def test_epoch_seconds_and_milliseconds_are_understood():
    seconds = read_ohlcv((HEADER + "1704067200,1,2,1,1,0\n1704153600,1,2,1,1,0").encode())
    millis = read_ohlcv((HEADER + "1704067200000,1,2,1,1,0\n1704153600000,1,2,1,1,0").encode())
    assert (
        seconds.timestamps.tolist()
        == millis.timestamps.tolist()
        == [
            pd.Timestamp("2024-01-01", tz="UTC").value,
            pd.Timestamp("2024-01-02", tz="UTC").value,
        ]
    )


def test_a_file_object_reads_the_same():
    text = HEADER + "2024-01-01,1,2,1,1,0\n2024-01-02,1,2,1,1,0"
    assert len(read_ohlcv(io.BytesIO(text.encode()))) == 2


def test_times_without_an_offset_are_read_in_the_given_zone():
    text = HEADER + "2024-07-01 09:30,1,2,1,1,0\n2024-07-01 09:31,1,2,1,1,0\n2024-03-10 02:30,1,2,1,1,0"
    with pytest.raises(InvalidArgument) as raised:
        read_ohlcv(text.encode(), timezone="America/New_York")
    # 02:30 on the day clocks jump forward does not exist there
    assert {v.field for v in raised.value.violations} == {"line[4].timestamp"}
    table = read_ohlcv((HEADER + "2024-07-01 09:30,1,2,1,1,0").encode(), timezone="America/New_York")
    assert table.timestamps.tolist() == [pd.Timestamp("2024-07-01 13:30", tz="UTC").value]
    with_offset = read_ohlcv((HEADER + "2024-07-01T09:30+02:00,1,2,1,1,0").encode(), timezone="Asia/Tokyo")
    assert with_offset.timestamps.tolist() == [pd.Timestamp("2024-07-01 07:30", tz="UTC").value]


def test_at_most_a_hundred_problems_are_listed():
    rows = "\n".join(f"2024-01-01 00:{i // 60:02d}:{i % 60:02d},-1,-1,-1,-1,-1" for i in range(500))
    with pytest.raises(InvalidArgument) as raised:
        read_ohlcv((HEADER + rows).encode())
    violations = raised.value.violations
    assert len(violations) == MAX_VIOLATIONS
    assert violations[-1].field == "file"
    assert "more problem(s)" in violations[-1].description
    assert sniff_format(b"PAR1") == "parquet"
    assert sniff_format(b"time,") == "csv"
