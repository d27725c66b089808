"""A streaming feature pipeline's state as JSON bytes, so a restarted deployment resumes where it was
(and a streaming strategy evaluator's, `encode_evaluator_state`).

The indicators' state is plain data (numbers, deques, tuples, nested building blocks), so it is
written as a tree of tagged values. Floats go through `repr` (exact for IEEE doubles, NaN and
infinities included), so a restored pipeline continues bit for bit. Decoding instantiates only
classes defined in `services.core.indicators`: bytes read back from a cache can never make this
code build an arbitrary object (unlike pickle).
"""

from __future__ import annotations

import importlib
import json
from collections import deque
from collections.abc import Callable
from typing import Any

import numpy as np

from services.core.features.streaming import FeatureState
from services.core.indicators import StreamingIndicator
from services.core.strategy.streaming import EvaluatorState

FORMAT = 1
ALLOWED_MODULE = "services.core.indicators"
# booleans, signed and unsigned integers, floats
NUMPY_KINDS = frozenset("biuf")
# Python values and their tags (checked in this order: a bool is an int, so plain values go first)
CONTAINERS: tuple[tuple[type, str], ...] = (
    (float, "f"),
    (tuple, "t"),
    (list, "l"),
    (deque, "q"),
    (dict, "d"),
)


def encode_state(state: FeatureState) -> bytes:
    document = {
        "format": FORMAT,
        "names": list(state.names),
        "bars_seen": state.bars_seen,
        "indicators": {node_id: _encode(indicator) for node_id, indicator in state.indicators.items()},
    }
    return json.dumps(document, separators=(",", ":"), allow_nan=True).encode()


def decode_state(data: bytes) -> FeatureState:
    """The state `encode_state` wrote; ValueError for anything else."""
    try:
        document = json.loads(data)
        if document.get("format") != FORMAT:
            raise ValueError(f"unknown feature state format {document.get('format')!r}")
        indicators = {str(node_id): _decode(value) for node_id, value in document["indicators"].items()}
        names = tuple(str(name) for name in document["names"])
        bars_seen = int(document["bars_seen"])
    except (KeyError, TypeError, AttributeError, json.JSONDecodeError) as error:
        raise ValueError(f"not a feature state: {error}") from None
    for node_id, indicator in indicators.items():
        if not isinstance(indicator, StreamingIndicator):
            raise ValueError(f"the state of {node_id!r} is not a streaming indicator")
    return FeatureState(names=names, bars_seen=bars_seen, indicators=indicators)


def encode_evaluator_state(state: EvaluatorState) -> bytes:
    document = {
        "format": FORMAT,
        "kind": "evaluator",
        "bar_index": state.bar_index,
        "side": state.side,
        "indicators": {node_id: _encode(indicator) for node_id, indicator in state.indicators.items()},
        "atr": _encode(state.atr),
        "history": _encode(state.history),
    }
    return json.dumps(document, separators=(",", ":"), allow_nan=True).encode()


def decode_evaluator_state(data: bytes) -> EvaluatorState:
    """The state `encode_evaluator_state` wrote; ValueError for anything else."""
    try:
        document = json.loads(data)
        if document.get("format") != FORMAT or document.get("kind") != "evaluator":
            raise ValueError("not an evaluator state")
        indicators = {str(node_id): _decode(value) for node_id, value in document["indicators"].items()}
        atr = _decode(document["atr"])
        history = _decode(document["history"])
        state = EvaluatorState(
            bar_index=int(document["bar_index"]),
            side=int(document["side"]),
            indicators=indicators,
            atr=atr,
            history=history,
        )
    except (KeyError, TypeError, AttributeError, json.JSONDecodeError) as error:
        raise ValueError(f"not an evaluator state: {error}") from None
    built = [*indicators.values(), *([] if atr is None else [atr])]
    if not all(isinstance(item, StreamingIndicator) for item in built):
        raise ValueError("an evaluator state holds something that is not a streaming indicator")
    if not isinstance(history, dict) or not all(
        isinstance(key, tuple) and len(key) == 2 and isinstance(values, deque)
        for key, values in history.items()
    ):
        raise ValueError("an evaluator state's history is not series of values")
    return state


def _encode(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, np.generic):
        # numpy scalars keep their type: their arithmetic (e.g. division by zero) differs from Python's
        if value.dtype.kind not in NUMPY_KINDS:
            raise TypeError(f"cannot encode a numpy {value.dtype} in a feature state")
        return {"n": value.dtype.str, "v": repr(value.item())}
    for kind, tag in CONTAINERS:
        if isinstance(value, kind):
            return _encode_container(tag, value)
    cls = type(value)
    if not cls.__module__.startswith(ALLOWED_MODULE):
        raise TypeError(f"cannot encode a {cls.__module__}.{cls.__qualname__} in a feature state")
    return {"o": f"{cls.__module__}:{cls.__qualname__}", "a": _attributes(value)}


def _encode_container(tag: str, value: Any) -> dict[str, Any]:
    if tag == "f":
        return {"f": repr(float(value))}
    if tag == "d":
        return {"d": [[_encode(key), _encode(item)] for key, item in value.items()]}
    encoded: dict[str, Any] = {tag: [_encode(item) for item in value]}
    if tag == "q":
        encoded["maxlen"] = value.maxlen
    return encoded


def _attributes(value: Any) -> dict[str, Any]:
    names: list[str] = []
    for cls in type(value).__mro__:
        slots = cls.__dict__.get("__slots__", ())
        names.extend([slots] if isinstance(slots, str) else slots)
    attributes = {name: getattr(value, name) for name in names if hasattr(value, name) and name != "__dict__"}
    attributes.update(getattr(value, "__dict__", {}))
    return {name: _encode(item) for name, item in attributes.items()}


def _decode(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, dict):
        for tag, decode in DECODERS.items():
            if tag in value:
                return decode(value)
    raise ValueError(f"unexpected value {value!r} in a feature state")


def _decode_numpy(value: dict[str, Any]) -> Any:
    dtype = np.dtype(value["n"])
    if dtype.kind not in NUMPY_KINDS:
        raise ValueError(f"unexpected numpy type {value['n']!r} in a feature state")
    text = value["v"]
    if dtype.kind == "b":
        return dtype.type(text == "True")
    return dtype.type(float(text) if dtype.kind == "f" else int(text))


DECODERS: dict[str, Callable[[dict[str, Any]], Any]] = {
    "f": lambda value: float(value["f"]),
    "n": _decode_numpy,
    "t": lambda value: tuple(_decode(item) for item in value["t"]),
    "l": lambda value: [_decode(item) for item in value["l"]],
    "q": lambda value: deque((_decode(item) for item in value["q"]), maxlen=value["maxlen"]),
    "d": lambda value: {_decode(key): _decode(item) for key, item in value["d"]},
    "o": lambda value: _instance(value["o"], value["a"]),
}


def _instance(name: str, attributes: dict[str, Any]) -> Any:
    module_name, _, qualname = name.partition(":")
    if not (module_name == ALLOWED_MODULE or module_name.startswith(ALLOWED_MODULE + ".")):
        raise ValueError(f"{module_name!r} is not an indicator module")
    cls: Any = importlib.import_module(module_name)
    for part in qualname.split("."):
        cls = getattr(cls, part, None)
        if cls is None:
            raise ValueError(f"no class {name!r}")
    if not isinstance(cls, type):
        raise ValueError(f"{name!r} is not a class")
    instance = cls.__new__(cls)
    for attribute, item in attributes.items():
        object.__setattr__(instance, attribute, _decode(item))
    return instance
