"""Where a subscription starts: now, after an offset, or at a time; and how big its batches are."""

from __future__ import annotations

from dataclasses import dataclass

from google.protobuf import timestamp_pb2

from services.core.errors import FieldViolation, InvalidArgument
from services.signal_bus.log import Log

DEFAULT_BATCH = 100
MAX_BATCH = 1_000


@dataclass(frozen=True, slots=True)
class Start:
    kind: str  # "now", "offset" or "time"
    offset: str = ""
    time_ms: int = 0

    @classmethod
    def of(cls, which: str | None, offset: str, time: timestamp_pb2.Timestamp) -> Start:
        """From a request's `start` oneof (`which` is WhichOneof's answer)."""
        if which == "from_offset":
            return cls("offset", offset=offset)
        if which == "from_time":
            return cls("time", time_ms=time.seconds * 1000 + time.nanos // 1_000_000)
        return cls("now")

    async def resolve(self, log: Log, topic: str) -> str:
        """The offset after which the subscription's first record lies."""
        if self.kind == "offset":
            try:
                log.offset_key(self.offset)
            except ValueError as error:
                raise InvalidArgument(
                    "from_offset is not an offset this bus gave out",
                    [FieldViolation("from_offset", str(error))],
                ) from None
            return self.offset
        if self.kind == "time":
            return await log.offset_at_time(topic, self.time_ms)
        return await log.last_offset(topic)


def batch_size(requested: int) -> int:
    if requested < 0:
        raise InvalidArgument(
            "max_batch_size must not be negative", [FieldViolation("max_batch_size", "≥ 0")]
        )
    return DEFAULT_BATCH if requested == 0 else min(requested, MAX_BATCH)
