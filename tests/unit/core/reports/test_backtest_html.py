"""The HTML report: self-contained, complete, and safe with hostile names."""

import re
from html.parser import HTMLParser

import numpy as np
import pytest
from backtesting.test import GOOG

from services.core.backtest.engine import run_backtest
from services.core.backtest.inputs import Bars, Intents
from services.core.reports.backtest_html import MAX_POINTS, ReportInfo, monthly_returns, render_report


@pytest.fixture(scope="module")
def crossover():
    bars = Bars.from_frame(GOOG)
    close = GOOG["Close"]
    fast, slow = close.rolling(10).mean().to_numpy(), close.rolling(20).mean().to_numpy()
    above = fast > slow
    crossed_up = above & ~np.roll(above, 1)
    crossed_down = ~above & np.roll(above, 1)
    crossed_up[:20] = crossed_down[:20] = False
    intents = Intents(
        enter_long=crossed_up, exit_long=crossed_down, enter_short=crossed_down, exit_short=crossed_up
    )
    return bars, run_backtest(bars, intents)


class _Collector(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags: list[str] = []
        self.sources: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.sources += [value for name, value in attrs if name in {"src", "href"} and value]


def test_the_report_has_every_section_and_needs_no_network(crossover):
    bars, result = crossover
    document = render_report(result, bars, ReportInfo(title="SMA cross", symbol="GOOG"))
    parser = _Collector()
    parser.feed(document)
    assert "script" not in parser.tags
    assert parser.sources == []
    assert parser.tags.count("svg") == 3
    for heading in ["Metrics", "Equity", "Drawdown", "Price, entries and exits", "Monthly returns", "Trades"]:
        assert f"<h2>{heading}</h2>" in document
    assert f"{len(result.trades)}" in document
    # every trade has an entry and an exit marker on the price chart
    assert document.count("<title>entry") == len(result.trades)
    assert document.count("<title>exit") == len(result.trades)


def test_user_text_is_escaped(crossover):
    bars, result = crossover
    hostile = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    document = render_report(result, bars, ReportInfo(title=hostile, symbol=hostile, subtitle=hostile))
    assert "<script" not in document
    assert "<img" not in document
    assert "&lt;script&gt;" in document


def test_monthly_returns_compound_to_the_total(crossover):
    _, result = crossover
    table = monthly_returns(result)
    compounded = np.nanprod(table.to_numpy() + 1) - 1
    assert compounded == pytest.approx(result.equity[-1] / result.equity[0] - 1, rel=1e-9)


def test_long_series_are_reduced_but_keep_their_extremes():
    count = 200_000
    rng = np.random.default_rng(3)
    close = 100 * np.exp(np.cumsum(rng.normal(0, 0.002, count)))
    bars = Bars.from_arrays(open=close, high=close, low=close, close=close,
                            timestamps=np.arange(count, dtype=np.int64) * 60 * 10**9)  # fmt: skip
    result = run_backtest(bars, Intents())
    document = render_report(result, bars, ReportInfo(title="flat"))
    polylines = re.findall(r'<polyline[^>]*points="([^"]*)"', document)
    assert polylines
    assert all(len(points.split()) <= MAX_POINTS for points in polylines)
