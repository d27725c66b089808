"""How well a model's scores match the labels, by the names the contract uses ("roc_auc", ...).

Classification metrics read the probability of class 1 (accuracy and F1 at 0.5); a metric that
is undefined on these rows (ROC AUC with one class) is NaN rather than an error.
"""

from __future__ import annotations

import math

import numpy as np
from sklearn import metrics

from alphintra.strategy.v1.training_pb2 import ValidationMetric

METRIC_NAMES = {
    ValidationMetric.VALIDATION_METRIC_LOG_LOSS: "log_loss",
    ValidationMetric.VALIDATION_METRIC_ROC_AUC: "roc_auc",
    ValidationMetric.VALIDATION_METRIC_ACCURACY: "accuracy",
    ValidationMetric.VALIDATION_METRIC_F1: "f1",
    ValidationMetric.VALIDATION_METRIC_RMSE: "rmse",
}
LOWER_IS_BETTER = frozenset({"log_loss", "rmse", "mae"})


def score_metrics(scores: np.ndarray, labels: np.ndarray, *, regression: bool) -> dict[str, float]:
    if scores.size == 0:
        return {}
    if regression:
        error = scores - labels
        return {
            "rmse": float(np.sqrt(np.mean(error**2))),
            "mae": float(np.mean(np.abs(error))),
            "r2": float(metrics.r2_score(labels, scores)) if scores.size > 1 else math.nan,
        }
    truth = labels.astype(np.int64)
    predicted = (scores >= 0.5).astype(np.int64)
    both = np.unique(truth).size == 2
    return {
        "log_loss": float(metrics.log_loss(truth, np.clip(scores, 1e-15, 1 - 1e-15), labels=[0, 1])),
        "roc_auc": float(metrics.roc_auc_score(truth, scores)) if both else math.nan,
        "accuracy": float(metrics.accuracy_score(truth, predicted)),
        "f1": float(metrics.f1_score(truth, predicted, zero_division=0.0)),
        "positive_rate": float(truth.mean()),
    }


def default_metric(regression: bool) -> str:
    return "rmse" if regression else "log_loss"


def better(metric: str, candidate: float, baseline: float, margin: float = 0.0) -> bool:
    """Whether `candidate` beats `baseline` by at least the fraction `margin` of the baseline."""
    if math.isnan(candidate):
        return False
    if math.isnan(baseline):
        return True
    if metric in LOWER_IS_BETTER:
        return candidate <= baseline - margin * abs(baseline)
    return candidate >= baseline + margin * abs(baseline)
