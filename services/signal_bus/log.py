"""The log every topic lives in, as an interface with one implementation per engine.

A topic is an append-only sequence of entries, each with an offset that orders it within the
topic. Offsets are strings the engine chooses (Redis stream ids "1700000000000-0", JetStream
stream sequences "42-0"; "0-0" is before everything on both); callers outside the engine only
pass them back or compare their keys.

Two kinds of append:
- keyed (signals): an entry carries an idempotency key; appending a key the topic already has
  stores nothing and reports the first copy, so a publisher may retry blindly;
- timed (bars): an entry's position is its time; the same time again is a duplicate, an older
  time is refused as out of order.
An append returns only once the engine has made the entries durable (Redis: AOF with
appendfsync always answers after the fsync; JetStream: after a quorum of replicas stored it).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple, Protocol

OffsetKey = tuple[int, int]


# Named tuples, not frozen dataclasses: several are made per signal on the publish and delivery
# paths, and a frozen dataclass costs about twice as much to build.


class KeyedEntry(NamedTuple):
    key: str  # idempotency key, unique within the topic while retained
    body: bytes
    organization_id: str  # who may see it besides its owner (signals); '' for none


class TimedEntry(NamedTuple):
    time_ms: int  # position in the topic: strictly increasing
    body: bytes


class Appended(NamedTuple):
    """Where an entry landed. For a duplicate: where the first copy is, and its body if retained."""

    offset: str
    duplicate: bool = False
    out_of_order: bool = False
    stored_body: bytes | None = None


class LogRecord(NamedTuple):
    offset: str
    body: bytes
    organization_id: str = ""


class OffsetTrimmed(Exception):
    """Entries after the given offset are no longer retained: a reader starting there would miss them."""


class LogUnavailable(Exception):
    """The engine cannot store or read right now; the same call may succeed later."""


class Log(Protocol):
    """One engine's topics. Every method may raise LogUnavailable."""

    def offset_key(self, offset: str) -> OffsetKey:
        """The offset's sort key; ValueError when it is not an offset of this engine."""
        ...

    def offset_before_time(self, time_ms: int) -> str:
        """An offset such that reading after it starts at the first entry at or after `time_ms`.

        Without a look-up: Redis ids are times; JetStream gives a position ("@<ms>") that its
        reads resolve, which sorts before every entry.
        """
        ...

    async def offset_at_time(self, topic: str, time_ms: int) -> str:
        """The same position as a real offset of `topic` (looked up where the engine must)."""
        ...

    async def append(self, topic: str, entries: Sequence[KeyedEntry]) -> list[Appended]: ...

    async def append_timed(self, topic: str, entries: Sequence[TimedEntry]) -> list[Appended]: ...

    async def last_offset(self, topic: str) -> str:
        """The offset of the newest entry, or the offset before any entry when the topic is empty."""
        ...

    async def read(self, topic: str, after: str, count: int, *, strict: bool = True) -> list[LogRecord]:
        """Up to `count` entries after `after`.

        Strict: OffsetTrimmed if retention removed entries after `after` (a resuming reader would
        miss them). Not strict: start at the oldest retained entry (a start from a time).
        """
        ...

    async def tail(self, topic: str, after: str, count: int, wait_seconds: float) -> list[LogRecord]:
        """Entries after `after`, waiting up to `wait_seconds` for the first one to arrive."""
        ...

    async def consume(
        self, topic: str, group: str, consumer: str, count: int, wait_seconds: float, *, pending: bool
    ) -> list[LogRecord]:
        """A consumer group's next entries (created at the oldest retained entry on first use).

        `pending`: the entries delivered to `consumer` before and not yet acknowledged (after a
        crash or a failed write), instead of new ones. Entries of a group are handed out once, so
        several bus processes share the work.
        """
        ...

    async def acknowledge(self, topic: str, group: str, offsets: Sequence[str]) -> None: ...

    async def close(self) -> None: ...
