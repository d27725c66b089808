from pathlib import Path

from tests.performance.__main__ import RESULTS, results_path


def test_a_full_run_writes_the_results_table():
    assert results_path(set()) == RESULTS == Path("bench/results.md")


def test_a_run_of_some_areas_writes_beside_it_and_keeps_the_full_table():
    assert results_path({"signal_bus", "gateway"}) == Path("bench/results-gateway-signal_bus.md")
