"""Scalar steps shared, as one source text, by the streaming classes and the compiled kernels.

The streaming classes call these functions as plain Python; `_kernels.py` compiles the very
same functions with numba. One text for both is what keeps a streaming indicator equal to its
vectorised twin bit for bit. Each function is a leaf (it calls no other helper) because a
compiled kernel cannot call an uncompiled Python function.
"""

from __future__ import annotations

# TA-Lib's TA_EPSILON: the band inside which TA_IS_ZERO treats a value as zero. TA-Lib uses it
# as a fixed band only for dimensionless quantities (ratios); a difference of prices is compared
# with TALIB_EPSILON times the prices' own magnitude (TA_IS_ZERO_SCALED), so an instrument
# quoted at 1e-6 is treated like one quoted at 100.
TALIB_EPSILON = 1e-14

# KAMA's slowest and fastest smoothing constants (30- and 2-bar EMAs), as TA-Lib fixes them.
KAMA_SLOWEST = 2.0 / (30.0 + 1.0)
KAMA_SPREAD = 2.0 / (2.0 + 1.0) - KAMA_SLOWEST


def neumaier_add(total: float, compensation: float, value: float) -> tuple[float, float]:
    """One step of Neumaier's compensated summation; the sum is `total + compensation`."""
    updated = total + value
    if abs(total) >= abs(value):
        compensation += (total - updated) + value
    else:
        compensation += (value - updated) + total
    return updated, compensation


def true_range(high: float, low: float, previous_close: float) -> float:
    """Wilder's true range, compared in TA-Lib's order."""
    greatest = high - low
    greatest = max(greatest, abs(high - previous_close))
    return max(greatest, abs(low - previous_close))


def directional_movement(
    high: float, low: float, previous_high: float, previous_low: float
) -> tuple[float, float]:
    """(+DM, −DM) of one bar: only the larger move counts, and only if it is positive."""
    up_move = high - previous_high
    down_move = previous_low - low
    if down_move > 0 and up_move < down_move:
        return 0.0, down_move
    if up_move > 0 and up_move > down_move:
        return up_move, 0.0
    return 0.0, 0.0


def range_ratio(numerator: float, highest: float, lowest: float, scale: float) -> float:
    """numerator / ((highest − lowest) / scale), or 0 when the range is flat.

    Flat means the range is within TALIB_EPSILON of the extremes' magnitude, so a window that
    is flat except for rounding residue reads 0 instead of amplified noise (TA-Lib STOCHF,
    WILLR). Stochastics pass (x − lowest, 100), Williams %R (highest − x, −100).
    """
    spread = highest - lowest
    if abs(spread) <= TALIB_EPSILON * (abs(highest) + abs(lowest)):
        return 0.0
    return numerator / (spread / scale)


def directional_index(
    plus_dm: float, minus_dm: float, range_total: float
) -> tuple[bool, float, float, float]:
    """(DX defined?, DX, +DI, −DI) from the smoothed movements.

    TA-Lib reports +DI = −DI = 0 when the smoothed true range is zero (a sum of non-negative
    ranges, so tested exactly), and skips the DX (the ADX holds its value) when the DI sum, a
    dimensionless ratio, is within the fixed TALIB_EPSILON band.
    """
    if not range_total > 0.0:
        return False, 0.0, 0.0, 0.0
    minus = 100.0 * (minus_dm / range_total)
    plus = 100.0 * (plus_dm / range_total)
    total = minus + plus
    if -TALIB_EPSILON < total < TALIB_EPSILON:
        return False, 0.0, plus, minus
    return True, 100.0 * (abs(minus - plus) / total), plus, minus


def rsi_value(gain: float, loss: float) -> float:
    """RSI from Wilder-smoothed gain and loss; TA-Lib reports 0 when both are zero."""
    total = gain + loss
    if not total > 0.0:
        return 0.0
    return 100.0 * (gain / total)


def money_flow(typical: float, previous_typical: float, volume: float) -> tuple[float, float]:
    """(positive, negative) money flow of a bar; none when the typical price did not move.

    "Did not move" is TA-Lib MFI's dead-zone: a change within TALIB_EPSILON of the two prices'
    magnitude.
    """
    change = typical - previous_typical
    if abs(change) <= TALIB_EPSILON * (abs(typical) + abs(previous_typical)):
        return 0.0, 0.0
    flow = typical * volume
    return (0.0, flow) if change < 0.0 else (flow, 0.0)


def money_flow_index(positive: float, negative: float) -> float:
    """100·positive/(positive + negative), the positive sum clamped into [0, total]; 0 if no flow."""
    total = positive + negative
    if total <= 0.0:
        return 0.0
    clamped = 0.0 if positive < 0.0 else min(positive, total)
    return 100.0 * (clamped / total)


def commodity_channel(distance: float, mean_deviation: float, average: float) -> float:
    """CCI from the distance to the average and the mean deviation; 0 on a flat window.

    Both tests are scaled to the window's price level (TA-Lib CCI).
    """
    band = TALIB_EPSILON * abs(average)
    if abs(distance) <= band or abs(mean_deviation) <= band:
        return 0.0
    return distance / (0.015 * mean_deviation)


def kama_step(value: float, previous_kama: float, change: float, volatility: float) -> float:
    """One KAMA step: efficiency ratio, squared smoothing constant, adaptive EMA update."""
    if volatility <= change or -TALIB_EPSILON < volatility < TALIB_EPSILON:
        efficiency = 1.0
    else:
        efficiency = abs(change / volatility)
    constant = efficiency * KAMA_SPREAD + KAMA_SLOWEST
    constant *= constant
    return (value - previous_kama) * constant + previous_kama


def sar_step(
    state: tuple[bool, float, float, float],
    bar: tuple[float, float, float, float],
    factors: tuple[float, float],
) -> tuple[float, tuple[bool, float, float, float]]:
    """One bar of Wilder's parabolic SAR, as TA-Lib's loop body.

    `state` is (is_long, SAR, extreme point, acceleration factor), `bar` is (high, low,
    previous high, previous low), `factors` is (acceleration step, maximum). Returns the SAR
    to report for this bar and the state for the next one.
    """
    is_long, sar, extreme, factor = state
    high, low, previous_high, previous_low = bar
    acceleration, maximum = factors
    if is_long:
        if low <= sar:
            reported = max(extreme, previous_high, high)
            sar = max(reported + acceleration * (low - reported), previous_high, high)
            return reported, (False, sar, low, acceleration)
        if high > extreme:
            extreme = high
            factor = min(factor + acceleration, maximum)
        return sar, (True, min(sar + factor * (extreme - sar), previous_low, low), extreme, factor)
    if high >= sar:
        reported = min(extreme, previous_low, low)
        sar = min(reported + acceleration * (high - reported), previous_low, low)
        return reported, (True, sar, high, acceleration)
    if low < extreme:
        extreme = low
        factor = min(factor + acceleration, maximum)
    return sar, (False, max(sar + factor * (extreme - sar), previous_high, high), extreme, factor)


def supertrend_step(
    state: tuple[bool, float, float], bands: tuple[float, float], closes: tuple[float, float]
) -> tuple[bool, float, float]:
    """One SuperTrend ratchet: bands tighten toward price, a close beyond the far band flips.

    `state` is (is_up, final upper, final lower), `bands` this bar's (basic upper, basic
    lower), `closes` (previous close, close). Returns the new state.
    """
    is_up, final_upper, final_lower = state
    basic_upper, basic_lower = bands
    previous_close, close = closes
    if basic_upper < final_upper or previous_close > final_upper:
        final_upper = basic_upper
    if basic_lower > final_lower or previous_close < final_lower:
        final_lower = basic_lower
    if is_up:
        if close < final_lower:
            is_up = False
    elif close > final_upper:
        is_up = True
    return is_up, final_upper, final_lower
