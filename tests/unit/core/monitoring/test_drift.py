"""PSI and KS against a reference: quiet on the training distribution, loud on a shifted one."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from services.core.errors import InvalidArgument
from services.core.monitoring.drift import (
    DriftLevel,
    drift_level,
    feature_drift,
    kolmogorov_p_value,
    kolmogorov_smirnov,
    matrix_drift,
    population_stability_index,
    worst_level,
)
from services.core.monitoring.reference import reference_from_sample, references_from_json


@pytest.fixture
def generator() -> np.random.Generator:
    return np.random.default_rng(7)


@pytest.fixture
def normal_reference(generator):
    return reference_from_sample("x", generator.normal(0.0, 1.0, 20_000))


def test_the_same_distribution_shows_no_drift(normal_reference, generator) -> None:
    drift = feature_drift(normal_reference, generator.normal(0.0, 1.0, 2_000))

    assert drift.psi < 0.02
    assert drift.level is DriftLevel.NONE
    assert drift.ks_p_value > 0.01
    assert drift.reference_mean == pytest.approx(0.0, abs=0.05)


def test_a_shifted_distribution_is_significant(normal_reference, generator) -> None:
    drift = feature_drift(normal_reference, generator.normal(1.0, 1.0, 2_000))

    assert drift.psi > 0.25
    assert drift.level is DriftLevel.SIGNIFICANT
    assert drift.ks_statistic > 0.3
    assert drift.ks_p_value < 1e-6
    assert drift.mean == pytest.approx(1.0, abs=0.1)


def test_ks_statistic_matches_scipy_against_the_reference_cdf(normal_reference, generator) -> None:
    sample = generator.normal(0.3, 1.2, 500)
    quantiles = np.asarray(normal_reference.quantiles)
    probabilities = np.linspace(0.0, 1.0, quantiles.size)

    def cdf(values):
        return np.interp(values, quantiles, probabilities, left=0.0, right=1.0)

    expected = stats.kstest(sample, cdf)
    statistic, _ = kolmogorov_smirnov(normal_reference, sample)

    assert statistic == pytest.approx(expected.statistic, abs=1e-9)


@pytest.mark.parametrize("statistic", [0.02, 0.05, 0.1, 0.2])
def test_p_value_follows_the_kolmogorov_distribution(statistic: float) -> None:
    effective = 400.0
    expected = stats.kstwobign.sf((math.sqrt(effective) + 0.12 + 0.11 / math.sqrt(effective)) * statistic)

    assert kolmogorov_p_value(statistic, effective) == pytest.approx(expected, abs=1e-6)


def test_psi_of_an_empty_bin_is_finite(normal_reference) -> None:
    far_away = np.full(100, 50.0)

    assert math.isfinite(population_stability_index(normal_reference, far_away))


def test_levels_follow_the_conventional_thresholds() -> None:
    assert [drift_level(value) for value in (0.0, 0.099, 0.1, 0.249, 0.25, 3.0)] == [
        DriftLevel.NONE,
        DriftLevel.NONE,
        DriftLevel.MODERATE,
        DriftLevel.MODERATE,
        DriftLevel.SIGNIFICANT,
        DriftLevel.SIGNIFICANT,
    ]


def test_matrix_drift_is_per_column_and_worst_level_is_the_maximum(generator) -> None:
    training = generator.normal(0.0, 1.0, (5_000, 2))
    references = [reference_from_sample(f"f{index}", training[:, index]) for index in range(2)]
    received = generator.normal(0.0, 1.0, (1_000, 2))
    received[:, 1] += 2.0

    drifts = matrix_drift(references, received)

    assert [drift.level for drift in drifts] == [DriftLevel.NONE, DriftLevel.SIGNIFICANT]
    assert worst_level(drifts) is DriftLevel.SIGNIFICANT


def test_a_constant_training_feature_still_has_a_bin() -> None:
    reference = reference_from_sample("flag", np.ones(100))

    assert len(reference.bin_fractions) == 1
    assert feature_drift(reference, np.ones(10)).psi == pytest.approx(0.0)


def test_references_round_trip_through_json(normal_reference) -> None:
    (parsed,) = references_from_json({"features": [normal_reference.to_json()]})

    assert parsed == normal_reference


def test_invalid_references_name_every_bad_feature(normal_reference) -> None:
    good = normal_reference.to_json()
    unsorted = {**good, "bin_edges": list(reversed(good["bin_edges"]))}
    missing = {key: value for key, value in good.items() if key != "quantiles"}

    with pytest.raises(InvalidArgument) as raised:
        references_from_json({"features": [good, unsorted, missing]})

    assert [violation.field for violation in raised.value.violations] == [
        "reference.features[1]",
        "reference.features[2]",
    ]
