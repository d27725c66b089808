"""Chronological train / validation / test splits with a gap, so labels cannot leak across them.

A label at bar t reads prices up to t + horizon. If the last training row were closer than
`horizon` bars to the first validation row, its label would be made of prices the validation
rows' features also see, and the validation score would flatter the model. So the bars between
the first and last usable row are cut in time order by the fractions, `gap` bars are dropped
between consecutive parts, and the gap must be at least the label horizon.

Splits are bar positions (ascending), limited to usable rows (every feature and the label known).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from alphintra.strategy.v1.training_pb2 import DataSplit
from services.core.errors import FieldViolation, InvalidArgument

MIN_ROWS = 20  # per split: fewer cannot fit or judge a model


@dataclass(frozen=True, slots=True, eq=False)
class Split:
    train: np.ndarray
    validation: np.ndarray
    test: np.ndarray
    gap: int


def split_fractions(split: DataSplit) -> tuple[float, float, float]:
    """The fractions asked for, or 0.6 / 0.2 / 0.2 when none were given."""
    if split.train_fraction == split.validation_fraction == split.test_fraction == 0:
        return 0.6, 0.2, 0.2
    return split.train_fraction, split.validation_fraction, split.test_fraction


def chronological_split(usable: np.ndarray, split: DataSplit, horizon: int, field: str = "split") -> Split:
    """Positions of usable rows in each part; `usable` is one flag per bar."""
    train, validation, test = split_fractions(split)
    gap = split.gap_bars
    violations = []
    for name, value in (
        ("train_fraction", train),
        ("validation_fraction", validation),
        ("test_fraction", test),
    ):
        if not 0.0 <= value <= 1.0:
            violations.append(FieldViolation(f"{field}.{name}", "must be a fraction in [0, 1]"))
    if train <= 0 or test <= 0:
        violations.append(FieldViolation(f"{field}.train_fraction", "train and test fractions must be > 0"))
    if train + validation + test > 1.0 + 1e-9:
        violations.append(FieldViolation(field, "the fractions sum to more than 1"))
    if gap < horizon:
        violations.append(
            FieldViolation(f"{field}.gap_bars", f"must be at least the label horizon ({horizon} bars)")
        )
    if violations:
        raise InvalidArgument("invalid split", violations)
    rows = np.flatnonzero(usable)
    if rows.size == 0:
        raise InvalidArgument(
            "no usable rows", [FieldViolation(field, "no bar has every feature and a label")]
        )
    first, last = int(rows[0]), int(rows[-1]) + 1
    span = last - first - 2 * gap
    edges = np.cumsum([0.0, train, validation, test]) * max(span, 0)
    bounds = [first + round(float(edge)) for edge in edges]
    parts = []
    for index in range(3):
        start = bounds[index] + index * gap
        stop = bounds[index + 1] + index * gap
        parts.append(rows[(rows >= start) & (rows < stop)])
    result = Split(train=parts[0], validation=parts[1], test=parts[2], gap=gap)
    _check_sizes(result, validation > 0, field)
    return result


def _check_sizes(result: Split, wants_validation: bool, field: str) -> None:
    sizes = {"train": result.train.size, "test": result.test.size}
    if wants_validation:
        sizes["validation"] = result.validation.size
    small = [FieldViolation(f"{field}.{name}_fraction", f"{size} rows; at least {MIN_ROWS} needed")
             for name, size in sizes.items() if size < MIN_ROWS]  # fmt: skip
    if small:
        raise InvalidArgument("a split is too small for these bars", small)
