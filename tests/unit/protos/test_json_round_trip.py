"""Representative Signal, Workflow and StrategySpec survive protobuf -> JSON -> protobuf unchanged.

REST users and the SDK exchange these as JSON (the transcoder's mapping), so every field must map both
ways. Each sample is first shown to populate every field its type can reach; otherwise "kept every
field" would only cover the fields someone remembered to set.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from google.protobuf import json_format
from google.protobuf.message import Message

from tests.unit.protos import samples
from tests.unit.protos.field_coverage import populated_fields, reachable_fields

SAMPLES: list[Callable[[], Message]] = [samples.signal, samples.workflow, samples.strategy_spec]


@pytest.mark.parametrize("build", SAMPLES, ids=lambda build: build.__name__)
def test_sample_populates_every_reachable_field(build: Callable[[], Message]) -> None:
    message = build()

    unpopulated = reachable_fields(message.DESCRIPTOR) - populated_fields(message)

    assert sorted(unpopulated) == []


@pytest.mark.parametrize("build", SAMPLES, ids=lambda build: build.__name__)
@pytest.mark.parametrize("preserving_proto_field_name", [False, True], ids=["camelCase", "snake_case"])
def test_json_round_trip_keeps_every_field(
    build: Callable[[], Message], preserving_proto_field_name: bool
) -> None:
    message = build()

    text = json_format.MessageToJson(message, preserving_proto_field_name=preserving_proto_field_name)
    parsed = json_format.Parse(text, type(message)())

    assert parsed == message
    assert parsed.SerializeToString(deterministic=True) == message.SerializeToString(deterministic=True)


def test_signal_json_uses_the_platform_field_names() -> None:
    """The standard JSON signal's keys, as the transcoder prints them (lowerCamelCase)."""
    document = json_format.MessageToDict(samples.signal())

    assert {"signalId", "timestamp", "strategyId", "strategySource", "symbol", "action", "confidence"} <= set(
        document
    )
    assert document["action"] == "ACTION_BUY"
    assert document["timestamp"] == "2023-11-14T22:13:20.250Z"
    assert document["executionParams"]["orderType"] == "ORDER_TYPE_STOP_LIMIT"
