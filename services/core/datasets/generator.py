"""Synthetic OHLCV bars from a seed: regimes of drift and volatility, volatility clustering, volume.

Log returns follow a GARCH(1,1) whose long-run volatility is the current regime's, with
Student-t shocks (fat tails); volatility is therefore persistent (calm and turbulent stretches,
so squared returns are autocorrelated, as in real markets) and moves smoothly to a new level
when the regime changes. Each bar opens near the previous close, its high and low reach past
the body by a random fraction of the bar's volatility, and its volume grows with that
volatility and with the size of the bar's move. Prices are rounded to a tick (five decimal
digits below the first price's leading digit) and volumes to whole units: the same spec gives
the same bytes on every machine, even where the last bit of `exp` differs.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from numba import njit

from services.core.datasets.columnar import CanonicalBars, SymbolRange
from services.core.errors import FieldViolation, InvalidArgument

MAX_BARS = 5_000_000
MAX_REGIMES = 1_000
MAX_VOLATILITY = 0.5
MAX_ABS_DRIFT = 0.1
DEFAULT_START_NS = 1_577_836_800 * 10**9  # 2020-01-01T00:00:00Z
DEFAULT_PRICE = 100.0
DEFAULT_VOLATILITY = 0.01
# GARCH(1,1): the weight of the last shock and of the last variance (persistence 0.98)
ARCH_WEIGHT = 0.08
GARCH_WEIGHT = 0.90
STUDENT_DEGREES = 5.0
BASE_VOLUME = 1_000_000.0


@dataclass(frozen=True, slots=True)
class Regime:
    bars: int
    # mean and standard deviation of the log return per bar
    drift: float
    volatility: float


@dataclass(frozen=True, slots=True)
class SyntheticSpec:
    seed: int
    bar_count: int
    interval_ns: int
    symbol: str
    start_ns: int = DEFAULT_START_NS
    initial_price: float = DEFAULT_PRICE
    regimes: tuple[Regime, ...] = field(default=(Regime(1, 0.0, DEFAULT_VOLATILITY),))


def check_spec(spec: SyntheticSpec, prefix: str = "spec") -> None:
    """InvalidArgument naming every field of `spec` out of range."""
    violations = []
    if not 1 <= spec.bar_count <= MAX_BARS:
        violations.append(FieldViolation(f"{prefix}.bar_count", f"must be between 1 and {MAX_BARS:,}"))
    if spec.interval_ns <= 0:
        violations.append(FieldViolation(f"{prefix}.timeframe", "must name a bar length"))
    if not spec.symbol.strip() or len(spec.symbol) > 64:
        violations.append(FieldViolation(f"{prefix}.symbol", "must be 1 to 64 characters"))
    if not (math.isfinite(spec.initial_price) and 0 < spec.initial_price <= 1e9):
        violations.append(FieldViolation(f"{prefix}.initial_price", "must be a positive price up to 1e9"))
    if not 1 <= len(spec.regimes) <= MAX_REGIMES:
        violations.append(FieldViolation(f"{prefix}.regimes", f"between 1 and {MAX_REGIMES} regimes"))
    for index, regime in enumerate(spec.regimes[:MAX_REGIMES]):
        violations += _regime_violations(regime, f"{prefix}.regimes[{index}]")
    if violations:
        raise InvalidArgument("invalid synthetic dataset spec", violations)


def _regime_violations(regime: Regime, where: str) -> list[FieldViolation]:
    violations = []
    if regime.bars < 1:
        violations.append(FieldViolation(f"{where}.bars", "must be at least 1"))
    if not (math.isfinite(regime.drift) and abs(regime.drift) <= MAX_ABS_DRIFT):
        violations.append(FieldViolation(f"{where}.drift", f"must be within ±{MAX_ABS_DRIFT}"))
    if not (math.isfinite(regime.volatility) and 0 < regime.volatility <= MAX_VOLATILITY):
        violations.append(FieldViolation(f"{where}.volatility", f"must be in (0, {MAX_VOLATILITY}]"))
    return violations


@njit(cache=True)
def _garch(
    shocks: np.ndarray, long_run_volatility: np.ndarray, arch: float, garch: float
) -> tuple[np.ndarray, np.ndarray]:
    """Per-bar conditional volatility and the shock it scales (compiled: 5M bars in milliseconds)."""
    count = shocks.shape[0]
    volatility = np.empty(count)
    innovation = np.empty(count)
    variance = long_run_volatility[0] ** 2
    last = 0.0
    for index in range(count):
        target = long_run_volatility[index] ** 2
        variance = target * (1.0 - arch - garch) + arch * last * last + garch * variance
        volatility[index] = math.sqrt(variance)
        last = volatility[index] * shocks[index]
        innovation[index] = last
    return volatility, innovation


def _per_bar(spec: SyntheticSpec) -> tuple[np.ndarray, np.ndarray]:
    """Each bar's regime drift and volatility: the regimes in order, repeated until bar_count."""
    cycle = sum(regime.bars for regime in spec.regimes)
    drift = np.concatenate([np.full(regime.bars, regime.drift) for regime in spec.regimes])
    volatility = np.concatenate([np.full(regime.bars, regime.volatility) for regime in spec.regimes])
    repeats = -(-spec.bar_count // cycle)
    return np.tile(drift, repeats)[: spec.bar_count], np.tile(volatility, repeats)[: spec.bar_count]


def _tick(price: float) -> float:
    return 10.0 ** (math.floor(math.log10(price)) - 5)


def _round_to(values: np.ndarray, tick: float) -> np.ndarray:
    return np.maximum(np.round(values / tick), 1.0) * tick


def generate(spec: SyntheticSpec) -> CanonicalBars:
    """The bars of `spec` (checked first); identical for identical specs."""
    check_spec(spec)
    count = spec.bar_count
    random = np.random.Generator(np.random.PCG64(spec.seed & (2**64 - 1)))
    drift, long_run = _per_bar(spec)
    shocks = random.standard_t(STUDENT_DEGREES, count) / math.sqrt(STUDENT_DEGREES / (STUDENT_DEGREES - 2))
    volatility, innovation = _garch(shocks, long_run, ARCH_WEIGHT, GARCH_WEIGHT)
    opening_gap = random.standard_normal(count) * volatility * 0.1
    # closes follow the GARCH returns; every bar after the first opens near the previous close
    log_close = math.log(spec.initial_price) + np.cumsum(drift + innovation)
    log_open = np.empty(count)
    log_open[0] = math.log(spec.initial_price)
    log_open[1:] = log_close[:-1] + opening_gap[1:]
    upper_wick = np.abs(random.standard_normal(count)) * volatility * 0.5
    lower_wick = np.abs(random.standard_normal(count)) * volatility * 0.5
    activity = np.exp(0.3 * random.standard_normal(count))
    tick = _tick(spec.initial_price)
    open_price = _round_to(np.exp(log_open), tick)
    close_price = _round_to(np.exp(log_close), tick)
    high = np.maximum(_round_to(np.exp(np.maximum(log_open, log_close) + upper_wick), tick), open_price)
    high = np.maximum(high, close_price)
    low = np.minimum(_round_to(np.exp(np.minimum(log_open, log_close) - lower_wick), tick), open_price)
    low = np.minimum(low, close_price)
    surprise = np.abs(innovation) / volatility
    volume = np.round(BASE_VOLUME * activity * (volatility / long_run) * (0.5 + 0.5 * surprise))
    timestamps = spec.start_ns + np.arange(count, dtype=np.int64) * np.int64(spec.interval_ns)
    return CanonicalBars(
        timestamps=timestamps,
        open=open_price,
        high=high,
        low=low,
        close=close_price,
        volume=volume,
        ranges=(SymbolRange(spec.symbol, 0, count),),
    )
