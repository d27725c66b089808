"""Training end to end in pure code: ONNX equals native, the split leaks nothing, metrics exist."""

from __future__ import annotations

import numpy as np
import pytest

from alphintra.common.v1.parameter_pb2 import ParameterRange, ParameterValue
from alphintra.strategy.v1.training_pb2 import (
    DataSplit,
    ForwardReturnLabel,
    HyperparameterSearch,
    LabelDefinition,
    ModelFamily,
    TrainingConfig,
)
from services.core.backtest import BacktestConfig
from services.core.errors import InvalidArgument
from services.core.modeling.distributions import population_stability_index
from services.core.modeling.export import PARITY_TOLERANCE, onnx_scores
from services.core.modeling.families import fit_model
from services.core.modeling.synthetic import synthetic_bars
from services.core.modeling.training import Hooks, train_model
from services.core.strategy import compile_graph, get_template


def config(family: int, **overrides) -> TrainingConfig:
    message = TrainingConfig(
        model_family=family,
        label=LabelDefinition(forward_return=ForwardReturnLabel(threshold=0.0), horizon_bars=5),
        split=DataSplit(train_fraction=0.6, validation_fraction=0.2, test_fraction=0.2, gap_bars=5),
        seed=11,
    )
    for name, value in overrides.items():
        getattr(message, name).CopyFrom(value) if hasattr(value, "DESCRIPTOR") else setattr(
            message, name, value
        )
    return message


@pytest.fixture(scope="module")
def spec_and_bars():
    return compile_graph(get_template("macd_adx_trend").graph), synthetic_bars(1500, seed=21)


@pytest.mark.parametrize(
    "family",
    [
        ModelFamily.MODEL_FAMILY_LIGHTGBM,
        ModelFamily.MODEL_FAMILY_SKLEARN_GBT,
        ModelFamily.MODEL_FAMILY_LOGISTIC_REGRESSION,
        ModelFamily.MODEL_FAMILY_MLP,
    ],
)
def test_every_family_exports_an_onnx_model_equal_to_the_native_one(spec_and_bars, family):
    spec, bars = spec_and_bars
    outcome = train_model(spec, bars, config(family), BacktestConfig())
    test_rows = outcome.dataset.features[outcome.split.test]
    native = outcome.model.scores(test_rows)
    exported = onnx_scores(outcome.exported, test_rows)
    assert np.max(np.abs(native - exported)) <= PARITY_TOLERANCE
    assert outcome.parity_error <= PARITY_TOLERANCE
    assert {"test.roc_auc", "validation.log_loss", "train.accuracy"} <= outcome.metrics.keys()
    assert outcome.exported.inputs[0].shape == (-1, len(outcome.dataset.names))
    assert outcome.test_backtest.timestamps[0] == bars.timestamps[outcome.split.test[0]]


def test_lightgbm_regression_and_its_onnx_output(spec_and_bars):
    spec, bars = spec_and_bars
    label = LabelDefinition(forward_return=ForwardReturnLabel(regression=True), horizon_bars=5)
    outcome = train_model(
        spec, bars, config(ModelFamily.MODEL_FAMILY_LIGHTGBM, label=label), BacktestConfig()
    )
    assert outcome.exported.score_output == "variable"
    assert outcome.parity_error <= PARITY_TOLERANCE
    assert "test.rmse" in outcome.metrics
    assert outcome.threshold == 0.0


def test_training_is_reproducible_from_its_seed(spec_and_bars):
    spec, bars = spec_and_bars
    first = train_model(spec, bars, config(ModelFamily.MODEL_FAMILY_LIGHTGBM), BacktestConfig())
    second = train_model(spec, bars, config(ModelFamily.MODEL_FAMILY_LIGHTGBM), BacktestConfig())
    assert first.exported.content == second.exported.content
    assert first.metrics == second.metrics


def test_hyperparameter_search_reports_each_trial_and_keeps_the_best(spec_and_bars):
    spec, bars = spec_and_bars
    search = HyperparameterSearch(
        trial_count=4,
        seed=3,
        search_space={
            "num_leaves": ParameterRange(low=4, high=32),
            "learning_rate": ParameterRange(low=0.01, high=0.3, log=True),
        },
    )
    trials = []
    outcome = train_model(
        spec,
        bars,
        config(ModelFamily.MODEL_FAMILY_LIGHTGBM, hyperparameter_search=search),
        BacktestConfig(),
        Hooks(trial=lambda number, value: trials.append((number, value))),
    )
    assert [number for number, _ in trials] == [0, 1, 2, 3]
    assert isinstance(outcome.hyperparameters["num_leaves"], int)
    assert outcome.metrics["validation.log_loss"] == pytest.approx(min(value for _, value in trials))


def test_unknown_hyperparameters_are_named(spec_and_bars):
    spec, bars = spec_and_bars
    fixed = {"num_leafs": ParameterValue(integer=8)}
    message = config(ModelFamily.MODEL_FAMILY_LIGHTGBM)
    message.hyperparameters["num_leafs"].CopyFrom(fixed["num_leafs"])
    with pytest.raises(InvalidArgument) as caught:
        train_model(spec, bars, message, BacktestConfig())
    assert caught.value.violations[0].field == "hyperparameters.num_leafs"


def test_reference_distributions_describe_the_training_features(spec_and_bars):
    spec, bars = spec_and_bars
    outcome = train_model(spec, bars, config(ModelFamily.MODEL_FAMILY_LOGISTIC_REGRESSION), BacktestConfig())
    train_rows = outcome.dataset.features[outcome.split.train]
    for index, distribution in enumerate(outcome.distributions):
        assert distribution.feature == outcome.dataset.names[index]
        assert len(distribution.quantiles) == 101
        assert sum(distribution.bin_fractions) == pytest.approx(1.0)
        assert len(distribution.bin_edges) == len(distribution.bin_fractions) + 1
        assert population_stability_index(distribution, train_rows[:, index]) == pytest.approx(0.0, abs=1e-9)
        assert population_stability_index(distribution, train_rows[:, index] * 3 + 100) > 1.0


def test_one_class_training_labels_are_refused():
    with pytest.raises(InvalidArgument, match="one class"):
        fit_model(
            ModelFamily.MODEL_FAMILY_LIGHTGBM, {}, np.ones((50, 2)), np.zeros(50), regression=False, seed=1
        )
