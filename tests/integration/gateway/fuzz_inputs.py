"""Hypothesis strategies for hostile input: protobuf messages built from their descriptors, mutated
bytes, REST JSON bodies, and CSV files, with the strings attackers and careless clients send."""

from __future__ import annotations

import csv
import io
from collections import Counter
from typing import Any

from google.protobuf import descriptor as d
from google.protobuf import message_factory
from google.protobuf.message import Message
from hypothesis import strategies as st

HOSTILE_TEXT = [
    "",
    " ",
    "../../etc/passwd",
    "'; DROP TABLE workflows; --",
    '" OR 1=1 --',
    "${jndi:ldap://example.invalid/a}",
    "{{7*7}}",
    "__import__('os').system('id')",
    "\x00",
    "\ud7ff\ue000\U0010ffff",
    "🦄" * 64,
    "a" * 5000,
    "-1",
    "NaN",
    "Infinity",
    "workflows/../datasets/x",
    "%00%0a",
    "<script>alert(1)</script>",
    "9" * 40,
    "*",
]

_INTEGER_RANGES = {
    d.FieldDescriptor.TYPE_INT32: (-(2**31), 2**31 - 1),
    d.FieldDescriptor.TYPE_SINT32: (-(2**31), 2**31 - 1),
    d.FieldDescriptor.TYPE_SFIXED32: (-(2**31), 2**31 - 1),
    d.FieldDescriptor.TYPE_INT64: (-(2**63), 2**63 - 1),
    d.FieldDescriptor.TYPE_SINT64: (-(2**63), 2**63 - 1),
    d.FieldDescriptor.TYPE_SFIXED64: (-(2**63), 2**63 - 1),
    d.FieldDescriptor.TYPE_UINT32: (0, 2**32 - 1),
    d.FieldDescriptor.TYPE_FIXED32: (0, 2**32 - 1),
    d.FieldDescriptor.TYPE_UINT64: (0, 2**64 - 1),
    d.FieldDescriptor.TYPE_FIXED64: (0, 2**64 - 1),
}
MAX_DEPTH = 4
# inputs tried / accepted / refused, printed in the session summary by the gateway conftest
TALLY: Counter[str] = Counter()
COLUMN_NAMES = ["timestamp", "time", "open", "high", "low", "close", "volume", "symbol", "x"]


def text() -> st.SearchStrategy[str]:
    return st.one_of(st.sampled_from(HOSTILE_TEXT), st.text(max_size=40))


def _integer(field: d.FieldDescriptor) -> st.SearchStrategy[int]:
    low, high = _INTEGER_RANGES[field.type]
    edges = [value for value in (low, high, 0, -1, 1, 2**31 - 1) if low <= value <= high]
    return st.one_of(
        st.sampled_from(edges), st.integers(min_value=max(low, -(10**6)), max_value=min(high, 10**6))
    )


def _scalar(field: d.FieldDescriptor) -> st.SearchStrategy[Any]:
    if field.type == d.FieldDescriptor.TYPE_STRING:
        return text()
    if field.type == d.FieldDescriptor.TYPE_BYTES:
        return st.binary(max_size=256)
    if field.type == d.FieldDescriptor.TYPE_BOOL:
        return st.booleans()
    if field.type in (d.FieldDescriptor.TYPE_DOUBLE, d.FieldDescriptor.TYPE_FLOAT):
        width = 32 if field.type == d.FieldDescriptor.TYPE_FLOAT else 64
        return st.floats(width=width, allow_nan=True, allow_infinity=True)
    if field.type == d.FieldDescriptor.TYPE_ENUM:
        known = [value.number for value in field.enum_type.values]
        # proto3 enums are open: unknown numbers arrive too
        return st.one_of(st.sampled_from(known), st.integers(min_value=-3, max_value=1000))
    return _integer(field)


@st.composite
def messages(draw: st.DrawFn, descriptor: d.Descriptor, depth: int = 0) -> Message:
    """A message of `descriptor`'s type with a random subset of fields set to random values."""
    message = message_factory.GetMessageClass(descriptor)()
    if depth >= MAX_DEPTH:
        return message
    for field in descriptor.fields:
        if not draw(st.booleans()):
            continue
        _set_field(draw, message, field, depth)
    return message


def _set_field(draw: st.DrawFn, message: Message, field: d.FieldDescriptor, depth: int) -> None:
    target = getattr(message, field.name)
    is_message = field.type == d.FieldDescriptor.TYPE_MESSAGE
    if field.message_type is not None and field.message_type.GetOptions().map_entry:
        key_field, value_field = (
            field.message_type.fields_by_name["key"],
            field.message_type.fields_by_name["value"],
        )
        for _ in range(draw(st.integers(0, 3))):
            key = draw(_scalar(key_field))
            if value_field.type == d.FieldDescriptor.TYPE_MESSAGE:
                target[key].CopyFrom(draw(messages(value_field.message_type, depth + 1)))
            else:
                target[key] = draw(_scalar(value_field))
        return
    if field.label == d.FieldDescriptor.LABEL_REPEATED:
        for _ in range(draw(st.integers(0, 3))):
            if is_message:
                target.add().CopyFrom(draw(messages(field.message_type, depth + 1)))
            else:
                target.append(draw(_scalar(field)))
        return
    if is_message:
        target.CopyFrom(draw(messages(field.message_type, depth + 1)))
    else:
        setattr(message, field.name, draw(_scalar(field)))


@st.composite
def mutated(draw: st.DrawFn, data: bytes) -> bytes:
    """`data` with bytes flipped, cut, duplicated or spliced with noise: wire-format damage."""
    if not data:
        return draw(st.binary(min_size=1, max_size=64))
    kind = draw(st.sampled_from(["flip", "truncate", "duplicate", "splice"]))
    position = draw(st.integers(0, len(data) - 1))
    if kind == "flip":
        return data[:position] + bytes([data[position] ^ draw(st.integers(1, 255))]) + data[position + 1 :]
    if kind == "truncate":
        return data[:position]
    if kind == "duplicate":
        return data[:position] + data[position:] * 2
    return data[:position] + draw(st.binary(min_size=1, max_size=32)) + data[position:]


JSON_VALUES = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), text()),
    lambda children: st.one_of(st.lists(children, max_size=4), st.dictionaries(text(), children, max_size=4)),
    max_leaves=12,
)


@st.composite
def csv_files(draw: st.DrawFn) -> bytes:
    """OHLCV-looking CSV files with every kind of wrongness mixed in."""
    header = draw(st.one_of(
        st.just(["timestamp", "open", "high", "low", "close", "volume"]),
        st.lists(st.sampled_from(COLUMN_NAMES), max_size=8),
        st.lists(text(), max_size=6),
    ))  # fmt: skip
    cells = st.one_of(
        st.floats(allow_nan=True, allow_infinity=True).map(str),
        st.integers(-(10**12), 10**12).map(str),
        st.sampled_from(["2024-01-01", "2024-01-01T00:00:00Z", "yesterday", "", "1e309", "-0"]),
        text(),
    )
    rows = draw(st.lists(st.lists(cells, min_size=0, max_size=len(header) + 2), max_size=30))
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows(rows)
    encoded = buffer.getvalue().encode("utf-8", errors="surrogatepass")
    return draw(st.one_of(st.just(encoded), mutated(encoded)))
