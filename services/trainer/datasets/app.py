"""The datasets' transport-free facade: what each DatasetService RPC means, with its rules.

Uploads stream into a scratch file of the artifact store (never whole in memory), are checked as
a whole, and only then converted to the canonical columnar form, stored by content, and described
in PostgreSQL; a file with any problem leaves nothing behind. Identical bytes uploaded twice
without a request id make two datasets sharing one stored file (two names for the same bars, as
two uploads of a file to a drive); with the same request id the second call returns the first
dataset, and a different file under a used request id is ALREADY_EXISTS.

Who sees what: a user reads their own datasets and the platform's (owner ''); an admin of the
same organisation may read a member's; everyone else is told NOT_FOUND. Only the owner deletes a
dataset; platform datasets are generated and deleted by admins.
"""

from __future__ import annotations

import asyncio
import uuid
import zoneinfo
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime

from alphintra.trainer.v1 import dataset_service_pb2 as messages
from services.core.datasets.columnar import CanonicalBars, encode, read_time_range
from services.core.errors import (
    Aborted,
    AlreadyExists,
    FieldViolation,
    InvalidArgument,
    NotFound,
    PermissionDenied,
    ResourceExhausted,
)
from services.core.ownership import Caller, Role, can_read, require_role, require_writable
from services.core.paging import next_page_token, page_request
from services.mesh.artifacts import ArtifactStore, ArtifactWriter
from services.trainer.datasets import messages as convert
from services.trainer.datasets.messages import BarWindow
from services.trainer.datasets.platform import DEFAULTS
from services.trainer.datasets.preparation import Prepared, UploadMetadata, prepare_generated, prepare_upload
from services.trainer.datasets.previews import Preview, preview
from services.trainer.datasets.records import RESOURCE, DatasetRecord, resource_name
from services.trainer.datasets.store import DatasetStore, ListQuery

MAX_DISPLAY_NAME = 200
MAX_REQUEST_ID = 128
MAX_PREVIEW_ROWS = 1000
DEFAULT_PREVIEW_ROWS = 10
PLATFORM_OWNER = ""


class _Scratch(Exception):
    """Ends an artifact writer's block so that it discards what was written."""


@contextmanager
def _scratch_file(artifacts: ArtifactStore) -> Iterator[ArtifactWriter]:
    """A temporary file in the artifact store that is never committed under a digest."""
    try:
        with artifacts.writer() as writer:
            yield writer
            raise _Scratch
    except _Scratch:
        pass


@dataclass(frozen=True, slots=True)
class Page:
    items: list[DatasetRecord]
    next_page_token: str


def _text_violations(display_name: str, request_id: str, prefix: str = "") -> list[FieldViolation]:
    violations = []
    if not display_name.strip():
        violations.append(FieldViolation(f"{prefix}display_name", "is required"))
    elif len(display_name) > MAX_DISPLAY_NAME:
        violations.append(FieldViolation(f"{prefix}display_name", f"at most {MAX_DISPLAY_NAME} characters"))
    if len(request_id) > MAX_REQUEST_ID:
        violations.append(FieldViolation(f"{prefix}request_id", f"at most {MAX_REQUEST_ID} characters"))
    return violations


def _timezone_violations(timezone: str) -> list[FieldViolation]:
    if not timezone:
        return []
    try:
        zoneinfo.ZoneInfo(timezone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return [FieldViolation("metadata.timezone", f"{timezone!r} is not an IANA time zone")]
    return []


class DatasetApp:
    def __init__(
        self,
        store: DatasetStore,
        artifacts: ArtifactStore,
        clock: Callable[[], datetime],
        upload_limits: Mapping[str, int],
        new_id: Callable[[], str] | None = None,
    ) -> None:
        self._store = store
        self._artifacts = artifacts
        self._clock = clock
        self._upload_limits = dict(upload_limits)
        self._new_id = new_id or (lambda: uuid.uuid4().hex)

    # -- creating ------------------------------------------------------------------------------

    async def upload(
        self, caller: Caller, metadata: UploadMetadata, chunks: AsyncIterator[bytes]
    ) -> tuple[DatasetRecord, tuple[str, ...]]:
        require_role(caller, Role.TRADER)
        violations = _text_violations(metadata.display_name, metadata.request_id, "metadata.")
        violations += _timezone_violations(metadata.timezone)
        if violations:
            raise InvalidArgument("invalid upload metadata", violations)
        limit = self._upload_limits.get(caller.tier, min(self._upload_limits.values(), default=0))
        if metadata.size_bytes > limit:
            raise ResourceExhausted(
                f"the file ({metadata.size_bytes:,} bytes) is above the {limit:,}-byte limit"
            )
        with _scratch_file(self._artifacts) as scratch:
            async for chunk in chunks:
                if scratch.size_bytes + len(chunk) > limit:
                    raise ResourceExhausted(f"the file is above the {limit:,}-byte limit of the plan")
                scratch.write(chunk)
            scratch.flush()
            if scratch.size_bytes == 0:
                raise InvalidArgument("the file is empty", [FieldViolation("chunk", "no bytes were sent")])
            prepared = await asyncio.to_thread(prepare_upload, scratch.temporary_path, metadata)
        record = await self._keep(
            prepared,
            owner_id=caller.user_id,
            organization_id=caller.organization_id,
            display_name=metadata.display_name.strip(),
            request_id=metadata.request_id,
            generator=None,
        )
        return record, prepared.warnings

    async def generate(
        self,
        caller: Caller,
        spec: messages.SyntheticDatasetSpec,
        display_name: str,
        platform: bool,
        request_id: str,
    ) -> DatasetRecord:
        require_role(caller, Role.ADMIN if platform else Role.TRADER)
        violations = _text_violations(display_name, request_id)
        if violations:
            raise InvalidArgument("invalid request", violations)
        owner_id, organization_id = (
            (PLATFORM_OWNER, "") if platform else (caller.user_id, caller.organization_id)
        )
        return await self._generate(spec, display_name.strip(), owner_id, organization_id, request_id)

    async def _generate(
        self,
        spec_message: messages.SyntheticDatasetSpec,
        display_name: str,
        owner_id: str,
        organization_id: str,
        request_id: str,
    ) -> DatasetRecord:
        spec, filled = convert.spec_from_proto(spec_message)
        timeframe = convert.timeframe_code(filled.timeframe)
        prepared = await asyncio.to_thread(prepare_generated, spec, timeframe)
        return await self._keep(
            prepared,
            owner_id=owner_id,
            organization_id=organization_id,
            display_name=display_name,
            request_id=request_id,
            generator=filled.SerializeToString(deterministic=True),
        )

    async def ensure_platform_defaults(self) -> list[DatasetRecord]:
        """Create the default platform datasets that do not exist yet; returns those created now."""
        created = []
        for default in DEFAULTS:
            if await self._store.find_by_request_id(PLATFORM_OWNER, default.request_id) is None:
                record = await self._generate(
                    default.spec, default.display_name, PLATFORM_OWNER, "", default.request_id
                )
                created.append(record)
        return created

    async def _put(self, bars: CanonicalBars) -> tuple[str, int]:
        stored = await asyncio.to_thread(self._artifacts.put_chunks, encode(bars))
        return stored.digest, stored.size_bytes

    async def _keep(
        self,
        prepared: Prepared,
        *,
        owner_id: str,
        organization_id: str,
        display_name: str,
        request_id: str,
        generator: bytes | None,
    ) -> DatasetRecord:
        """Store the canonical file and its row (or return the earlier dataset of the same request)."""
        digest, size = await self._put(prepared.bars)
        summary = prepared.summary
        record = DatasetRecord(
            id=self._new_id(),
            owner_id=owner_id,
            organization_id=organization_id,
            display_name=display_name,
            source_format=prepared.source_format,
            timeframe=prepared.timeframe,
            symbols=tuple(prepared.bars.symbols),
            row_count=summary.row_count,
            start_ns=summary.start_ns,
            end_ns=summary.end_ns,
            content_hash=f"sha256:{digest}",
            artifact_digest=digest,
            size_bytes=size,
            generator=generator,
            request_id=request_id or None,
            create_time=self._clock(),
        )

        async def ensure_artifact() -> None:
            if not self._artifacts.exists(digest):  # a concurrent delete removed the shared file
                await self._put(prepared.bars)

        statistics = convert.statistics_to_proto(summary).SerializeToString()
        inserted = await self._store.insert(record, statistics, ensure_artifact)
        if inserted is not None:
            return inserted
        earlier = await self._store.find_by_request_id(owner_id, request_id)
        if earlier is None:
            raise Aborted("the dataset of this request_id was deleted meanwhile; retry")
        if earlier.content_hash != record.content_hash:
            await self._store.discard_if_unreferenced(digest, self._remove_file)
            raise AlreadyExists(
                RESOURCE, resource_name(earlier.id), "request_id was already used for different content"
            )
        return earlier

    def _remove_file(self, digest: str) -> None:
        self._artifacts.path(digest).unlink(missing_ok=True)

    # -- reading ---------------------------------------------------------------------------------

    async def get(self, caller: Caller, dataset_id: str) -> DatasetRecord:
        record = await self._store.get(dataset_id) if dataset_id else None
        if record is None or not (record.platform or can_read(caller, record.ownership)):
            raise NotFound(RESOURCE, resource_name(dataset_id))
        return record

    async def list(
        self, caller: Caller, *, page_size: int, page_token: str, scope: int, symbol: str, timeframe: str
    ) -> Page:
        owners = {
            messages.DATASET_SCOPE_OWN: (caller.user_id,),
            messages.DATASET_SCOPE_PLATFORM: (PLATFORM_OWNER,),
        }.get(scope, (caller.user_id, PLATFORM_OWNER))
        query = ListQuery(owners=owners, symbol=symbol, timeframe=timeframe)
        fingerprint = {"user": caller.user_id, "owners": owners, "symbol": symbol, "timeframe": timeframe}
        page = page_request(page_size, page_token, fingerprint, default=50, maximum=100)
        records, last_key = await self._store.list(query, page)
        return Page(records, next_page_token(last_key, fingerprint))

    async def statistics(self, caller: Caller, dataset_id: str) -> messages.DatasetStatistics:
        record = await self.get(caller, dataset_id)
        body = await self._store.statistics(record.id)
        if body is None:
            raise NotFound(RESOURCE, resource_name(dataset_id))
        return messages.DatasetStatistics.FromString(body)

    async def preview(
        self, caller: Caller, dataset_id: str, head_rows: int, tail_rows: int, symbol: str
    ) -> tuple[DatasetRecord, Preview]:
        violations = [
            FieldViolation(name, f"between 0 and {MAX_PREVIEW_ROWS}")
            for name, rows in (("head_rows", head_rows), ("tail_rows", tail_rows))
            if not 0 <= rows <= MAX_PREVIEW_ROWS
        ]
        if violations:
            raise InvalidArgument("too many preview rows", violations)
        if head_rows == 0 and tail_rows == 0:
            head_rows = tail_rows = DEFAULT_PREVIEW_ROWS
        record = await self.get(caller, dataset_id)
        path = self._artifacts.path(record.artifact_digest)
        return record, await asyncio.to_thread(preview, path, symbol, head_rows, tail_rows)

    async def read_bars(
        self, caller: Caller, dataset_id: str, window: BarWindow
    ) -> tuple[DatasetRecord, CanonicalBars]:
        """One symbol's bars in the window (InvalidArgument naming `symbol` for a bad one)."""
        record = await self.get(caller, dataset_id)
        path = self._artifacts.path(record.artifact_digest)
        bars = await asyncio.to_thread(
            read_time_range, path, window.symbol or None, window.start_ns, window.end_ns, window.max_bars
        )
        return record, bars

    # -- deleting --------------------------------------------------------------------------------

    async def delete(self, caller: Caller, dataset_id: str) -> None:
        record = await self.get(caller, dataset_id)
        if record.platform:
            if caller.role is not Role.ADMIN:
                raise PermissionDenied("platform datasets are deleted by admins")
        else:
            require_writable(caller, record.ownership, RESOURCE, resource_name(dataset_id))
        if not await self._store.delete(record, self._remove_file):
            raise NotFound(RESOURCE, resource_name(dataset_id))
