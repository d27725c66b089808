"""No id, label, title or other user string can inject code into a generated script."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest
from backtesting.test import GOOG

from alphintra.strategy.v1.strategy_spec_pb2 import StrategySpec
from alphintra.workflow.v1.workflow_pb2 import WorkflowGraph
from services.core.errors import Internal, InvalidArgument
from services.core.strategy.code_literals import comment, identifier, literal
from services.core.strategy.codegen import generate_code
from services.core.strategy.compiler import compile_graph
from services.core.strategy.validation import validate_graph
from tests.unit.core.strategy.graphs import sma_cross

ROOT = Path(__file__).resolve().parents[4]


def payloads(marker: Path) -> list[str]:
    command = f"__import__('os').system('touch {marker}')"
    return [
        f"x'); {command}; ('",
        f'x"); {command}; ("',
        f"'''\n{command}\n'''",
        f'"""\n{command}\n"""',
        f"\n{command}\n",
        f"\r{command}",
        f"\u2028{command}",
        f"\u2029{command}\u0085{command}",
        f"nul\x00{command}",
        f"\\\n{command}",
        f"# \n{command}",
        f"\x0c{command}\x0b",
        f"\u202e{command}",
        f"{{{command}}}",
        "A" * 100_000 + f"\n{command}",
    ]


def renamed(spec: StrategySpec, names: dict[str, str]) -> StrategySpec:
    """The spec with node ids replaced everywhere they are referenced."""
    copy = StrategySpec()
    copy.CopyFrom(spec)
    for node in copy.indicators:
        node.node_id = names.get(node.node_id, node.node_id)
    for node in copy.conditions:
        node.node_id = names.get(node.node_id, node.node_id)
        for operand in (node.condition.comparison.left, node.condition.comparison.right):
            operand.series.node_id = names.get(operand.series.node_id, operand.series.node_id)
    for rule in copy.rules:
        rule.node_id = names.get(rule.node_id, rule.node_id)
        rule.condition_node_id = names.get(rule.condition_node_id, rule.condition_node_id)
    copy.data_source.node_id = names.get(copy.data_source.node_id, copy.data_source.node_id)
    copy.data_source.symbol = names.get("symbol", "")
    return copy


def hostile_spec(marker: Path) -> tuple[StrategySpec, dict[str, str]]:
    spec = compile_graph(sma_cross().build())
    hostile = payloads(marker)
    ids = ("fast", "slow", "up", "down", "buy", "sell", "data", "symbol")
    names = {node_id: f"{node_id}{hostile[position % len(hostile)]}" for position, node_id in enumerate(ids)}
    return renamed(spec, names), names


def strings_blanked(code: str) -> str:
    """The code's syntax tree with every string literal emptied: what the code does, not what it says."""
    tree = ast.parse(code)
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            node.value = ""
    return ast.dump(tree)


@pytest.mark.parametrize("position", range(15))
def test_a_hostile_title_label_or_id_never_changes_the_code(position, tmp_path):
    marker = tmp_path / "pwned"
    payload = payloads(marker)[position]
    spec = compile_graph(sma_cross().build())
    benign = generate_code(spec, title="title", labels={"fast": "label"})
    hostile_ids = renamed(spec, {"fast": "fast" + payload, "up": payload, "buy": payload + "buy"})
    hostile = generate_code(hostile_ids, title=payload, labels={"fast" + payload: payload, payload: payload})
    assert strings_blanked(hostile) == strings_blanked(benign)
    assert hostile.count("\n") == benign.count("\n"), "a payload added a line"


def test_the_payload_is_data_in_the_code_and_never_runs(tmp_path, csv_path):
    marker = tmp_path / "pwned"
    spec, names = hostile_spec(marker)
    code = generate_code(spec, title=payloads(marker)[2], labels={name: name for name in names.values()})
    tree = ast.parse(code)
    called = {
        node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", "")
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
    }
    assert not called & {"__import__", "system", "eval", "exec", "compile", "open", "getattr"}
    node_ids = next(
        node.value for node in tree.body if isinstance(node, ast.Assign) and node.targets[0].id == "NODE_IDS"
    )
    assert names["fast"] in ast.literal_eval(node_ids).values()
    script = tmp_path / "hostile.py"
    script.write_text(code, encoding="utf-8")
    finished = subprocess.run(
        [sys.executable, str(script), str(csv_path), "--json"],
        check=False,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert finished.returncode == 0, finished.stderr
    assert '"trades"' in finished.stdout
    assert not marker.exists(), "the payload ran"


def test_hostile_ids_that_pass_validation_compile_to_safe_code():
    def with_fast_named(node_id: str, label: str) -> WorkflowGraph:
        graph = sma_cross().build()
        graph.nodes[1].id = node_id
        graph.nodes[1].label = label
        for edge in graph.edges:
            if edge.source_node == "fast":
                edge.source_node = node_id
            if edge.target_node == "fast":
                edge.target_node = node_id
        return graph

    hostile = with_fast_named(
        "x'); __import__('os').system('id'); (\"\"\"'", "\n__import__('os').system('id')\n"
    )
    benign = with_fast_named("x", "label")  # sorts where the hostile id sorts, so the code's order matches
    assert validate_graph(hostile) == []
    code = generate_code(compile_graph(hostile), labels={node.id: node.label for node in hostile.nodes})
    assert strings_blanked(code) == strings_blanked(
        generate_code(compile_graph(benign), labels={"x": "label"})
    )


def test_ids_with_line_breaks_or_nul_are_refused_by_validation():
    for bad in ("a\nb", "a\rb", "a\u2028b", "a\x00b"):
        graph = sma_cross().build()
        graph.nodes[1].id = bad
        assert "INVALID_ID" in {problem.code for problem in validate_graph(graph)}


def test_literals_read_back_as_their_values():
    for value in ["it's", '"""', "\u2028\x00\n", 0.1, 1e300, -0.0, 7, True]:
        assert ast.literal_eval(literal(value)) == value
    for value in (float("nan"), float("inf"), b"bytes"):
        with pytest.raises(Internal):
            literal(value)


def test_comments_cannot_end_their_line():
    for text in ("a\nb", "a\rb", "a\u2028b", "a\u2029b", "a\x85b", "a\x00b", "a\x0cb", "x" * 1000):
        escaped = comment(text)
        assert len(escaped) <= 80
        assert ast.parse(f"# {escaped}\nvalue = 1").body[0].targets[0].id == "value"


def test_names_in_code_must_be_plain_identifiers():
    assert identifier("fast_period") == "fast_period"
    for bad in ("Period", "period)", "__import__", "lambda", "a-b", "", "x" * 65):
        with pytest.raises(Internal):
            identifier(bad)


def test_a_hand_made_spec_with_an_unknown_indicator_is_refused_before_generation():
    spec = compile_graph(sma_cross().build())
    spec.indicators[0].indicator = "SMA'); import os; ('"
    with pytest.raises(InvalidArgument):
        generate_code(spec)


@pytest.fixture
def csv_path(tmp_path: Path) -> Path:
    path = tmp_path / "bars.csv"
    GOOG.iloc[:300].to_csv(path)
    return path
