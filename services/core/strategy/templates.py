"""Ready-made strategies to start from, served as templates and written to `examples/` as JSON.

The graphs below are the one source of both: `list_templates()` serves them (ListTemplates,
CloneTemplate) and `write_examples()` writes each as `examples/<id>.json`, the protobuf JSON
mapping of a Workflow message. A test regenerates the files and fails when they are stale, so
after changing a template run:

    python -m services.core.strategy.examples examples
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from google.protobuf import json_format

from alphintra.common.v1.parameter_pb2 import ParameterRange
from alphintra.workflow.v1.template_pb2 import Difficulty, Template
from alphintra.workflow.v1.workflow_pb2 import Workflow, WorkflowGraph
from services.core.errors import NotFound
from services.core.strategy.builder import GraphBuilder

# Editor columns, left to right, in pixels.
_COLUMNS = {"data": 0.0, "indicator": 260.0, "condition": 520.0, "logic": 780.0, "action": 1040.0}


def _at(column: str, row: int) -> tuple[float, float]:
    return (_COLUMNS[column], 140.0 * row)


def _whole(low: int, high: int, step: int = 1) -> ParameterRange:
    return ParameterRange(low=float(low), high=float(high), step=float(step))


def sma_crossover() -> WorkflowGraph:
    return (
        GraphBuilder()
        .node("data", "dataSource", label="Daily bars", position=_at("data", 1), timeframe="1d")
        .node(
            "sma_fast",
            "technicalIndicator",
            label="SMA 10",
            position=_at("indicator", 0),
            indicator="SMA",
            period=10,
            ranges={"period": _whole(5, 30)},
        )
        .node(
            "sma_slow",
            "technicalIndicator",
            label="SMA 20",
            position=_at("indicator", 2),
            indicator="SMA",
            period=20,
            ranges={"period": _whole(20, 100, 5)},
        )
        .node(
            "cross_up",
            "condition",
            label="Fast crosses above slow",
            position=_at("condition", 0),
            operator="crosses_above",
        )
        .node(
            "cross_down",
            "condition",
            label="Fast crosses below slow",
            position=_at("condition", 2),
            operator="crosses_below",
        )
        .node("buy", "action", label="Buy", position=_at("action", 0), action="buy")
        .node("sell", "action", label="Sell", position=_at("action", 2), action="sell")
        .connect("data.bars", "sma_fast.bars")
        .connect("data.bars", "sma_slow.bars")
        .connect("sma_fast.value", "cross_up.left")
        .connect("sma_slow.value", "cross_up.right")
        .connect("sma_fast.value", "cross_down.left")
        .connect("sma_slow.value", "cross_down.right")
        .connect("cross_up.result", "buy.signal")
        .connect("cross_down.result", "sell.signal")
        .build()
    )


def rsi_mean_reversion() -> WorkflowGraph:
    return (
        GraphBuilder()
        .node("data", "dataSource", label="Daily bars", position=_at("data", 1), timeframe="1d")
        .node(
            "rsi",
            "technicalIndicator",
            label="RSI 14",
            position=_at("indicator", 1),
            indicator="RSI",
            period=14,
            ranges={"period": _whole(7, 28)},
        )
        .node(
            "oversold",
            "condition",
            label="RSI below 30",
            position=_at("condition", 0),
            operator="<",
            threshold=30.0,
            ranges={"threshold": ParameterRange(low=20.0, high=40.0, step=1.0)},
        )
        .node(
            "overbought",
            "condition",
            label="RSI above 70",
            position=_at("condition", 2),
            operator=">",
            threshold=70.0,
            ranges={"threshold": ParameterRange(low=60.0, high=80.0, step=1.0)},
        )
        .node("buy", "action", label="Buy the dip", position=_at("action", 0), action="buy")
        .node("exit", "action", label="Take the rebound", position=_at("action", 2), action="close")
        .node(
            "risk",
            "risk",
            label="Stop 5 %, target 10 %",
            position=_at("logic", 3),
            stop_loss_percent=5.0,
            take_profit_percent=10.0,
            ranges={"stop_loss_percent": ParameterRange(low=2.0, high=10.0, step=0.5)},
        )
        .connect("data.bars", "rsi.bars")
        .connect("rsi.value", "oversold.left")
        .connect("rsi.value", "overbought.left")
        .connect("oversold.result", "buy.signal")
        .connect("overbought.result", "exit.signal")
        .connect("risk.risk", "buy.risk")
        .build()
    )


def macd_adx_trend() -> WorkflowGraph:
    return (
        GraphBuilder()
        .node("data", "dataSource", label="Daily bars", position=_at("data", 1), timeframe="1d")
        .node(
            "macd",
            "technicalIndicator",
            label="MACD 12/26/9",
            position=_at("indicator", 0),
            indicator="MACD",
            fast_period=12,
            slow_period=26,
            signal_period=9,
        )
        .node(
            "adx",
            "technicalIndicator",
            label="ADX 14",
            position=_at("indicator", 2),
            indicator="ADX",
            period=14,
        )
        .node(
            "macd_up",
            "condition",
            label="MACD crosses above signal",
            position=_at("condition", 0),
            operator="crosses_above",
        )
        .node(
            "trending",
            "condition",
            label="ADX above 25",
            position=_at("condition", 2),
            operator=">",
            threshold=25.0,
            ranges={"threshold": ParameterRange(low=15.0, high=35.0, step=1.0)},
        )
        .node(
            "macd_down",
            "condition",
            label="MACD crosses below signal",
            position=_at("condition", 3),
            operator="crosses_below",
        )
        .node("entry", "logic", label="Momentum in a trend", position=_at("logic", 1), operator="and")
        .node("buy", "action", label="Buy", position=_at("action", 1), action="buy")
        .node("exit", "action", label="Exit", position=_at("action", 3), action="close")
        .node("risk", "risk", label="Trailing stop 8 %", position=_at("logic", 4), trailing_stop_percent=8.0)
        .connect("data.bars", "macd.bars")
        .connect("data.bars", "adx.bars")
        .connect("macd.macd", "macd_up.left")
        .connect("macd.signal", "macd_up.right")
        .connect("adx.adx", "trending.left")
        .connect("macd.macd", "macd_down.left")
        .connect("macd.signal", "macd_down.right")
        .connect("macd_up.result", "entry.inputs")
        .connect("trending.result", "entry.inputs")
        .connect("entry.result", "buy.signal")
        .connect("macd_down.result", "exit.signal")
        .connect("risk.risk", "buy.risk")
        .build()
    )


def bollinger_breakout() -> WorkflowGraph:
    return (
        GraphBuilder()
        .node("data", "dataSource", label="Daily bars", position=_at("data", 1), timeframe="1d")
        .node(
            "bands",
            "technicalIndicator",
            label="Bollinger 20, 2σ",
            position=_at("indicator", 1),
            indicator="BBANDS",
            period=20,
            deviations=2.0,
            ranges={"deviations": ParameterRange(low=1.5, high=3.0, step=0.25)},
        )
        .node(
            "breakout",
            "condition",
            label="Close crosses above the upper band",
            position=_at("condition", 0),
            operator="crosses_above",
        )
        .node(
            "fade",
            "condition",
            label="Close crosses below the middle band",
            position=_at("condition", 2),
            operator="crosses_below",
        )
        .node("buy", "action", label="Buy the breakout", position=_at("action", 0), action="buy")
        .node("exit", "action", label="Exit", position=_at("action", 2), action="close")
        .node("risk", "risk", label="Stop 3 %", position=_at("logic", 3), stop_loss_percent=3.0)
        .connect("data.bars", "bands.bars")
        .connect("data.close", "breakout.left")
        .connect("bands.upper", "breakout.right")
        .connect("data.close", "fade.left")
        .connect("bands.middle", "fade.right")
        .connect("breakout.result", "buy.signal")
        .connect("fade.result", "exit.signal")
        .connect("risk.risk", "buy.risk")
        .build()
    )


_TEMPLATES: tuple[tuple[str, str, str, int, tuple[str, ...], Callable[[], WorkflowGraph]], ...] = (
    (
        "sma_crossover",
        "SMA crossover",
        "The classic trend follower: buy when the 10-bar SMA crosses above the 20-bar SMA, sell when it "
        "crosses back below.",
        Difficulty.DIFFICULTY_BEGINNER,
        ("trend", "moving-average"),
        sma_crossover,
    ),
    (
        "rsi_mean_reversion",
        "RSI mean reversion",
        "Buy when RSI(14) is oversold (below 30), close when it is overbought (above 70); a 5 % stop-loss "
        "and a 10 % take-profit bound every trade.",
        Difficulty.DIFFICULTY_INTERMEDIATE,
        ("mean-reversion", "oscillator", "risk"),
        rsi_mean_reversion,
    ),
    (
        "macd_adx_trend",
        "MACD + ADX trend follower",
        "Buy when MACD crosses above its signal line while ADX(14) shows a trend (above 25); exit when MACD "
        "crosses back below, with an 8 % trailing stop.",
        Difficulty.DIFFICULTY_ADVANCED,
        ("trend", "momentum", "risk"),
        macd_adx_trend,
    ),
    (
        "bollinger_breakout",
        "Bollinger breakout",
        "Buy when the close breaks above the upper Bollinger band (20, 2σ); exit when it falls back below "
        "the middle band, with a 3 % stop-loss.",
        Difficulty.DIFFICULTY_INTERMEDIATE,
        ("breakout", "volatility", "risk"),
        bollinger_breakout,
    ),
)


def list_templates() -> list[Template]:
    """Every template, freshly built."""
    return [
        Template(
            id=template_id,
            display_name=display_name,
            description=description,
            difficulty=difficulty,
            tags=list(tags),
            graph=build(),
        )
        for template_id, display_name, description, difficulty, tags, build in _TEMPLATES
    ]


def get_template(template_id: str) -> Template:
    for template in list_templates():
        if template.id == template_id:
            return template
    raise NotFound("template", template_id)


def example_workflow(template: Template) -> Workflow:
    """The template as the Workflow a user starts from."""
    return Workflow(
        display_name=template.display_name, description=template.description, graph=template.graph
    )


def example_json(template: Template) -> str:
    """The protobuf JSON mapping of the template's Workflow, keys sorted, one file's text."""
    return json_format.MessageToJson(example_workflow(template), indent=2, sort_keys=True) + "\n"


def write_examples(directory: Path) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for template in list_templates():
        path = directory / f"{template.id}.json"
        path.write_text(example_json(template), encoding="utf-8")
        written.append(path)
    return written
