"""Drift of every served version against its reference: on demand (GetDriftReport) and on a timer.

The statistics sort every feature column of the window (up to `drift_window_rows` rows), which
would hold the event loop for tens of milliseconds; the window is copied on the loop and the
numpy work runs in a worker thread (numpy releases the GIL while sorting).

The periodic check refreshes the PSI/KS gauges and raises an alert when a feature's PSI
reaches `drift_alert_psi`: one warning log event and one count of
`alphintra_predictor_drift_alerts_total` when the feature crosses the threshold (not on
every check while it stays above, so an alert means "something changed").
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime

from services.core.errors import FailedPrecondition
from services.predictor import metrics
from services.predictor.drift_tracker import DriftReport
from services.predictor.served import ServedVersion
from services.predictor.settings import PredictorSettings

log = logging.getLogger("alphintra.predictor.drift")


class DriftMonitor:
    def __init__(self, settings: PredictorSettings, clock: Callable[[], datetime]) -> None:
        self.settings = settings
        self.clock = clock
        # (model, version, feature) currently past the alert threshold
        self._alerting: set[tuple[str, int, str]] = set()

    async def report(self, served: ServedVersion, window_seconds: float) -> DriftReport:
        tracker = served.drift
        if tracker is None:
            subject = f"{served.model_name}/{served.version}"
            raise FailedPrecondition(
                f"model version {subject} has no reference distributions",
                [("NO_REFERENCE", subject, "the version was registered without reference.json")],
            )
        compute = tracker.prepare(window_seconds, self.clock(), self.settings.drift_min_rows)
        report = await asyncio.to_thread(compute)
        self._publish(report)
        return report

    def _publish(self, report: DriftReport) -> None:
        labels = (report.model_name, str(report.version))
        metrics.DRIFT_LEVEL.labels(*labels).set(int(report.level))
        for drift in report.features:
            metrics.FEATURE_PSI.labels(*labels, drift.feature).set(drift.psi)
            metrics.FEATURE_KS.labels(*labels, drift.feature).set(drift.ks_statistic)
            key = (report.model_name, report.version, drift.feature)
            if drift.psi >= self.settings.drift_alert_psi:
                if key not in self._alerting:
                    self._alerting.add(key)
                    metrics.DRIFT_ALERTS.labels(*labels, drift.feature).inc()
                    log.warning(
                        "drift alert: model %s version %d feature %s PSI %.3f (threshold %.3f), KS %.3f",
                        report.model_name,
                        report.version,
                        drift.feature,
                        drift.psi,
                        self.settings.drift_alert_psi,
                        drift.ks_statistic,
                        extra={
                            "event": "drift_alert",
                            "model": report.model_name,
                            "version": report.version,
                            "feature": drift.feature,
                            "psi": drift.psi,
                        },
                    )
            else:
                self._alerting.discard(key)

    async def check(self, versions: list[ServedVersion]) -> list[DriftReport]:
        """One pass over the given versions; those without a reference or enough rows are skipped."""
        reports = []
        for served in versions:
            if served.drift is None or not served.ready:
                continue
            try:
                reports.append(await self.report(served, self.settings.drift_window_seconds))
            except FailedPrecondition:
                continue
        return reports

    async def run(self, versions: Callable[[], list[ServedVersion]]) -> None:
        """Check every `drift_check_seconds` until cancelled."""
        while True:
            await asyncio.sleep(self.settings.drift_check_seconds)
            try:
                await self.check(versions())
            except Exception:
                log.exception("drift check failed")
