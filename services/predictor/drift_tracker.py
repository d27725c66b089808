"""The rows one model version received, kept for drift statistics against its training reference."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np

from services.core.errors import FailedPrecondition
from services.core.monitoring.drift import DriftLevel, FeatureDrift, matrix_drift, worst_level
from services.core.monitoring.reference import FeatureReference
from services.core.monitoring.window import SlidingRowWindow


@dataclass(frozen=True)
class DriftReport:
    model_name: str
    version: int
    window_start: datetime
    window_end: datetime
    row_count: int
    features: list[FeatureDrift]
    level: DriftLevel


class DriftTracker:
    def __init__(
        self,
        model_name: str,
        version: int,
        references: tuple[FeatureReference, ...],
        *,
        columns: int,
        max_age_seconds: float,
        max_rows: int,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.model_name = model_name
        self.version = version
        self.references = references
        self._window = SlidingRowWindow(columns, max_age_seconds=max_age_seconds, max_rows=max_rows)
        self._monotonic = monotonic

    def observe(self, rows: np.ndarray) -> None:
        """Called once per onnxruntime batch; O(1)."""
        self._window.append(self._monotonic(), rows)

    def prepare(self, window_seconds: float, now: datetime, min_rows: int) -> Callable[[], DriftReport]:
        """Copy the window's rows now (on the loop); the returned function computes the report
        from that copy and may run in a worker thread."""
        subject = f"{self.model_name}/{self.version}"
        current = self._monotonic()
        rows = self._window.rows_since(current - window_seconds, current)
        if rows.shape[0] < min_rows:
            raise FailedPrecondition(
                f"{rows.shape[0]} rows received in the window; a drift report needs {min_rows}",
                [("TOO_FEW_ROWS", subject, f"{rows.shape[0]} < {min_rows}")],
            )

        def compute() -> DriftReport:
            drifts = matrix_drift(self.references, rows)
            return DriftReport(
                model_name=self.model_name,
                version=self.version,
                window_start=now - timedelta(seconds=window_seconds),
                window_end=now,
                row_count=int(rows.shape[0]),
                features=drifts,
                level=worst_level(drifts),
            )

        return compute
