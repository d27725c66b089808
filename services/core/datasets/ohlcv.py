"""Reading and checking OHLCV files (CSV or Parquet) with the exact location of every problem.

Used by the offline CLI and by dataset uploads. Columns are matched by name, case-
insensitively (`timestamp`/`time`/`date`/`datetime`, `open`, `high`, `low`, `close`,
`volume`, optional `symbol`). Every problem is reported at once, each naming where it
is: `line[17].high` is CSV line 17 (the header is line 1), `row[16].high` the
zero-based row of a Parquet file. Checks, vectorised so a million rows take well under
a second: required columns; parseable timestamps; strictly increasing timestamps per
symbol (duplicates named as such); positive prices; high ≥ max(open, close) and
low ≤ min(open, close); non-negative volume; no missing values. Gaps against a declared
bar interval are warnings (markets close), not errors.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

import numpy as np
import pandas as pd

from services.core.backtest.inputs import Bars
from services.core.errors import FieldViolation, InvalidArgument

TIME_COLUMNS = ("timestamp", "time", "datetime", "date")
PRICE_COLUMNS = ("open", "high", "low", "close")
# at most this many problems of one kind are listed; the rest are counted
MAX_LISTED_PER_CHECK = 50
# at most this many problems in all (the contract's limit): the last one counts the rest
MAX_VIOLATIONS = 100
PARQUET_MAGIC = b"PAR1"


def sniff_format(head: bytes) -> str:
    """ "parquet" when the file starts with Parquet's magic bytes, else "csv"."""
    return "parquet" if head.startswith(PARQUET_MAGIC) else "csv"


@dataclass(frozen=True, slots=True, eq=False)
class OhlcvTable:
    """Checked bars of one file, sorted as they came (increasing time per symbol)."""

    timestamps: np.ndarray  # int64 ns, UTC
    open: np.ndarray
    high: np.ndarray
    low: np.ndarray
    close: np.ndarray
    volume: np.ndarray
    symbols: np.ndarray  # str per row
    warnings: tuple[FieldViolation, ...] = field(default=())

    def __len__(self) -> int:
        return int(self.close.shape[0])

    def symbol_names(self) -> list[str]:
        return sorted(set(self.symbols.tolist()))

    def bars(self, symbol: str | None = None) -> Bars:
        """The bars of one symbol (the only one when the file has a single symbol)."""
        names = self.symbol_names()
        if symbol is None:
            if len(names) != 1:
                raise InvalidArgument(
                    "the file holds several symbols",
                    [FieldViolation("symbol", f"choose one of {', '.join(names)}")],
                )
            symbol = names[0]
        mask = self.symbols == symbol
        if not mask.any():
            raise InvalidArgument(
                "unknown symbol", [FieldViolation("symbol", f"not in the file: {', '.join(names)}")]
            )
        return Bars.from_arrays(
            open=self.open[mask],
            high=self.high[mask],
            low=self.low[mask],
            close=self.close[mask],
            volume=self.volume[mask],
            timestamps=self.timestamps[mask],
        )


class _Problems:
    def __init__(self, location: str, base: int) -> None:
        self._location = location  # "line" or "row"
        self._base = base  # what to add to a zero-based row index
        self.items: list[FieldViolation] = []

    def where(self, index: int, column: str) -> str:
        return f"{self._location}[{index + self._base}].{column}"

    def add_rows(self, rows: np.ndarray, column: str, description: str) -> None:
        indexes = np.flatnonzero(rows)
        for index in indexes[:MAX_LISTED_PER_CHECK]:
            self.items.append(FieldViolation(self.where(index, column), description))
        if len(indexes) > MAX_LISTED_PER_CHECK:
            self.items.append(
                FieldViolation(column, f"{len(indexes) - MAX_LISTED_PER_CHECK} more rows: {description}")
            )


def _read_frame(source: Path | bytes | BinaryIO, file_format: str) -> pd.DataFrame:
    handle: Path | BinaryIO = io.BytesIO(source) if isinstance(source, bytes) else source
    try:
        if file_format == "parquet":
            return pd.read_parquet(handle)
        # numeric columns parse natively (fast); a column with any text stays text, checked cell by cell
        return pd.read_csv(handle, skipinitialspace=True)
    except (ValueError, OSError, pd.errors.ParserError) as error:
        raise InvalidArgument(
            f"the file is not readable {file_format}", [FieldViolation("file", str(error)[:500])]
        ) from None


def _columns(frame: pd.DataFrame) -> tuple[dict[str, str], list[FieldViolation]]:
    by_name = {str(name).strip().lower(): str(name) for name in frame.columns}
    chosen = {name: by_name[name] for name in (*PRICE_COLUMNS, "volume", "symbol") if name in by_name}
    time_column = next((by_name[name] for name in TIME_COLUMNS if name in by_name), None)
    missing = [
        FieldViolation(name, "required column is missing") for name in PRICE_COLUMNS if name not in chosen
    ]
    if time_column is None:
        missing.append(
            FieldViolation("timestamp", f"required column is missing (one of {', '.join(TIME_COLUMNS)})")
        )
    else:
        chosen["timestamp"] = time_column
    return chosen, missing


def _numbers(frame: pd.DataFrame, column: str, name: str, problems: _Problems) -> np.ndarray:
    """The column `column` of the file as floats; problems are reported under the canonical `name`."""
    raw = frame[column]
    if pd.api.types.is_numeric_dtype(raw) and not pd.api.types.is_bool_dtype(raw):
        values = raw.to_numpy(dtype=np.float64, na_value=np.nan)
        problems.add_rows(np.isnan(values), name, "value is missing")
    else:
        values = pd.to_numeric(raw, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
        missing = raw.isna().to_numpy() | (raw.astype("string").str.strip() == "").fillna(True).to_numpy(
            dtype=bool
        )
        problems.add_rows(missing, name, "value is missing")
        problems.add_rows(np.isnan(values) & ~missing, name, "not a number")
    problems.add_rows(np.isinf(values), name, "not a finite number")
    return values


def _localized(raw: pd.Series, timezone: str) -> pd.DatetimeIndex | None:
    """Times without an offset read as wall-clock times in `timezone`; None if the column mixes forms.

    A wall-clock time that does not exist or is ambiguous there (DST changes) becomes NaT and is
    reported as unparseable rather than guessed.
    """
    if pd.api.types.is_datetime64_any_dtype(raw):
        parsed = pd.DatetimeIndex(raw)
    else:
        try:
            parsed = pd.DatetimeIndex(pd.to_datetime(raw, errors="coerce", format="ISO8601"))
        except (ValueError, TypeError):
            return None
    if parsed.tz is not None:
        return parsed.tz_convert("UTC")
    return parsed.tz_localize(timezone, ambiguous="NaT", nonexistent="NaT").tz_convert("UTC")


def _epoch_numbers(raw: pd.Series) -> pd.Series | None:
    """The column as numbers when it holds numbers (epoch times); None for text or datetimes.

    Converting a million date strings to numbers only to fail takes seconds: a text column is
    tried whole only when its first values are numbers.
    """
    if pd.api.types.is_datetime64_any_dtype(raw):
        return None
    if pd.api.types.is_numeric_dtype(raw):
        return pd.to_numeric(raw, errors="coerce")
    if pd.to_numeric(raw.head(100), errors="coerce").isna().any():
        return None
    return pd.to_numeric(raw, errors="coerce")


def _parse_times(raw: pd.Series, timezone: str = "") -> pd.DatetimeIndex:
    numbers = _epoch_numbers(raw)
    if numbers is not None and numbers.notna().all():
        # numbers are seconds since the epoch (milliseconds when they are that large), always UTC
        unit = "ms" if float(numbers.abs().max()) > 1e11 else "s"
        return pd.DatetimeIndex(pd.to_datetime(numbers.to_numpy(dtype=np.float64), unit=unit, utc=True))
    if timezone and timezone.upper() != "UTC":
        localized = _localized(raw, timezone)
        if localized is not None:
            return localized
    if pd.api.types.is_datetime64_any_dtype(raw):
        return pd.DatetimeIndex(pd.to_datetime(raw, utc=True))
    # ISO 8601 parses fast; whatever it cannot read gets the slower, forgiving parser
    parsed = pd.Series(pd.to_datetime(raw, utc=True, errors="coerce", format="ISO8601"))
    retry = parsed.isna()
    if retry.any():
        parsed[retry] = pd.to_datetime(raw[retry], utc=True, errors="coerce", format="mixed")
    return pd.DatetimeIndex(parsed)


def _timestamps(frame: pd.DataFrame, column: str, problems: _Problems, timezone: str) -> np.ndarray:
    parsed = _parse_times(frame[column], timezone)
    invalid = np.asarray(parsed.isna())
    problems.add_rows(invalid, "timestamp", "not a parseable date/time")
    return np.where(invalid, np.iinfo(np.int64).min, parsed.as_unit("ns").asi8)


def _order_problems(stamps: np.ndarray, symbols: np.ndarray, problems: _Problems) -> None:
    previous_stamp = np.empty_like(stamps)
    same_symbol = np.zeros(len(stamps), dtype=bool)
    order = pd.Series(np.arange(len(stamps))).groupby(symbols, sort=False)
    for _, positions in order:
        index = positions.to_numpy()
        if len(index) > 1:
            previous_stamp[index[1:]] = stamps[index[:-1]]
            same_symbol[index[1:]] = True
    valid = stamps != np.iinfo(np.int64).min
    previous_valid = previous_stamp != np.iinfo(np.int64).min
    compared = same_symbol & valid & previous_valid
    problems.add_rows(
        compared & (stamps == previous_stamp), "timestamp", "duplicate of the previous row's time"
    )
    problems.add_rows(compared & (stamps < previous_stamp), "timestamp", "earlier than the previous row")


def _price_problems(prices: dict[str, np.ndarray], volume: np.ndarray, problems: _Problems) -> None:
    with np.errstate(invalid="ignore"):
        for name in PRICE_COLUMNS:
            problems.add_rows(prices[name] <= 0, name, "price must be positive")
        # consistency is judged only where every price is itself valid, so one bad price is one problem
        valid = np.logical_and.reduce([prices[name] > 0 for name in PRICE_COLUMNS])
        highest_body = np.maximum(prices["open"], prices["close"])
        lowest_body = np.minimum(prices["open"], prices["close"])
        problems.add_rows(valid & (prices["high"] < highest_body), "high", "below max(open, close)")
        problems.add_rows(valid & (prices["low"] > lowest_body), "low", "above min(open, close)")
        problems.add_rows(volume < 0, "volume", "must not be negative")


def _gap_warnings(
    stamps: np.ndarray, symbols: np.ndarray, interval_ns: int, problems: _Problems
) -> list[FieldViolation]:
    """Where consecutive bars of a symbol are further apart than the declared interval."""
    gaps: list[tuple[int, int]] = []  # (row, bars missing before it)
    for symbol in sorted(set(symbols.tolist())):
        positions = np.flatnonzero(symbols == symbol)
        steps = np.diff(stamps[positions])
        for index in np.flatnonzero(steps > interval_ns):
            gaps.append((int(positions[index + 1]), int(steps[index] // interval_ns - 1)))
    gaps.sort()
    warnings = [
        FieldViolation(problems.where(row, "timestamp"), f"{missing} bar(s) missing before it")
        for row, missing in gaps[:MAX_LISTED_PER_CHECK]
    ]
    if len(gaps) > MAX_LISTED_PER_CHECK:
        warnings.append(FieldViolation("timestamp", f"{len(gaps) - MAX_LISTED_PER_CHECK} more gaps"))
    return warnings


def _capped(violations: list[FieldViolation]) -> list[FieldViolation]:
    if len(violations) <= MAX_VIOLATIONS:
        return violations
    rest = len(violations) - (MAX_VIOLATIONS - 1)
    return [*violations[: MAX_VIOLATIONS - 1], FieldViolation("file", f"{rest} more problem(s) not listed")]


def read_ohlcv(
    source: Path | bytes | BinaryIO,
    *,
    file_format: str | None = None,
    default_symbol: str = "",
    interval_ns: int = 0,
    timezone: str = "",
) -> OhlcvTable:
    """Read and check an OHLCV file; raise InvalidArgument listing every problem and where it is.

    `timezone` (IANA) is the zone of timestamps written without an offset; empty means UTC.
    Rows of a file without a symbol column get `default_symbol`.
    """
    if file_format is None:
        file_format = "parquet" if isinstance(source, Path) and source.suffix.lower() == ".parquet" else "csv"
    frame = _read_frame(source, file_format)
    columns, missing = _columns(frame)
    if missing:
        raise InvalidArgument("the file lacks required columns", missing)
    if frame.empty:
        raise InvalidArgument("the file holds no rows", [FieldViolation("file", "no data rows")])
    problems = _Problems("line", 2) if file_format == "csv" else _Problems("row", 0)
    stamps = _timestamps(frame, columns["timestamp"], problems, timezone)
    prices = {name: _numbers(frame, columns[name], name, problems) for name in PRICE_COLUMNS}
    volume = (
        _numbers(frame, columns["volume"], "volume", problems)
        if "volume" in columns
        else np.zeros(len(frame))
    )
    if "symbol" in columns:
        symbols = frame[columns["symbol"]].astype(str).str.strip().to_numpy(dtype=object)
        problems.add_rows(symbols == "", "symbol", "value is missing")
    else:
        symbols = np.full(len(frame), default_symbol, dtype=object)
    _order_problems(stamps, symbols, problems)
    _price_problems(prices, volume, problems)
    if problems.items:
        raise InvalidArgument(f"the file has {len(problems.items)} problem(s)", _capped(problems.items))
    warnings = _gap_warnings(stamps, symbols, interval_ns, problems) if interval_ns > 0 else []
    return OhlcvTable(timestamps=stamps, symbols=symbols, volume=volume, warnings=tuple(warnings), **prices)
