"""Optimisation: trials/s of a parameter study on five years of daily bars (1,260 bars).

The SMA-crossover template's two periods, TPE, Sharpe on the in-sample 70 %, as an OPTIMIZATION
job runs it (`services.core.modeling.optimization.optimize`). Ours stores the study in Optuna's RDB
storage on PostgreSQL (the schema `optuna`, what lets several workers share a study); the
reference is the same study in Optuna's in-memory storage, so the ratio is the price of sharing:
Optuna's RDB storage runs some 50 statements per trial, which matters on a short series and fades
as backtests or walk-forward windows grow. A fresh study per repeat; medians of the repeats. A
throwaway PostgreSQL is started for the run (fsync off, as in tests). Timings never fail a build.
"""

from __future__ import annotations

import shutil
import tempfile
import uuid
from pathlib import Path

import optuna

from alphintra.strategy.v1.optimization_pb2 import Objective, OptimizationConfig, Sampler
from services.core.backtest import BacktestConfig
from services.core.modeling.optimization import optimize
from services.core.modeling.synthetic import synthetic_bars
from services.core.strategy import get_template
from services.mesh.devstack import EmbeddedPostgres
from services.trainer.modeling.study_storage import study_storage
from tests.performance.measurement import Measurement, median_rate

BARS = 1_260
TRIALS = 60
REPEATS = 3


def run() -> list[Measurement]:
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    graph = get_template("sma_crossover").graph
    bars = synthetic_bars(BARS, seed=11)
    config = OptimizationConfig(
        sampler=Sampler.SAMPLER_TPE, objective=Objective.OBJECTIVE_SHARPE, trial_count=TRIALS, seed=3
    )

    def in_memory() -> int:
        return len(optimize(graph, bars, BacktestConfig(), config).trials)

    root = Path(tempfile.mkdtemp(prefix="alphintra-bench-optimization-"))
    postgres = EmbeddedPostgres(root / "pg", fsync=False)
    try:
        postgres.start()
        with study_storage(postgres.url) as storage:

            def on_postgres() -> int:
                outcome = optimize(
                    graph, bars, BacktestConfig(), config, storage=storage, study_name=uuid.uuid4().hex
                )
                return len(outcome.trials)

            in_memory()  # warm-up: imports, numba compilation
            reference = median_rate(in_memory, REPEATS)
            ours = median_rate(on_postgres, REPEATS)
    finally:
        postgres.stop()
        shutil.rmtree(root, ignore_errors=True)
    return [
        Measurement(
            benchmark=f"optimisation, {BARS} daily bars, TPE, {TRIALS} trials",
            unit="trials/s",
            ours=ours,
            reference_name="same study in Optuna's in-memory storage",
            reference=reference,
            aim="the price of sharing: Optuna's RDB storage runs ~50 statements per trial",
        )
    ]
