"""`make bench`: run every benchmark module here and print our figures beside the peers'.

A benchmark module is `tests/performance/bench_<area>.py` with a function
`run() -> list[Measurement]`. Each measurement is ours and the reference's, measured in
the same run on the same machine, repeated, as medians; the table is printed and written
to bench/results.md. Timings never fail a build.
"""

from __future__ import annotations

import gc
import importlib
import pkgutil
import sys
from pathlib import Path

from tests.performance.measurement import Measurement, render_markdown

RESULTS = Path("bench/results.md")


def results_path(selected: set[str]) -> Path:
    """Where a run's table goes: a run of some areas only keeps the full run's table and writes
    its own beside it."""
    if not selected:
        return RESULTS
    return RESULTS.with_name(f"results-{'-'.join(sorted(selected))}.md")


def main() -> int:
    package = Path(__file__).parent
    names = (info.name for info in pkgutil.iter_modules([str(package)]))
    modules = sorted(name for name in names if name.startswith("bench_"))
    selected = set(sys.argv[1:])
    measurements: list[Measurement] = []
    for name in modules:
        if selected and name.removeprefix("bench_") not in selected:
            continue
        print(f"== {name}", flush=True)
        module = importlib.import_module(f"tests.performance.{name}")
        # the load client's own collector: a full collection over everything imported pauses
        # its event loop for tens of ms, which would land in ours and the reference's tails
        gc.collect()
        gc.freeze()
        measurements.extend(module.run())
    if not modules:
        print("no benchmarks yet: each service issue adds its own bench_<area>.py")
        return 0
    table = render_markdown(measurements)
    print(table)
    results = results_path(selected)
    results.parent.mkdir(exist_ok=True)
    results.write_text(table + "\n", encoding="utf-8")
    print(f"written to {results}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
