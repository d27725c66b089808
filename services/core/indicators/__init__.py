"""Technical indicators, each vectorised (whole arrays) and streaming (one bar at a time).

The two forms compute the same arithmetic in the same order, so a model trained on batch
features sees identical values live. Where TA-Lib has the indicator, both equal TA-Lib's
output including its warm-up (NaN prefix) and seeding conventions.

    compute("macd", bars, fast_period=12, slow_period=26)  -> {"macd": ..., "signal": ..., ...}
    stream("rsi", period=14).update(open, high, low, close, volume)  -> (rsi,)
"""

from services.core.indicators.registry import REGISTRY, compute, get_indicator, stream, validate_parameters
from services.core.indicators.spec import IndicatorSpec, ParameterSpec
from services.core.indicators.streaming import FIELDS, StreamingIndicator

__all__ = [
    "FIELDS",
    "REGISTRY",
    "IndicatorSpec",
    "ParameterSpec",
    "StreamingIndicator",
    "compute",
    "get_indicator",
    "stream",
    "validate_parameters",
]
