"""The no-code strategy domain: node catalog, graph validation, compilation, evaluation, trace, code.

A workflow graph (protobuf `WorkflowGraph`) is validated against the node catalog, compiled to a
`StrategySpec` (a typed, data-only IR), and the spec is evaluated by fixed code: vectorised for
backtests, bar by bar for live deployments, explained bar by bar for people, and rendered as a
standalone Python script that reproduces the backtest. Nothing a user typed is ever executed.

    problems = validate_graph(graph)
    spec = compile_graph(graph)
    result = backtest(spec, bars, BacktestConfig(commission=0.001))
    verify_strategy(spec, bars)                  # look-ahead and warm-up checks
    decision = StreamingEvaluator(spec).update(open, high, low, close, volume)
    steps = trace(spec, bars, start_index=100, max_bars=50)
    code = generate_code(spec, title=workflow.display_name)
"""

from services.core.strategy.catalog import list_node_types
from services.core.strategy.codegen import generate_code
from services.core.strategy.compiler import (
    apply_parameters,
    compile_graph,
    compile_with_warnings,
    compile_workflow,
    content_hash,
)
from services.core.strategy.engine_config import engine_config
from services.core.strategy.evaluator import Evaluation, backtest, evaluate
from services.core.strategy.lookahead import find_lookahead, find_warmup_problems, verify_strategy
from services.core.strategy.problems import problems_to_error
from services.core.strategy.spec_check import check_spec
from services.core.strategy.streaming import BarDecision, StreamingEvaluator
from services.core.strategy.templates import get_template, list_templates
from services.core.strategy.trace import Trace, bars_needed, trace, window_bars
from services.core.strategy.validation import is_valid, require_valid, validate_graph

__all__ = [
    "BarDecision",
    "Evaluation",
    "StreamingEvaluator",
    "Trace",
    "apply_parameters",
    "backtest",
    "bars_needed",
    "check_spec",
    "compile_graph",
    "compile_with_warnings",
    "compile_workflow",
    "content_hash",
    "engine_config",
    "evaluate",
    "find_lookahead",
    "find_warmup_problems",
    "generate_code",
    "get_template",
    "is_valid",
    "list_node_types",
    "list_templates",
    "problems_to_error",
    "require_valid",
    "trace",
    "validate_graph",
    "verify_strategy",
    "window_bars",
]
