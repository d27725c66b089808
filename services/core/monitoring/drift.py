"""PSI and the Kolmogorov–Smirnov statistic of received feature values against a training reference.

PSI compares bin shares on the reference's own (decile) bins, the industry convention behind
the 0.1 / 0.25 thresholds. KS compares the received sample's empirical CDF with the
reference's piecewise-linear CDF through its quantiles; its p-value uses both sample sizes
(Stephens' approximation of the Kolmogorov distribution), so it needs no scipy.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from enum import IntEnum

import numpy as np

from services.core.monitoring.reference import FeatureReference, bin_indices

# a bin that received nothing would make PSI infinite; this share stands in for "almost none"
EMPTY_BIN_SHARE = 1e-4
MODERATE_PSI = 0.1
SIGNIFICANT_PSI = 0.25


class DriftLevel(IntEnum):
    NONE = 1
    MODERATE = 2
    SIGNIFICANT = 3


@dataclass(frozen=True, slots=True)
class FeatureDrift:
    feature: str
    psi: float
    ks_statistic: float
    ks_p_value: float
    level: DriftLevel
    mean: float
    reference_mean: float


def drift_level(psi: float) -> DriftLevel:
    if psi >= SIGNIFICANT_PSI:
        return DriftLevel.SIGNIFICANT
    if psi >= MODERATE_PSI:
        return DriftLevel.MODERATE
    return DriftLevel.NONE


def population_stability_index(reference: FeatureReference, values: np.ndarray) -> float:
    expected = np.maximum(np.asarray(reference.bin_fractions), EMPTY_BIN_SHARE)
    counts = np.bincount(bin_indices(reference, values), minlength=expected.size)
    actual = np.maximum(counts / max(values.size, 1), EMPTY_BIN_SHARE)
    return float(np.sum((actual - expected) * np.log(actual / expected)))


def kolmogorov_smirnov(reference: FeatureReference, values: np.ndarray) -> tuple[float, float]:
    """(D, p-value) of the sample against the reference CDF."""
    sample = np.sort(values)
    size = sample.size
    quantiles = np.asarray(reference.quantiles)
    probabilities = np.linspace(0.0, 1.0, quantiles.size)
    reference_cdf = np.interp(sample, quantiles, probabilities, left=0.0, right=1.0)
    ranks = np.arange(1, size + 1)
    above = np.max(ranks / size - reference_cdf)
    below = np.max(reference_cdf - (ranks - 1) / size)
    statistic = float(max(above, below, 0.0))
    effective = size * reference.count / (size + reference.count)
    return statistic, kolmogorov_p_value(statistic, effective)


def kolmogorov_p_value(statistic: float, effective_size: float) -> float:
    """P(D >= statistic) under the null, for an effective sample size n·m/(n+m)."""
    if statistic <= 0.0:
        return 1.0
    root = math.sqrt(effective_size)
    scaled = (root + 0.12 + 0.11 / root) * statistic
    if scaled < 0.2:
        return 1.0
    total = 0.0
    for term in range(1, 101):
        addend = 2.0 * (-1.0) ** (term - 1) * math.exp(-2.0 * term * term * scaled * scaled)
        total += addend
        if abs(addend) < 1e-12:
            break
    return min(max(total, 0.0), 1.0)


def feature_drift(reference: FeatureReference, values: np.ndarray) -> FeatureDrift:
    column = np.asarray(values, dtype=np.float64)
    column = column[np.isfinite(column)]
    psi = population_stability_index(reference, column)
    statistic, p_value = kolmogorov_smirnov(reference, column) if column.size else (0.0, 1.0)
    return FeatureDrift(
        feature=reference.name,
        psi=psi,
        ks_statistic=statistic,
        ks_p_value=p_value,
        level=drift_level(psi),
        mean=float(column.mean()) if column.size else math.nan,
        reference_mean=reference.mean,
    )


def matrix_drift(references: Sequence[FeatureReference], rows: np.ndarray) -> list[FeatureDrift]:
    """Drift of every column of `rows` (one per reference, in order)."""
    if rows.ndim != 2 or rows.shape[1] != len(references):
        raise ValueError(f"rows have {rows.shape[-1]} columns, the reference {len(references)} features")
    return [feature_drift(reference, rows[:, index]) for index, reference in enumerate(references)]


def worst_level(drifts: Sequence[FeatureDrift]) -> DriftLevel:
    return max((drift.level for drift in drifts), default=DriftLevel.NONE)
