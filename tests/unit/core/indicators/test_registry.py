"""The registry: well-formed specs, parameter validation that names the parameter, input handling."""

from __future__ import annotations

import inspect
from collections import namedtuple

import numpy as np
import pandas as pd
import pytest

from services.core.errors import InvalidArgument, NotFound
from services.core.indicators import (
    FIELDS,
    REGISTRY,
    StreamingIndicator,
    compute,
    get_indicator,
    stream,
    validate_parameters,
)
from tests.unit.core.indicators.series import make_bars

FAMILIES = {"moving_average", "momentum", "volatility", "volume", "trend", "statistics"}
REQUIRED = {
    "sma", "ema", "wma", "dema", "tema", "kama", "rsi", "macd", "bbands", "atr", "adx", "stochastic",
    "stochastic_rsi", "cci", "williams_r", "mfi", "obv", "vwap", "roc", "momentum", "donchian", "keltner",
    "sar", "supertrend", "aroon", "cmf", "trix", "stddev", "zscore", "returns", "log_returns",
}  # fmt: skip


def _violations(error: pytest.ExceptionInfo[InvalidArgument]) -> dict[str, str]:
    return {violation.field: violation.description for violation in error.value.violations}


def test_every_required_indicator_is_registered() -> None:
    assert set(REGISTRY) >= REQUIRED


@pytest.mark.parametrize("name", sorted(REGISTRY))
def test_spec_is_well_formed(name: str) -> None:
    spec = get_indicator(name)
    assert spec.name == name
    assert spec.display_name
    assert spec.description
    assert spec.family in FAMILIES
    assert spec.outputs == spec.streaming.outputs
    assert set(spec.inputs) <= {*FIELDS, "source"}
    assert ("source" in spec.inputs) == any(parameter.name == "source" for parameter in spec.parameters)
    names = [parameter.name for parameter in spec.parameters]
    assert len(names) == len(set(names))
    for parameter in spec.parameters:
        assert parameter.description
        if parameter.kind == "choice":
            assert parameter.default in parameter.choices
        else:
            assert parameter.minimum is not None
            assert parameter.maximum is not None
            assert parameter.minimum <= parameter.default <= parameter.maximum
    assert validate_parameters(name, {}) == spec.defaults()
    assert spec.warmup(spec.defaults()) >= 0
    numeric = {parameter.name for parameter in spec.parameters if parameter.name != "source"}
    assert numeric <= set(inspect.signature(spec.function).parameters)
    assert set(names) == set(inspect.signature(spec.streaming).parameters)


def test_unknown_indicator_is_not_found() -> None:
    with pytest.raises(NotFound) as error:
        get_indicator("ichimoku_cloud")
    assert error.value.resource_name == "ichimoku_cloud"
    with pytest.raises(NotFound):
        compute("ichimoku_cloud", {"close": np.ones(3)})


@pytest.mark.parametrize(
    ("name", "parameters", "field"),
    [
        ("sma", {"period": 1}, "period"),
        ("sma", {"period": 501}, "period"),
        ("sma", {"period": 14.5}, "period"),
        ("sma", {"period": True}, "period"),
        ("sma", {"period": "14"}, "period"),
        ("sma", {"source": "vwap"}, "source"),
        ("sma", {"length": 14}, "length"),
        ("bbands", {"deviations": float("nan")}, "deviations"),
        ("bbands", {"deviations": 0.0}, "deviations"),
        ("macd", {"fast_period": 26, "slow_period": 12}, "fast_period"),
        ("sar", {"acceleration": 0.3, "maximum": 0.2}, "acceleration"),
        ("keltner", {"atr_period": 0}, "atr_period"),
    ],
)
def test_invalid_parameter_is_named(name: str, parameters: dict, field: str) -> None:
    with pytest.raises(InvalidArgument) as error:
        compute(name, make_bars(50, seed=1), **parameters)
    assert field in _violations(error)
    with pytest.raises(InvalidArgument):
        stream(name, **parameters)


def test_every_bad_parameter_is_reported_at_once() -> None:
    with pytest.raises(InvalidArgument) as error:
        validate_parameters("stochastic", {"k_period": 0, "d_period": 1000, "smoothing": 3})
    assert set(_violations(error)) == {"k_period", "d_period", "smoothing"}


def test_whole_floats_are_accepted_as_integers() -> None:
    assert validate_parameters("sma", {"period": 14.0}) == {"period": 14, "source": "close"}
    assert isinstance(validate_parameters("sma", {"period": np.int64(9)})["period"], int)


def test_compute_accepts_mappings_dataframes_attributes_and_bare_series() -> None:
    bars = make_bars(300, seed=3)
    expected = compute("atr", bars, period=10)["value"]
    Table = namedtuple("Table", FIELDS)
    for source in (pd.DataFrame(bars), Table(**bars)):
        np.testing.assert_array_equal(compute("atr", source, period=10)["value"], expected)
    np.testing.assert_array_equal(
        compute("ema", bars["close"], period=5)["value"], compute("ema", bars, period=5)["value"]
    )
    np.testing.assert_array_equal(
        compute("ema", pd.Series(bars["close"]), period=5)["value"], compute("ema", bars, period=5)["value"]
    )
    np.testing.assert_array_equal(
        compute("sma", bars, period=5, source="high")["value"],
        compute("sma", bars["high"], period=5)["value"],
    )


def test_compute_returns_every_output_by_name() -> None:
    result = compute("macd", make_bars(100, seed=4))
    assert list(result) == ["macd", "signal", "histogram"]
    assert all(values.shape == (100,) and values.dtype == np.float64 for values in result.values())


@pytest.mark.parametrize(
    ("bars", "field"),
    [
        ({"high": np.ones(5), "low": np.ones(5)}, "close"),
        ({"high": np.ones(5), "low": np.ones(5), "close": np.ones(4)}, "close"),
        ({"high": np.ones(5), "low": np.ones(5), "close": np.array([1.0, np.nan, 1.0, 1.0, 1.0])}, "close"),
        ({"high": np.ones(5), "low": np.ones(5), "close": np.array([1.0, np.inf, 1.0, 1.0, 1.0])}, "close"),
        ({"high": np.ones((5, 2)), "low": np.ones(5), "close": np.ones(5)}, "high"),
        ({"high": ["a"] * 5, "low": np.ones(5), "close": np.ones(5)}, "high"),
    ],
)
def test_bad_inputs_are_named(bars: dict, field: str) -> None:
    with pytest.raises(InvalidArgument) as error:
        compute("atr", bars)
    assert field in _violations(error)


def test_a_bare_series_cannot_feed_a_multi_input_indicator() -> None:
    with pytest.raises(InvalidArgument) as error:
        compute("atr", np.ones(10))
    assert {"low", "close"} <= set(_violations(error))


def test_empty_series_give_empty_outputs() -> None:
    empty = {field: np.empty(0) for field in FIELDS}
    for name in REGISTRY:
        assert all(values.shape == (0,) for values in compute(name, empty).values())


def test_stream_is_a_validated_streaming_object_with_a_uniform_interface() -> None:
    indicator = stream("bbands", period=3, deviations=1.5, source="high")
    assert isinstance(indicator, StreamingIndicator)
    assert (indicator.period, indicator.deviations, indicator.source) == (3, 1.5, "high")
    assert indicator.warmup == 2
    Bar = namedtuple("Bar", FIELDS)
    for high in (10.0, 11.0):
        indicator.update_bar(Bar(9.0, high, 8.0, 9.5, 100.0))
        assert not indicator.ready
    values = indicator.update(9.0, 12.0, 8.0, 9.5, 100.0)
    assert indicator.ready
    assert indicator.bars_seen == 3
    assert indicator.value == values[0]
    assert list(indicator.values) == list(indicator.outputs)
    assert indicator.values["middle"] == pytest.approx(11.0)


@pytest.mark.parametrize(
    ("name", "parameters", "warmup"),
    [
        ("sma", {}, 19),
        ("dema", {"period": 10}, 18),
        ("tema", {"period": 10}, 27),
        ("kama", {}, 30),
        ("macd", {"signal_period": 5}, 29),
        ("stochastic", {}, 8),
        ("stochastic_rsi", {}, 20),
        ("adx", {"period": 14}, 27),
        ("trix", {"period": 15}, 43),
        ("keltner", {"period": 5, "atr_period": 30}, 30),
        ("obv", {}, 0),
    ],
)
def test_warmup_follows_the_parameters_with_defaults_for_the_rest(
    name: str, parameters: dict, warmup: int
) -> None:
    assert get_indicator(name).warmup(parameters) == warmup


def test_a_source_indicator_can_be_fed_values_directly() -> None:
    """Indicators of indicators (an RSI of a spread, say) feed the series itself."""
    series = make_bars(60, seed=8)["close"].tolist()
    by_value = stream("rsi", period=5)
    by_bar = stream("rsi", period=5)
    for value in series:
        assert by_value.update_value(value) == by_bar.update(0.0, 0.0, 0.0, value, 0.0)
    assert by_value.ready
    assert by_value.bars_seen == len(series)
