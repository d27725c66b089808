"""A backtest report a person wants to look at: one self-contained HTML file.

Inline SVG charts and CSS only — no script, no font or library from the network — so
the file opens anywhere, offline, and can be mailed or archived as it is. Sections:
the metrics table, the equity curve against buy & hold, the drawdown, the price with
every entry and exit, monthly returns, and the trade list. Every text that came from a
user (strategy name, symbol) is HTML-escaped.

Long series are reduced to at most `MAX_POINTS` per chart by keeping each bucket's
first, minimum, maximum and last value, so the shape (and every extreme) survives.
"""

from __future__ import annotations

import dataclasses
import html
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from services.core.backtest.engine import BacktestResult
from services.core.backtest.inputs import Bars
from services.core.backtest.trades import ExitReason, Side

MAX_POINTS = 1600
WIDTH, HEIGHT, PAD = 960, 260, 48

# metric name -> (label, how to show it)
PERCENT = "percent"
NUMBER = "number"
DURATION = "duration"
COUNT = "count"
MONEY = "money"
METRIC_FORMATS: dict[str, tuple[str, str]] = {
    "total_return": ("Total return", PERCENT),
    "buy_and_hold_return": ("Buy & hold return", PERCENT),
    "annualized_return": ("Annualised return", PERCENT),
    "cagr": ("CAGR", PERCENT),
    "annualized_volatility": ("Annualised volatility", PERCENT),
    "sharpe_ratio": ("Sharpe ratio", NUMBER),
    "sortino_ratio": ("Sortino ratio", NUMBER),
    "calmar_ratio": ("Calmar ratio", NUMBER),
    "max_drawdown": ("Max drawdown", PERCENT),
    "average_drawdown": ("Average drawdown", PERCENT),
    "max_drawdown_duration_seconds": ("Max drawdown duration", DURATION),
    "average_drawdown_duration_seconds": ("Average drawdown duration", DURATION),
    "exposure_time": ("Exposure time", PERCENT),
    "trade_count": ("Trades", COUNT),
    "win_rate": ("Win rate", PERCENT),
    "best_trade": ("Best trade", PERCENT),
    "worst_trade": ("Worst trade", PERCENT),
    "average_trade": ("Average trade", PERCENT),
    "max_trade_duration_seconds": ("Max trade duration", DURATION),
    "average_trade_duration_seconds": ("Average trade duration", DURATION),
    "profit_factor": ("Profit factor", NUMBER),
    "expectancy": ("Expectancy", PERCENT),
    "sqn": ("SQN", NUMBER),
    "kelly_criterion": ("Kelly criterion", NUMBER),
    "longest_winning_streak": ("Longest winning streak", COUNT),
    "longest_losing_streak": ("Longest losing streak", COUNT),
    "alpha": ("Alpha", PERCENT),
    "beta": ("Beta", NUMBER),
    "correlation": ("Correlation to buy & hold", NUMBER),
    "final_equity": ("Final equity", MONEY),
    "peak_equity": ("Peak equity", MONEY),
    "commissions": ("Commissions paid", MONEY),
}

STYLE = """
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:24px auto;max-width:1000px;
color:#1d2433}h1{font-size:22px;margin:0 0 4px}
h2{font-size:16px;margin:28px 0 8px;border-bottom:1px solid #e3e7ef;padding-bottom:4px}
.sub{color:#5b6478;margin-bottom:16px}table{border-collapse:collapse;width:100%}
td,th{padding:4px 8px;border-bottom:1px solid #eef1f6;text-align:right;font-variant-numeric:tabular-nums}
td:first-child,th:first-child{text-align:left}.metrics{columns:2;column-gap:32px}
.metrics div{display:flex;justify-content:space-between;border-bottom:1px solid #eef1f6;padding:3px 0;
break-inside:avoid}
.metrics span:last-child{font-variant-numeric:tabular-nums;font-weight:600}
svg{width:100%;height:auto;background:#fbfcfe;border:1px solid #e3e7ef;border-radius:6px}
.axis{font-size:11px;fill:#5b6478}.pos{color:#137333}.neg{color:#b3261e}
.heat td{text-align:center;font-size:12px}
"""


@dataclass(frozen=True, slots=True)
class ReportInfo:
    """What the report is about, shown in its heading (user text: escaped when rendered)."""

    title: str
    symbol: str = ""
    subtitle: str = ""


def format_metric(value: float, kind: str) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    if kind == PERCENT:
        return f"{value * 100:,.2f} %"
    if kind == COUNT:
        return f"{int(value):,}"
    if kind == MONEY:
        return f"{value:,.2f}"
    if kind == DURATION:
        days = value / 86_400
        return f"{days:,.1f} days" if days >= 1 else f"{value / 3600:,.1f} hours"
    return f"{value:,.3f}"


def _reduce(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """At most MAX_POINTS points keeping each bucket's first, min, max and last."""
    if len(y) <= MAX_POINTS:
        return x, y
    buckets = np.array_split(np.arange(len(y)), MAX_POINTS // 4)
    keep: list[int] = []
    for bucket in buckets:
        values = y[bucket]
        finite = np.isfinite(values)
        picks = {int(bucket[0]), int(bucket[-1])}
        if finite.any():
            picks |= {int(bucket[np.nanargmin(values)]), int(bucket[np.nanargmax(values)])}
        keep += sorted(picks)
    index = np.array(keep)
    return x[index], y[index]


class _Frame:
    """Maps data coordinates onto one chart's pixels."""

    def __init__(self, x: np.ndarray, ys: Sequence[np.ndarray], height: int = HEIGHT) -> None:
        finite = np.concatenate([y[np.isfinite(y)] for y in ys]) if ys else np.array([0.0])
        self.low, self.high = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
        if self.high == self.low:
            self.high, self.low = self.high + 1, self.low - 1
        self.first, self.last = float(x[0]), float(x[-1]) if x[-1] != x[0] else float(x[0]) + 1
        self.height = height

    def px(self, x: np.ndarray) -> np.ndarray:
        return PAD + (x - self.first) / (self.last - self.first) * (WIDTH - 2 * PAD)

    def py(self, y: np.ndarray) -> np.ndarray:
        return self.height - PAD / 2 - (y - self.low) / (self.high - self.low) * (self.height - PAD)

    def axes(self, label: str, value_format: str) -> str:
        ticks = np.linspace(self.low, self.high, 5)
        lines = []
        for tick in ticks:
            y = float(self.py(np.array([tick]))[0])
            text = format_metric(tick, value_format)
            lines.append(f'<line x1="{PAD}" x2="{WIDTH - PAD}" y1="{y:.1f}" y2="{y:.1f}" stroke="#eef1f6"/>'
                         f'<text class="axis" x="4" y="{y + 4:.1f}">{html.escape(text)}</text>')  # fmt: skip
        start, end = (
            pd.Timestamp(int(value), unit="ns").strftime("%Y-%m-%d") for value in (self.first, self.last)
        )
        lines.append(f'<text class="axis" x="{PAD}" y="{self.height - 4}">{start}</text>')
        lines.append(
            f'<text class="axis" x="{WIDTH - PAD}" y="{self.height - 4}" text-anchor="end">{end}</text>'
        )
        lines.append(
            f'<text class="axis" x="{WIDTH - PAD}" y="14" text-anchor="end">{html.escape(label)}</text>'
        )
        return "".join(lines)


def _polyline(frame: _Frame, x: np.ndarray, y: np.ndarray, color: str, width: float = 1.5) -> str:
    x, y = _reduce(x, y)
    finite = np.isfinite(y)
    points = " ".join(
        f"{a:.1f},{b:.1f}" for a, b in zip(frame.px(x[finite]), frame.py(y[finite]), strict=True)
    )
    return f'<polyline fill="none" stroke="{color}" stroke-width="{width}" points="{points}"/>'


def _svg(body: str, height: int = HEIGHT) -> str:
    return f'<svg viewBox="0 0 {WIDTH} {height}" xmlns="http://www.w3.org/2000/svg" role="img">{body}</svg>'


def equity_chart(result: BacktestResult, bars: Bars) -> str:
    x = result.timestamps.astype(np.float64)
    benchmark = bars.close / bars.close[0] * result.equity[0]
    frame = _Frame(x, [result.equity, benchmark])
    lines = _polyline(frame, x, benchmark, "#9aa3b5", 1) + _polyline(frame, x, result.equity, "#1a5fd0", 1.8)
    return _svg(frame.axes("equity (blue) · buy & hold (grey)", MONEY) + lines)


def drawdown_chart(result: BacktestResult) -> str:
    x = result.timestamps.astype(np.float64)
    depth = -result.drawdown
    frame = _Frame(x, [depth, np.zeros(1)], height=180)
    rx, ry = _reduce(x, depth)
    points = " ".join(f"{a:.1f},{b:.1f}" for a, b in zip(frame.px(rx), frame.py(ry), strict=True))
    base = frame.py(np.array([0.0]))[0]
    left, right = frame.px(rx[:1])[0], frame.px(rx[-1:])[0]
    area = (f'<polygon fill="#f6d5d3" stroke="#b3261e" stroke-width="1" '
            f'points="{left:.1f},{base:.1f} {points} {right:.1f},{base:.1f}"/>')  # fmt: skip
    return _svg(frame.axes("drawdown", PERCENT) + area, height=180)


def price_chart(result: BacktestResult, bars: Bars) -> str:
    x = bars.timestamps.astype(np.float64)
    frame = _Frame(x, [bars.close])
    marks = []
    trades = result.trades
    for index in range(len(trades)):
        long = trades.side[index] == Side.LONG
        for bar, price, is_entry in ((trades.entry_bar[index], trades.entry_price[index], True),
                                     (trades.exit_bar[index], trades.exit_price[index], False)):  # fmt: skip
            px = frame.px(np.array([x[bar]]))[0]
            py = frame.py(np.array([price]))[0]
            color = ("#137333" if long else "#b3261e") if is_entry else "#5b6478"
            shape = (f'<path d="M{px:.1f},{py - 6:.1f} l5,9 h-10 z"' if (is_entry == long)
                     else f'<path d="M{px:.1f},{py + 6:.1f} l5,-9 h-10 z"')  # fmt: skip
            marks.append(
                f'{shape} fill="{color}"><title>{"entry" if is_entry else "exit"} {price:,.4g}</title></path>'
            )
    return _svg(frame.axes("close · ▲ long entry · ▼ short entry / exit", NUMBER)
                + _polyline(frame, x, bars.close, "#1d2433", 1.2) + "".join(marks))  # fmt: skip


def monthly_returns(result: BacktestResult) -> pd.DataFrame:
    """Return of each calendar month (rows: years, columns: 1..12), from month-end equity."""
    equity = pd.Series(result.equity, index=pd.to_datetime(result.timestamps, unit="ns"))
    month_end = equity.resample("ME").last().dropna()
    previous = month_end.shift(1)
    previous.iloc[0] = equity.iloc[0]
    returns = month_end / previous - 1
    table = pd.DataFrame(
        {"year": returns.index.year, "month": returns.index.month, "value": returns.to_numpy()}
    )
    return table.pivot(index="year", columns="month", values="value").reindex(columns=range(1, 13))


def _heat(value: float) -> str:
    if math.isnan(value):
        return "<td></td>"
    strength = min(abs(value) / 0.1, 1.0)
    color = (
        f"rgba(19,115,51,{0.12 + 0.6 * strength:.2f})"
        if value >= 0
        else f"rgba(179,38,30,{0.12 + 0.6 * strength:.2f})"
    )
    return f'<td style="background:{color}">{value * 100:.1f}</td>'


def _monthly_table(result: BacktestResult) -> str:
    table = monthly_returns(result)
    months = "".join(f"<th>{pd.Timestamp(2000, month, 1):%b}</th>" for month in range(1, 13))
    rows = "".join(f"<tr><td>{year}</td>{''.join(_heat(value) for value in row)}</tr>"
                   for year, row in zip(table.index, table.to_numpy(), strict=True))  # fmt: skip
    return f'<table class="heat"><tr><th>%</th>{months}</tr>{rows}</table>'


def _metrics_block(result: BacktestResult) -> str:
    values = dataclasses.asdict(result.metrics)
    items = "".join(
        f"<div><span>{label}</span><span>{format_metric(values[name], kind)}</span></div>"
        for name, (label, kind) in METRIC_FORMATS.items()
        if name in values
    )
    return f'<div class="metrics">{items}</div>'


def _trades_table(result: BacktestResult, limit: int = 500) -> str:
    trades = result.trades
    rows = []
    for index in range(min(len(trades), limit)):
        pnl = trades.pnl[index]
        rows.append(
            "<tr>"
            f"<td>{pd.Timestamp(int(trades.entry_time[index]), unit='ns'):%Y-%m-%d %H:%M}</td>"
            f"<td>{pd.Timestamp(int(trades.exit_time[index]), unit='ns'):%Y-%m-%d %H:%M}</td>"
            f"<td>{Side(trades.side[index]).name.lower()}</td><td>{trades.size[index]:,.4g}</td>"
            f"<td>{trades.entry_price[index]:,.4f}</td><td>{trades.exit_price[index]:,.4f}</td>"
            f'<td class="{"pos" if pnl >= 0 else "neg"}">{pnl:,.2f}</td>'
            f"<td>{trades.returns[index] * 100:,.2f}</td>"
            f"<td>{ExitReason(trades.exit_reason[index]).name.lower().replace('_', ' ')}</td>"
            "</tr>"
        )
    more = f"<p>… and {len(trades) - limit:,} more trades.</p>" if len(trades) > limit else ""
    header = "<tr><th>entry</th><th>exit</th><th>side</th><th>size</th><th>entry price</th>" \
             "<th>exit price</th><th>P&amp;L</th><th>return %</th><th>exit reason</th></tr>"  # fmt: skip
    return f"<table>{header}{''.join(rows)}</table>{more}"


def render_report(result: BacktestResult, bars: Bars, info: ReportInfo) -> str:
    """The whole report as one HTML document."""
    start, end = (pd.Timestamp(int(bars.timestamps[i]), unit="ns").strftime("%Y-%m-%d") for i in (0, -1))
    heading = html.escape(info.title)
    detail = " · ".join(html.escape(part) for part in (info.symbol, f"{start} → {end}", f"{len(bars):,} bars",
                                                        info.subtitle) if part)  # fmt: skip
    sections = [
        f"<h1>{heading}</h1><div class='sub'>{detail}</div>",
        "<h2>Metrics</h2>", _metrics_block(result),
        "<h2>Equity</h2>", equity_chart(result, bars),
        "<h2>Drawdown</h2>", drawdown_chart(result),
        "<h2>Price, entries and exits</h2>", price_chart(result, bars),
        "<h2>Monthly returns</h2>", _monthly_table(result),
        "<h2>Trades</h2>", _trades_table(result),
    ]  # fmt: skip
    return (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        f"<meta name='viewport' content='width=device-width,initial-scale=1'><title>{heading}</title>"
        f"<style>{STYLE}</style></head><body>{''.join(sections)}</body></html>"
    )
