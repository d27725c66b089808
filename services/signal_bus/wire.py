"""Subscription responses built from bytes encoded once per record and shared by every subscriber.

`SubscribeResponse` and `SubscribeBarsResponse` have the same shape on the wire: field 1 a
repeated record {1: offset, 2: the signal or bar}, field 2 the resume offset. A record's bytes
(the stored body wrapped with its offset) are made once when the bus reads it from the log; a
batch for one subscriber is then a join of those bytes, so fan-out to a hundred subscribers does
not serialise a signal a hundred times. The handlers send these bytes as they are (the methods
are registered with an identity serializer, see `service.py`).
"""

from __future__ import annotations

from collections.abc import Iterable

RECORDS_FIELD = 0x0A  # field 1, length-delimited
RESUME_OFFSET_FIELD = 0x12  # field 2, length-delimited
RECORD_OFFSET_FIELD = 0x0A
RECORD_BODY_FIELD = 0x12


def varint(value: int) -> bytes:
    out = bytearray()
    while value > 0x7F:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def length_delimited(tag: int, payload: bytes) -> bytes:
    return bytes((tag,)) + varint(len(payload)) + payload


def encode_record(offset: str, body: bytes) -> bytes:
    """One element of a response's repeated records field, ready to be joined into a batch."""
    record = length_delimited(RECORD_OFFSET_FIELD, offset.encode()) + length_delimited(
        RECORD_BODY_FIELD, body
    )
    return length_delimited(RECORDS_FIELD, record)


def encode_batch(encoded_records: Iterable[bytes], resume_offset: str) -> bytes:
    return b"".join(encoded_records) + length_delimited(RESUME_OFFSET_FIELD, resume_offset.encode())


def identity(message: bytes) -> bytes:
    return message
