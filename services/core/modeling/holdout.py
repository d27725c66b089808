"""A recent holdout on which a retrained candidate and the version in production are compared.

    holdout = recent_holdout(spec, bars, training_config, fraction=0.2)
    candidate = train_model(spec, slice_bars(bars, 0, holdout.start), ...)   # never sees the holdout
    holdout.metric_of(onnx_model_scores(candidate_bytes, holdout.features))

The holdout is the last `fraction` of the bars; its rows are those with complete features and a
label (features warm up on the bars before it, as they would live). A candidate trained on the
bars before `start` has no label that looks into the holdout: labels need future bars, and the
truncated series has none past `start`. Both models are scored through their ONNX files, the
form the predictor serves, with the metric the model was tuned on (log loss / RMSE by default).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import onnxruntime

from alphintra.strategy.v1.strategy_spec_pb2 import StrategySpec
from alphintra.strategy.v1.training_pb2 import TrainingConfig
from services.core.backtest import Bars
from services.core.errors import FieldViolation, InvalidArgument
from services.core.modeling.export import INPUT_NAME
from services.core.modeling.scoring import METRIC_NAMES, default_metric, score_metrics
from services.core.modeling.training import build_dataset

DEFAULT_FRACTION = 0.2
MAX_FRACTION = 0.5  # as RetrainingSchedule.holdout_fraction allows
MIN_ROWS = 20
FLOAT_OUTPUT = "tensor(float)"


@dataclass(frozen=True, slots=True, eq=False)
class Holdout:
    start: int  # the first bar of the holdout
    features: np.ndarray
    labels: np.ndarray
    regression: bool
    metric: str

    def metric_of(self, scores: np.ndarray) -> float:
        return score_metrics(scores, self.labels, regression=self.regression)[self.metric]


def comparison_metric(config: TrainingConfig, regression: bool) -> str:
    return METRIC_NAMES.get(config.hyperparameter_search.metric) or default_metric(regression)


def recent_holdout(
    spec: StrategySpec, bars: Bars, config: TrainingConfig, fraction: float, field: str = "holdout_fraction"
) -> Holdout:
    fraction = fraction or DEFAULT_FRACTION
    if not 0.0 < fraction <= MAX_FRACTION:
        raise InvalidArgument("invalid holdout", [FieldViolation(field, "a fraction in (0, 0.5]")])
    dataset = build_dataset(spec, bars, config)
    start = int(len(bars) * (1.0 - fraction))
    rows = np.flatnonzero(dataset.usable)
    rows = rows[rows >= start]
    if rows.size < MIN_ROWS:
        raise InvalidArgument(
            "the holdout is too small to compare models",
            [FieldViolation(field, f"{rows.size} labelled rows in the holdout; at least {MIN_ROWS} needed")],
        )
    return Holdout(
        start=start,
        features=dataset.features[rows],
        labels=dataset.labels[rows],
        regression=dataset.regression,
        metric=comparison_metric(config, dataset.regression),
    )


def onnx_model_scores(content: bytes, features: np.ndarray) -> np.ndarray:
    """A stored ONNX model's scores: the probability of class 1, or the regression value.

    The score output is the float output: (n, 2) class probabilities, or (n, 1) / (n,) values.
    """
    session = onnxruntime.InferenceSession(content, providers=["CPUExecutionProvider"])
    output = next(item.name for item in session.get_outputs() if item.type == FLOAT_OUTPUT)
    (values,) = session.run([output], {INPUT_NAME: np.asarray(features, dtype=np.float32)})
    values = np.asarray(values, dtype=np.float64)
    return values[:, 1] if values.ndim == 2 and values.shape[1] == 2 else values.reshape(-1)
