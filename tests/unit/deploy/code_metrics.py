"""The Prometheus series the services export, found in their source (no service is imported or run)."""

from __future__ import annotations

import functools
import re

from tests.unit.deploy.manifests import REPO_ROOT

SERVICES = REPO_ROOT / "services"
# Counter("name", ...), Histogram(\n    "name", ...): the constructor and the name given to it
DEFINITION = re.compile(r"\b(Counter|Gauge|Histogram|Summary)\(\s*['\"]([a-zA-Z_:][a-zA-Z0-9_:]*)['\"]")
# the series each kind of metric exposes, by suffix (prometheus_client's text format)
SUFFIXES = {
    "Counter": ("_total",),
    "Gauge": ("",),
    "Histogram": ("_bucket", "_sum", "_count"),
    "Summary": ("", "_sum", "_count"),
}


@functools.cache
def exported_series() -> frozenset[str]:
    """Every series name a service may expose, from the metric definitions under services/."""
    series: set[str] = set()
    for path in SERVICES.rglob("*.py"):
        for kind, name in DEFINITION.findall(path.read_text()):
            base = name.removesuffix("_total") if kind == "Counter" else name
            series.update(base + suffix for suffix in SUFFIXES[kind])
    return frozenset(series)


def metric_exists_in_code(series: str) -> bool:
    return series in exported_series()
