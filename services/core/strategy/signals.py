"""The arithmetic of a strategy's conditions and rules on whole series, in plain numpy.

This module is the single text both the evaluator runs and the generated Python code contains
(codegen copies the functions below verbatim), which is why a generated script's backtest equals
the spec's to the last bit. It therefore depends on numpy alone.

A condition is a pair of boolean arrays (value, defined): `defined` is False while an operand it
reads has no value yet, and `value` is then False too, so that NOT of an undefined condition
stays False (the spec's rule: a condition is false during warm-up).
"""

from __future__ import annotations

import numpy as np

BUY, SELL, CLOSE, REVERSE = "buy", "sell", "close", "reverse"
# (value, defined): a condition on every bar
Signal = tuple[np.ndarray, np.ndarray]


def lagged(values: np.ndarray, bars: int) -> np.ndarray:
    """`values` read `bars` bars back: element t holds values[t - bars], NaN before the start."""
    result = np.full(values.shape[0], np.nan)
    if bars < values.shape[0]:
        result[bars:] = values[: values.shape[0] - bars]
    return result


def median_price(high: np.ndarray, low: np.ndarray) -> np.ndarray:
    return (high + low) / 2.0


def typical_price(high: np.ndarray, low: np.ndarray, close: np.ndarray) -> np.ndarray:
    return (high + low + close) / 3.0


def compare(operator: str, left: np.ndarray, right: np.ndarray) -> Signal:
    """left <operator> right on every bar; the crosses also read the previous bar."""
    defined = ~np.isnan(left) & ~np.isnan(right)
    if operator == ">":
        value = left > right
    elif operator == "<":
        value = left < right
    elif operator == ">=":
        value = left >= right
    elif operator == "<=":
        value = left <= right
    else:
        before_left, before_right = lagged(left, 1), lagged(right, 1)
        defined = defined & ~np.isnan(before_left) & ~np.isnan(before_right)
        if operator == "crosses_above":
            value = (left > right) & (before_left <= before_right)
        else:
            value = (left < right) & (before_left >= before_right)
    return value & defined, defined


def between(value: np.ndarray, lower: np.ndarray, upper: np.ndarray, exclusive: bool) -> Signal:
    """lower <= value <= upper (strictly inside when exclusive)."""
    defined = ~np.isnan(value) & ~np.isnan(lower) & ~np.isnan(upper)
    inside = (lower < value) & (value < upper) if exclusive else (lower <= value) & (value <= upper)
    return inside & defined, defined


def trend(values: np.ndarray, bars: int, rising: bool) -> Signal:
    """values[t] > values[t-1] > ... > values[t-bars] (each < for falling)."""
    defined = ~np.isnan(values)
    value = np.ones(values.shape[0], dtype=np.bool_)
    for step in range(bars):
        newer, older = lagged(values, step), lagged(values, step + 1)
        defined = defined & ~np.isnan(older)
        value = value & ((newer > older) if rising else (newer < older))
    return value & defined, defined


def combine(operator: str, operands: list[Signal]) -> Signal:
    """AND / OR of (value, defined) pairs, or NOT of one: defined only where every operand is."""
    defined = operands[0][1].copy()
    for _, operand_defined in operands[1:]:
        defined = defined & operand_defined
    if operator == "not":
        return ~operands[0][0] & defined, defined
    value = operands[0][0].copy()
    for operand_value, _ in operands[1:]:
        value = (value & operand_value) if operator == "and" else (value | operand_value)
    return value & defined, defined


def resolve_rules(actions: list[str], triggers: list[np.ndarray], bar_count: int) -> tuple[np.ndarray, ...]:
    """Per bar, the first triggered rule acts (rules come in priority order); the rest are overridden.

    Returns (acting rule index or -1 per bar, enter_long, exit_long, enter_short, exit_short).
    BUY enters long (reversing a short), SELL enters short (closing a long; a short only opens where
    shorting is allowed), CLOSE exits either side, REVERSE takes the side opposite to the latest
    entry decided by any rule, and does nothing before the first one.
    """
    acting = np.full(bar_count, -1, dtype=np.int64)
    for index, trigger in enumerate(triggers):
        acting[(acting < 0) & trigger] = index
    names = ("enter_long", "exit_long", "enter_short", "exit_short")
    flags = {name: np.zeros(bar_count, dtype=np.bool_) for name in names}
    for index, action in enumerate(actions):
        if action == BUY:
            flags["enter_long"] |= acting == index
        elif action == SELL:
            flags["enter_short"] |= acting == index
        elif action == CLOSE:
            flags["exit_long"] |= acting == index
            flags["exit_short"] |= acting == index
    if REVERSE in actions:
        _resolve_reversals(actions, acting, flags)
    return acting, flags["enter_long"], flags["exit_long"], flags["enter_short"], flags["exit_short"]


def _resolve_reversals(actions: list[str], acting: np.ndarray, flags: dict[str, np.ndarray]) -> None:
    """Walk the bars where an entry rule acts, remembering the side of the latest entry."""
    side = 0
    entry_rules = [index for index, action in enumerate(actions) if action != CLOSE]
    for bar in np.flatnonzero(np.isin(acting, entry_rules)):
        action = actions[acting[bar]]
        if action == BUY:
            side = 1
        elif action == SELL:
            side = -1
        elif side != 0:
            side = -side
            flags["enter_long" if side > 0 else "enter_short"][bar] = True
