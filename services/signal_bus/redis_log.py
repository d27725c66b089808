"""The log on Redis Streams: one stream per topic, appends as one Lua script per batch.

Durability: the embedded Redis runs with `appendonly yes` and `appendfsync always`, under which
Redis fsyncs the AOF before it sends any reply of the event-loop iteration that wrote it; so the
reply to the append script is the durable acknowledgement, and a batch of 2,000 entries costs
one fsync, not 2,000.

Keys (all under the topic's stream key K):
- K: the stream; entry fields `b` (the body) and `g` (the organisation that may read it);
- K:id:<key>: the offset of the entry appended with that idempotency key, expiring with the
  retention period, so a retried publish is a duplicate for as long as the entry is kept.
Retention trims each stream to about `max_entries` on every append and, for keyed topics, to
entries younger than `retention_seconds` once per batch (approximate trimming: whole radix-tree
nodes at a time). Timed topics (bars) are kept by length only: their ids are the bars' own times.
Offsets are stream ids, "<milliseconds>-<sequence>".
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Sequence

from redis.asyncio import Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError, ResponseError
from redis.exceptions import TimeoutError as RedisTimeoutError

from services.mesh.redis import redis_from_url
from services.signal_bus.log import (
    Appended,
    KeyedEntry,
    LogRecord,
    LogUnavailable,
    OffsetKey,
    OffsetTrimmed,
    TimedEntry,
)

BEFORE_EVERYTHING = "0-0"
MAX_SEQUENCE = 2**64 - 1

# KEYS: stream, then one idempotency key per entry.
# ARGV: ttl seconds, max entries, min id to keep ('' = no age trim), then (body, organisation) per entry.
# Returns: the entries' offsets joined by ',', a string of '0' (stored) / '1' (duplicate) flags, then
# the stored body of each duplicate's first copy ('' when no longer retained), in entry order. Two
# strings instead of three values per entry: parsing the reply was most of the client's cost.
_APPEND_KEYED = """
local stream = KEYS[1]
local ttl, max_entries, min_id = ARGV[1], ARGV[2], ARGV[3]
local offsets, flags, bodies = {}, {}, {}
for index = 2, #KEYS do
  local argument = 4 + (index - 2) * 2
  local existing = redis.call('GET', KEYS[index])
  if existing then
    local stored = redis.call('XRANGE', stream, existing, existing)
    local body = ''
    if #stored > 0 then body = stored[1][2][2] end
    offsets[#offsets + 1] = existing
    flags[#flags + 1] = '1'
    bodies[#bodies + 1] = body
  else
    local offset = redis.call('XADD', stream, 'MAXLEN', '~', max_entries, '*',
                              'b', ARGV[argument], 'g', ARGV[argument + 1])
    redis.call('SET', KEYS[index], offset, 'EX', ttl)
    offsets[#offsets + 1] = offset
    flags[#flags + 1] = '0'
  end
end
if min_id ~= '' then redis.call('XTRIM', stream, 'MINID', '~', min_id) end
local out = {table.concat(offsets, ','), table.concat(flags)}
for index = 1, #bodies do out[#out + 1] = bodies[index] end
return out
"""

# KEYS: stream. ARGV: max entries, min id ('' = none), then (time ms, body) per entry.
# Returns per entry: offset ('' when out of order), status (0 stored, 1 duplicate, 2 out of order).
_APPEND_TIMED = """
local stream = KEYS[1]
local max_entries, min_id = ARGV[1], ARGV[2]
local out = {}
for argument = 3, #ARGV, 2 do
  local offset = ARGV[argument] .. '-0'
  local added = redis.pcall('XADD', stream, 'MAXLEN', '~', max_entries, offset, 'b', ARGV[argument + 1])
  if type(added) == 'table' and added.err then
    local found = redis.call('XRANGE', stream, offset, offset)
    if #found > 0 then
      out[#out + 1] = offset
      out[#out + 1] = 1
    else
      out[#out + 1] = ''
      out[#out + 1] = 2
    end
  else
    out[#out + 1] = added
    out[#out + 1] = 0
  end
end
if min_id ~= '' then redis.call('XTRIM', stream, 'MINID', '~', min_id) end
return out
"""


_RAW_REPLIES = ("XREAD", "XREADGROUP", "XRANGE")


def _as_sent(response: object, **_: object) -> object:
    return response


def _stream_entries(reply: dict | list) -> list:
    """The entries of a one-stream XREAD/XREADGROUP reply: a map under RESP3 as Redis sends it, a
    list of [stream, entries] under RESP2 or after redis-py's own parsing."""
    if isinstance(reply, dict):
        return next(iter(reply.values()))
    return reply[0][1]


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


class RedisLog:
    """Topics as Redis streams named `<prefix>:<topic>`."""

    def __init__(
        self,
        client: Redis,
        *,
        prefix: str,
        retention_seconds: int,
        max_entries: int,
        owns_client: bool = True,
    ) -> None:
        self._client = client
        self._prefix = prefix
        self._retention_seconds = retention_seconds
        self._max_entries = max_entries
        self._owns_client = owns_client
        self._append_keyed = client.register_script(_APPEND_KEYED)
        self._append_timed = client.register_script(_APPEND_TIMED)

    @classmethod
    def from_url(cls, url: str, **options: object) -> RedisLog:
        # reads block up to a few seconds (the fanout's tail); a dead server is noticed within 30 s
        client = redis_from_url(
            url, decode_responses=False, health_check_interval=30, socket_timeout=30, socket_connect_timeout=5
        )
        # entries as Redis sends them ([offset, [field, value, ...]]): redis-py's conversion of
        # each entry into a dict was the largest single cost of reading (see `_record`)
        for command in _RAW_REPLIES:
            client.set_response_callback(command, _as_sent)
        return cls(client, **options)  # type: ignore[arg-type]

    def stream_key(self, topic: str) -> str:
        return f"{self._prefix}:{topic}"

    # -- offsets ------------------------------------------------------------------------------

    def offset_key(self, offset: str) -> OffsetKey:
        milliseconds, separator, sequence = offset.partition("-")
        if not separator or not milliseconds.isdigit() or not sequence.isdigit():
            raise ValueError(f"{offset!r} is not an offset of this log")
        key = (int(milliseconds), int(sequence))
        if key[1] > MAX_SEQUENCE:
            raise ValueError(f"{offset!r} is not an offset of this log")
        return key

    def offset_before_time(self, time_ms: int) -> str:
        if time_ms <= 0:
            return BEFORE_EVERYTHING
        return f"{time_ms - 1}-{MAX_SEQUENCE}"

    async def offset_at_time(self, topic: str, time_ms: int) -> str:
        return self.offset_before_time(time_ms)  # stream ids are times

    def _min_id(self) -> str:
        return f"{int(time.time() * 1000) - self._retention_seconds * 1000}-0"

    # -- appends ------------------------------------------------------------------------------

    async def append(self, topic: str, entries: Sequence[KeyedEntry]) -> list[Appended]:
        if not entries:
            return []
        stream = self.stream_key(topic)
        keys = [stream, *(f"{stream}:id:{entry.key}" for entry in entries)]
        arguments: list[bytes | str | int] = [self._retention_seconds, self._max_entries, self._min_id()]
        for entry in entries:
            arguments += [entry.body, entry.organization_id]
        reply = await self._call(self._append_keyed, keys, arguments)
        offsets, flags, bodies = _text(reply[0]).split(","), _text(reply[1]), iter(reply[2:])
        return [
            Appended(offset=offset, duplicate=True, stored_body=next(bodies) or None)
            if flag == "1"
            else Appended(offset=offset)
            for offset, flag in zip(offsets, flags, strict=True)
        ]

    async def append_timed(self, topic: str, entries: Sequence[TimedEntry]) -> list[Appended]:
        if not entries:
            return []
        # by length only: a timed topic's ids are its entries' own times (a replay of last year's
        # bars is as new as today's), so trimming by age would drop a replay at once
        arguments: list[bytes | str | int] = [self._max_entries, ""]
        for entry in entries:
            arguments += [entry.time_ms, entry.body]
        reply = await self._call(self._append_timed, [self.stream_key(topic)], arguments)
        return [
            Appended(
                offset=_text(reply[index]),
                duplicate=reply[index + 1] == 1,
                out_of_order=reply[index + 1] == 2,
            )
            for index in range(0, len(reply), 2)
        ]

    async def _call(self, script, keys: list[str], arguments: list[bytes | str | int]) -> list:
        try:
            return await script(keys=keys, args=arguments)
        except (RedisConnectionError, RedisTimeoutError, OSError) as error:
            raise LogUnavailable(f"Redis cannot store right now: {error}") from error
        except ResponseError as error:
            # MISCONF (AOF write failed), LOADING (replaying the AOF after a restart), READONLY
            raise LogUnavailable(f"Redis refused the write: {error}") from error

    # -- reads --------------------------------------------------------------------------------

    async def last_offset(self, topic: str) -> str:
        try:
            newest = await self._client.xrevrange(self.stream_key(topic), count=1)
        except RedisError as error:
            raise LogUnavailable(f"Redis cannot be read right now: {error}") from error
        return _text(newest[0][0]) if newest else BEFORE_EVERYTHING

    async def read(self, topic: str, after: str, count: int, *, strict: bool = True) -> list[LogRecord]:
        stream = self.stream_key(topic)
        # one transaction: nothing can be trimmed between the retention check and the read
        pipeline = self._client.pipeline(transaction=True)
        pipeline.xinfo_stream(stream)
        pipeline.xrange(stream, min=f"({after}", count=count)
        pipeline.xrange(stream, min=after, max=after, count=1)
        try:
            info, entries, at_offset = await pipeline.execute(raise_on_error=False)
        except RedisError as error:
            raise LogUnavailable(f"Redis cannot be read right now: {error}") from error
        if isinstance(info, ResponseError):  # no such stream: nothing was ever appended
            return []
        if isinstance(info, Exception) or isinstance(entries, Exception) or isinstance(at_offset, Exception):
            raise LogUnavailable(f"Redis cannot be read right now: {info or entries or at_offset}")
        if strict and not at_offset and self._trimmed_after(info, after):
            raise OffsetTrimmed(f"entries after {after} were removed by retention")
        return [self._record(offset, fields) for offset, fields in entries]

    def _trimmed_after(self, info: dict, after: str) -> bool:
        """Whether retention removed entries following `after` (whose own entry is gone).

        Retention trims from the oldest end, so if anything was ever removed and `after` lies
        before the oldest retained entry, the entries between were removed. (Redis 7.0 does not
        record the largest trimmed id, so an offset whose own entry was trimmed counts as behind
        even when its successor happens to be the oldest retained entry.)
        """
        if info["entries-added"] <= info["length"]:
            return False
        first = info.get("first-entry")
        boundary = first[0] if first else info["last-generated-id"]
        key = self.offset_key(after)
        return key < self.offset_key(_text(boundary)) if first else key <= self.offset_key(_text(boundary))

    async def tail(self, topic: str, after: str, count: int, wait_seconds: float) -> list[LogRecord]:
        stream = self.stream_key(topic)
        try:
            reply = await self._client.xread(
                {stream: after}, count=count, block=max(1, int(wait_seconds * 1000))
            )
        except RedisError as error:
            raise LogUnavailable(f"Redis cannot be read right now: {error}") from error
        if not reply:
            return []
        return [self._record(offset, fields) for offset, fields in _stream_entries(reply)]

    async def consume(
        self, topic: str, group: str, consumer: str, count: int, wait_seconds: float, *, pending: bool
    ) -> list[LogRecord]:
        stream = self.stream_key(topic)
        try:
            reply = await self._group_read(stream, group, consumer, count, wait_seconds, pending=pending)
        except ResponseError as error:
            if "NOGROUP" not in str(error):
                raise LogUnavailable(f"Redis cannot be read right now: {error}") from error
            with contextlib.suppress(ResponseError):  # BUSYGROUP: another process created it meanwhile
                await self._client.xgroup_create(stream, group, id="0", mkstream=True)
            return []
        except RedisError as error:
            raise LogUnavailable(f"Redis cannot be read right now: {error}") from error
        if not reply:
            return []
        records = []
        for offset, fields in _stream_entries(reply):
            # a pending entry that retention removed comes back without fields: nothing to keep
            records.append(
                self._record(offset, fields) if fields else LogRecord(offset=_text(offset), body=b"")
            )
        return records

    async def _group_read(
        self, stream: str, group: str, consumer: str, count: int, wait_seconds: float, *, pending: bool
    ) -> list:
        if pending:
            return await self._client.xreadgroup(group, consumer, {stream: "0"}, count=count)
        block = max(1, int(wait_seconds * 1000))
        return await self._client.xreadgroup(group, consumer, {stream: ">"}, count=count, block=block)

    async def acknowledge(self, topic: str, group: str, offsets: Sequence[str]) -> None:
        if not offsets:
            return
        try:
            await self._client.xack(self.stream_key(topic), group, *offsets)
        except RedisError as error:
            raise LogUnavailable(f"Redis cannot acknowledge right now: {error}") from error

    @staticmethod
    def _record(offset: bytes, fields: list[bytes] | dict[bytes, bytes]) -> LogRecord:
        """An entry as Redis sent it (fields flat, on the log's own client) or as redis-py parses it
        by default (a dict, on a client handed in)."""
        if isinstance(fields, dict):
            body, organization = fields[b"b"], fields.get(b"g", b"")
        elif len(fields) == 4 and fields[0] == b"b" and fields[2] == b"g":  # what this log writes
            body, organization = fields[1], fields[3]
        else:
            named = dict(zip(fields[::2], fields[1::2], strict=True))
            body, organization = named[b"b"], named.get(b"g", b"")
        return LogRecord(offset=offset.decode(), body=body, organization_id=organization.decode())

    async def close(self) -> None:
        if self._owns_client:
            await self._client.aclose()
