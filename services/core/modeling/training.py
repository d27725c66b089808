"""A model trained on a strategy's features, from bars to an accepted ONNX file, as pure code.

    outcome = train_model(spec, bars, training_config, backtest_config)

The steps, each in its own module: feature columns from the spec's indicator nodes
(`services.core.features`), labels (`labels`), a chronological split with a gap (`splits`), an
optional hyperparameter search on the validation split (`tuning`), the fit (`families`), the
ONNX export and its parity check on the test split (`export`: a model whose ONNX form differs
is refused here, before anyone registers it), the reference distributions of the training
features (`distributions`), and a backtest of the model's signals on the test split
(`model_strategy`). The job runner does only the I/O around this.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from alphintra.strategy.v1.strategy_spec_pb2 import StrategySpec
from alphintra.strategy.v1.training_pb2 import TrainingConfig
from services.core.analysis.walk_forward import slice_bars
from services.core.backtest import BacktestConfig, BacktestResult, Bars
from services.core.features import compute_features, feature_columns
from services.core.modeling.distributions import FeatureDistribution, reference_distributions
from services.core.modeling.export import ExportedModel, export_onnx, require_parity
from services.core.modeling.families import FittedModel, fit_model
from services.core.modeling.labels import make_labels
from services.core.modeling.model_strategy import backtest_scores
from services.core.modeling.scoring import score_metrics
from services.core.modeling.splits import Split, chronological_split
from services.core.modeling.tuning import TrialReport, tune
from services.core.strategy.parameters import PythonValue, to_python

BACKTEST_METRICS = (
    "total_return",
    "sharpe_ratio",
    "sortino_ratio",
    "max_drawdown",
    "trade_count",
    "win_rate",
)


@dataclass(frozen=True, slots=True, eq=False)
class Dataset:
    """Features and labels of every bar, and which rows have both."""

    features: np.ndarray
    labels: np.ndarray
    names: tuple[str, ...]
    regression: bool
    horizon: int

    @property
    def usable(self) -> np.ndarray:
        return ~np.isnan(self.features).any(axis=1) & ~np.isnan(self.labels)


@dataclass(frozen=True, slots=True, eq=False)
class TrainingOutcome:
    model: FittedModel
    exported: ExportedModel
    dataset: Dataset
    split: Split
    metrics: dict[str, float]
    parity_error: float
    hyperparameters: dict[str, PythonValue]
    feature_importances: dict[str, float]
    distributions: list[FeatureDistribution]
    test_bars: Bars
    test_backtest: BacktestResult
    threshold: float
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Hooks:
    """How the pure pipeline reports to whoever runs it (a job, a test)."""

    progress: Callable[[float, str], None] = lambda fraction, message: None
    trial: TrialReport | None = None
    check_cancelled: Callable[[], None] | None = None


def build_dataset(spec: StrategySpec, bars: Bars, config: TrainingConfig) -> Dataset:
    columns = feature_columns(spec, list(config.features), field="training.features")
    matrix = compute_features(spec, bars, columns)
    labels = make_labels(spec, bars, config.label, field="training.label")
    return Dataset(matrix.values, labels.values, matrix.names, labels.regression, labels.horizon)


def signal_threshold(config: TrainingConfig, regression: bool) -> float:
    if config.signal_threshold:
        return config.signal_threshold
    return 0.0 if regression else 0.5


def train_model(
    spec: StrategySpec,
    bars: Bars,
    config: TrainingConfig,
    backtest_config: BacktestConfig,
    hooks: Hooks | None = None,
) -> TrainingOutcome:
    hooks = hooks or Hooks()
    dataset = build_dataset(spec, bars, config)
    split = chronological_split(dataset.usable, config.split, dataset.horizon, field="training.split")
    hooks.progress(0.1, "features and labels ready")
    hyperparameters = {name: to_python(value) for name, value in config.hyperparameters.items()}
    rows = {name: getattr(split, name) for name in ("train", "validation", "test")}
    x = {name: dataset.features[index] for name, index in rows.items()}
    y = {name: dataset.labels[index] for name, index in rows.items()}
    if config.hyperparameter_search.trial_count > 0:
        tuned = tune(
            config.model_family, hyperparameters, config.hyperparameter_search,
            (x["train"], y["train"], x["validation"], y["validation"]),
            regression=dataset.regression, seed=config.seed, report=hooks.trial,
            check_cancelled=hooks.check_cancelled,
        )  # fmt: skip
        hyperparameters = tuned.best_hyperparameters
    hooks.progress(0.6, "fitting the model")
    model = fit_model(
        config.model_family, hyperparameters, x["train"], y["train"],
        regression=dataset.regression, seed=config.seed,
    )  # fmt: skip
    metrics: dict[str, float] = {}
    for name in rows:
        for metric, value in score_metrics(
            model.scores(x[name]), y[name], regression=dataset.regression
        ).items():
            metrics[f"{name}.{metric}"] = value
    hooks.progress(0.75, "exporting to ONNX")
    exported = export_onnx(model, len(dataset.names))
    parity = require_parity(model, exported, x["test"])
    threshold = signal_threshold(config, dataset.regression)
    test_bars, test_result = _test_backtest(
        bars, dataset, model, split, threshold=threshold, config=backtest_config
    )
    for metric in BACKTEST_METRICS:
        metrics[f"test_backtest.{metric}"] = float(getattr(test_result.metrics, metric))
    hooks.progress(0.9, "model accepted")
    return TrainingOutcome(
        model=model,
        exported=exported,
        dataset=dataset,
        split=split,
        metrics=metrics,
        parity_error=parity,
        hyperparameters=hyperparameters,
        feature_importances=model.feature_importances(dataset.names),
        distributions=reference_distributions(x["train"], dataset.names),
        test_bars=test_bars,
        test_backtest=test_result,
        threshold=threshold,
    )


def _test_backtest(
    bars: Bars,
    dataset: Dataset,
    model: FittedModel,
    split: Split,
    *,
    threshold: float,
    config: BacktestConfig,
) -> tuple[Bars, BacktestResult]:
    """The model's signals on the test split's bars (features known there; labels are not needed)."""
    start, stop = int(split.test[0]), int(split.test[-1]) + 1
    window = dataset.features[start:stop]
    complete = ~np.isnan(window).any(axis=1)
    scores = np.full(stop - start, np.nan)
    if complete.any():
        scores[complete] = model.scores(window[complete])
    test_bars = slice_bars(bars, start, stop)
    return test_bars, backtest_scores(test_bars, scores, threshold, config)
