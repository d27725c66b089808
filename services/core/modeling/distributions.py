"""The distribution of every input feature in the training data: the reference drift is measured against.

Per feature: bin edges at the training deciles (duplicates merged, so a feature with few values
gets fewer bins) and the fraction of training rows per bin, for the population stability index;
the 0th..100th percentiles, for a Kolmogorov-Smirnov test against live values; mean and standard
deviation. The outer bins are open-ended when live data is binned (values beyond the training
range fall into them), so the fractions here count every training row.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

BIN_COUNT = 10


@dataclass(frozen=True, slots=True)
class FeatureDistribution:
    feature: str
    bin_edges: tuple[float, ...]
    bin_fractions: tuple[float, ...]
    quantiles: tuple[float, ...]
    mean: float
    standard_deviation: float


def reference_distributions(features: np.ndarray, names: tuple[str, ...]) -> list[FeatureDistribution]:
    return [_distribution(name, features[:, index]) for index, name in enumerate(names)]


def _distribution(name: str, values: np.ndarray) -> FeatureDistribution:
    values = values[np.isfinite(values)]
    if values.size == 0:
        return FeatureDistribution(name, (), (), (), float("nan"), float("nan"))
    edges = np.unique(np.quantile(values, np.linspace(0.0, 1.0, BIN_COUNT + 1)))
    if edges.size == 1:
        edges = np.array([edges[0], edges[0]])
        fractions = np.array([1.0])
    else:
        inner = edges[1:-1]
        counts = np.bincount(np.searchsorted(inner, values, side="right"), minlength=edges.size - 1)
        fractions = counts / values.size
    return FeatureDistribution(
        feature=name,
        bin_edges=tuple(float(edge) for edge in edges),
        bin_fractions=tuple(float(fraction) for fraction in fractions),
        quantiles=tuple(float(value) for value in np.quantile(values, np.linspace(0.0, 1.0, 101))),
        mean=float(values.mean()),
        standard_deviation=float(values.std()),
    )


def population_stability_index(reference: FeatureDistribution, live: np.ndarray) -> float:
    """PSI of live values against the reference bins (outer bins open-ended); 0 means no shift."""
    inner = np.asarray(reference.bin_edges[1:-1])
    counts = np.bincount(np.searchsorted(inner, live[np.isfinite(live)], side="right"),
                         minlength=len(reference.bin_fractions))  # fmt: skip
    actual = np.maximum(counts / max(counts.sum(), 1), 1e-6)
    expected = np.maximum(np.asarray(reference.bin_fractions), 1e-6)
    return float(np.sum((actual - expected) * np.log(actual / expected)))
