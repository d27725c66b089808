"""One benchmark figure beside its reference, and the Markdown table of them all."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Measurement:
    benchmark: str
    unit: str
    ours: float
    reference_name: str
    reference: float
    higher_is_better: bool = True
    aim: str = ""

    @property
    def ratio(self) -> float:
        if self.reference == 0:
            return float("inf")
        return self.ours / self.reference


def median_rate(work: Callable[[], int], repeats: int = 5) -> float:
    """Median items/s of `work`, which returns how many items it processed."""
    rates = []
    for _ in range(repeats):
        started = time.perf_counter()
        items = work()
        rates.append(items / (time.perf_counter() - started))
    return statistics.median(rates)


def render_markdown(measurements: list[Measurement]) -> str:
    lines = [
        "| benchmark | ours | reference | ratio | aim |",
        "|---|---:|---|---:|---|",
    ]
    for item in measurements:
        lines.append(
            f"| {item.benchmark} | {item.ours:,.1f} {item.unit} | {item.reference_name}: "
            f"{item.reference:,.1f} {item.unit} | {item.ratio:.2f}× | {item.aim} |"
        )
    return "\n".join(lines)
