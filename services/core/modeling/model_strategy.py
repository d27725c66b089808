"""The strategy a model's scores drive, backtested like any other.

On each bar's close: a score at or above the threshold means long (enter, or stay), below it
means flat (exit). Classifiers score the probability of the label (default threshold 0.5),
regressors the predicted return (default threshold 0). Rows without a score (warm-up) hold no
position. The engine fills at the next open by default, so the decision uses only the closed bar.
"""

from __future__ import annotations

import numpy as np

from services.core.backtest import BacktestConfig, BacktestResult, Bars, Intents, run_backtest


def model_intents(scores: np.ndarray, threshold: float) -> Intents:
    known = ~np.isnan(scores)
    long = known & (scores >= threshold)
    return Intents(enter_long=long, exit_long=~long, warmup_bars=0)


def backtest_scores(
    bars: Bars, scores: np.ndarray, threshold: float, config: BacktestConfig
) -> BacktestResult:
    return run_backtest(bars, model_intents(scores, threshold), config)
