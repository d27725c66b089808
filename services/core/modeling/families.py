"""The model families a user may choose, built with their hyperparameters and seed.

Every family is fitted on float32-exact features (`as_model_input`): the ONNX model reads FP32,
so the native model is trained and judged on the very numbers the exported one will see, and
their predictions agree to rounding (see `export`). Classifiers are binary (labels 0 and 1) and
score by the probability of 1; regressors score by their prediction.

Hyperparameters use the library's own names (LightGBM's `num_leaves`, scikit-learn's
`max_depth`, the MLP's `hidden_layer_sizes` as text "64,32"); unknown names are refused with
the list of known ones. Linear and neural models standardise their inputs first (a pipeline),
so they do not depend on the features' scales.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import lightgbm
import numpy as np
from sklearn.base import BaseEstimator
from sklearn.ensemble import GradientBoostingClassifier, GradientBoostingRegressor
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler

from alphintra.strategy.v1.training_pb2 import ModelFamily
from services.core.errors import FieldViolation, InvalidArgument
from services.core.strategy.parameters import PythonValue

FAMILY_NAMES = {
    ModelFamily.MODEL_FAMILY_LIGHTGBM: "lightgbm",
    ModelFamily.MODEL_FAMILY_SKLEARN_GBT: "sklearn_gbt",
    ModelFamily.MODEL_FAMILY_LOGISTIC_REGRESSION: "logistic_regression",
    ModelFamily.MODEL_FAMILY_MLP: "mlp",
}

# Hyperparameters that are whole numbers whatever range they are searched over.
INTEGER_HYPERPARAMETERS = frozenset(
    {"num_leaves", "n_estimators", "max_depth", "min_child_samples", "max_iter", "min_samples_leaf",
     "min_samples_split", "bagging_freq", "max_bin", "subsample_freq", "batch_size", "n_iter_no_change"}
)  # fmt: skip


@dataclass(frozen=True, slots=True, eq=False)
class FittedModel:
    family: int
    estimator: Any
    regression: bool

    def scores(self, features: np.ndarray) -> np.ndarray:
        """Probability of class 1 (classifiers) or the predicted value (regressors), per row."""
        rows = as_model_input(features)
        if self.regression:
            return np.asarray(self.estimator.predict(rows), dtype=np.float64).reshape(-1)
        return np.asarray(self.estimator.predict_proba(rows), dtype=np.float64)[:, 1]

    def feature_importances(self, names: tuple[str, ...]) -> dict[str, float]:
        """Gain for trees, |coefficient| for logistic regression; empty for the MLP."""
        final = self.estimator[-1] if isinstance(self.estimator, Pipeline) else self.estimator
        if isinstance(final, lightgbm.LGBMModel):
            values = final.booster_.feature_importance(importance_type="gain")
        elif hasattr(final, "feature_importances_"):
            values = final.feature_importances_
        elif hasattr(final, "coef_"):
            values = np.abs(np.asarray(final.coef_)).reshape(-1)
        else:
            return {}
        return {name: float(value) for name, value in zip(names, values, strict=True)}


def as_model_input(features: np.ndarray) -> np.ndarray:
    """The features as the ONNX model reads them: float32 values (held in float64 for the libraries)."""
    return np.asarray(features, dtype=np.float32).astype(np.float64)


def build_estimator(
    family: int, hyperparameters: Mapping[str, PythonValue], *, regression: bool, seed: int
) -> Any:
    if family not in FAMILY_NAMES:
        raise InvalidArgument(
            "unknown model family", [FieldViolation("model_family", "choose a model family")]
        )
    if family == ModelFamily.MODEL_FAMILY_LOGISTIC_REGRESSION and regression:
        raise InvalidArgument(
            "logistic regression classifies",
            [FieldViolation("model_family", "a regression label needs LIGHTGBM, SKLEARN_GBT or MLP")],
        )
    final = _final_estimator(family, regression, seed & 0x7FFFFFFF)
    values = {name: _hyperparameter(name, value) for name, value in hyperparameters.items()}
    known = set(final.get_params())
    unknown = sorted(set(values) - known)
    if unknown:
        raise InvalidArgument(
            f"unknown hyperparameters for {FAMILY_NAMES[family]}",
            [FieldViolation(f"hyperparameters.{name}", f"not a {FAMILY_NAMES[family]} hyperparameter")
             for name in unknown],
        )  # fmt: skip
    final.set_params(**values)
    if family in (ModelFamily.MODEL_FAMILY_LOGISTIC_REGRESSION, ModelFamily.MODEL_FAMILY_MLP):
        return make_pipeline(StandardScaler(), final)
    return final


def _final_estimator(family: int, regression: bool, seed: int) -> BaseEstimator:
    if family == ModelFamily.MODEL_FAMILY_LIGHTGBM:
        kind = lightgbm.LGBMRegressor if regression else lightgbm.LGBMClassifier
        return kind(random_state=seed, deterministic=True, n_jobs=1, verbose=-1)
    if family == ModelFamily.MODEL_FAMILY_SKLEARN_GBT:
        return (GradientBoostingRegressor if regression else GradientBoostingClassifier)(random_state=seed)
    if family == ModelFamily.MODEL_FAMILY_LOGISTIC_REGRESSION:
        return LogisticRegression(max_iter=1000)
    return (MLPRegressor if regression else MLPClassifier)(
        random_state=seed, hidden_layer_sizes=(32, 16), max_iter=300, early_stopping=False
    )


def _hyperparameter(name: str, value: PythonValue) -> Any:
    if name == "hidden_layer_sizes" and isinstance(value, str | int):
        try:
            sizes = tuple(int(part) for part in str(value).split(","))
        except ValueError:
            raise InvalidArgument(
                "invalid hidden_layer_sizes",
                [FieldViolation("hyperparameters.hidden_layer_sizes", 'layer sizes as text, e.g. "64,32"')],
            ) from None
        return sizes
    if name in INTEGER_HYPERPARAMETERS and isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def fit_model(
    family: int,
    hyperparameters: Mapping[str, PythonValue],
    features: np.ndarray,
    labels: np.ndarray,
    *,
    regression: bool,
    seed: int,
) -> FittedModel:
    """Fit on float32-exact features; a bad hyperparameter value is the caller's InvalidArgument."""
    estimator = build_estimator(family, hyperparameters, regression=regression, seed=seed)
    target = labels if regression else labels.astype(np.int64)
    if not regression and np.unique(target).size < 2:
        raise InvalidArgument(
            "the training labels hold one class only",
            [
                FieldViolation(
                    "label", "every training row has the same label; change the threshold or horizon"
                )
            ],
        )
    try:
        with warnings.catch_warnings():
            # an MLP stopped by max_iter is still a model; the user tunes max_iter if they care
            warnings.simplefilter("ignore", ConvergenceWarning)
            estimator.fit(as_model_input(features), target)
    except (ValueError, TypeError) as error:
        raise InvalidArgument(
            "the model cannot be fitted with these hyperparameters",
            [FieldViolation("hyperparameters", str(error)[:300])],
        ) from None
    return FittedModel(family=family, estimator=estimator, regression=regression)
