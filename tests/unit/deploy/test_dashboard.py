"""deploy/grafana/alphintra.json: importable, datasource-agnostic, and querying series the services export.

A dashboard that queries a renamed metric shows "No data" and nobody notices until an incident;
here every PromQL expression is checked against the metric definitions in services/.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from tests.unit.deploy.code_metrics import exported_series, metric_exists_in_code
from tests.unit.deploy.manifests import DEPLOY

DASHBOARD_PATH = DEPLOY / "grafana" / "alphintra.json"
SERIES = re.compile(r"\balphintra_[a-z0-9_]+")
DATASOURCE = {"type": "prometheus", "uid": "${datasource}"}
# Panels for metrics their services do not export yet, under the names proposed to their owners.
# Each is an expected failure: when the metric lands under that name, the test passes, strict
# xfail turns that into a failure, and the name comes off this list.
PENDING = {}


def dashboard() -> dict[str, Any]:
    return json.loads(DASHBOARD_PATH.read_text())


def panels() -> list[dict[str, Any]]:
    return [panel for panel in dashboard()["panels"] if panel["type"] != "row"]


def expressions() -> list[str]:
    return [target["expr"] for panel in panels() for target in panel["targets"]]


def referenced_series() -> list[str]:
    return sorted({name for expression in expressions() for name in SERIES.findall(expression)})


def _case(series: str) -> Any:
    if series in PENDING:
        return pytest.param(series, marks=pytest.mark.xfail(strict=True, reason=PENDING[series]))
    return series


@pytest.mark.parametrize("series", [_case(series) for series in referenced_series()])
def test_every_queried_series_is_exported_by_a_service(series):
    assert metric_exists_in_code(series), f"{series} is defined nowhere under services/"


def test_every_panel_queries_at_least_one_mesh_series():
    for panel in panels():
        assert panel["targets"], panel["title"]
        for target in panel["targets"]:
            assert SERIES.search(target["expr"]), f"{panel['title']}: {target['expr']}"


def test_the_metric_finder_knows_each_kind_of_series():
    """The check above is only as good as this: counters, gauges and histogram series are all found."""
    assert {
        "alphintra_grpc_server_handled_total",
        "alphintra_grpc_server_in_flight",
        "alphintra_grpc_server_handling_seconds_bucket",
        "alphintra_predictor_batch_rows_sum",
    } <= exported_series()
    assert not metric_exists_in_code("alphintra_grpc_server_handling_seconds")


def test_red_panels_cover_rate_errors_and_latency_percentiles_of_the_interceptors_metrics():
    text = "\n".join(expressions())
    assert "rate(alphintra_grpc_server_handled_total{" in text
    assert 'grpc_code!="OK"' in text
    for quantile in ("0.5", "0.95", "0.99"):
        assert f"histogram_quantile({quantile}, sum by (le, grpc_service, grpc_method) (rate(" in text


def test_the_datasource_is_a_variable_so_the_dashboard_imports_anywhere():
    board = dashboard()
    [variable] = [item for item in board["templating"]["list"] if item["name"] == "datasource"]
    assert variable["type"] == "datasource"
    assert variable["query"] == "prometheus"
    for panel in panels():
        assert panel["datasource"] == DATASOURCE, panel["title"]
        for target in panel["targets"]:
            assert target["datasource"] == DATASOURCE, panel["title"]
    assert "__inputs" not in board  # nothing to map at import time


def test_panels_have_unique_ids_and_do_not_overlap():
    board = dashboard()
    ids = [panel["id"] for panel in board["panels"]]
    assert len(ids) == len(set(ids))
    occupied: set[tuple[int, int]] = set()
    for panel in board["panels"]:
        grid = panel["gridPos"]
        assert grid["x"] + grid["w"] <= 24, panel["title"]
        cells = {
            (x, y)
            for x in range(grid["x"], grid["x"] + grid["w"])
            for y in range(grid["y"], grid["y"] + grid["h"])
        }
        assert not cells & occupied, f"{panel['title']} overlaps another panel"
        occupied |= cells
