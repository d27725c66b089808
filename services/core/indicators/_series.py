"""Array helpers the vectorised functions share."""

from __future__ import annotations

import numpy as np


def as_series(values: np.ndarray) -> np.ndarray:
    """A contiguous float64 view or copy: the one layout the compiled kernels are built for."""
    return np.ascontiguousarray(values, dtype=np.float64)


def lagged(values: np.ndarray, lag: int) -> np.ndarray:
    """`values` shifted `lag` bars later, NaN in front: element t holds values[t − lag]."""
    result = np.full(values.shape[0], np.nan)
    if lag < values.shape[0]:
        result[lag:] = values[: values.shape[0] - lag]
    return result


def divide_or(
    numerator: np.ndarray, denominator: np.ndarray, where: np.ndarray, fallback: float
) -> np.ndarray:
    """numerator / denominator where `where` holds, `fallback` elsewhere, without warnings.

    NaN in the numerator stays NaN: warm-up positions remain undefined.
    """
    result = np.where(np.isnan(numerator), np.nan, fallback)
    np.divide(numerator, denominator, out=result, where=where & ~np.isnan(numerator))
    return result


def mask_before(values: np.ndarray, warmup: int) -> np.ndarray:
    """Set the first `warmup` elements to NaN (in place) and return the array."""
    values[: min(warmup, values.shape[0])] = np.nan
    return values
