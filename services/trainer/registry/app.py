"""The model registry's transport-free facade: what each RPC means, with its rules.

Models are owned: the owner reads and changes them, an admin of the same organisation may read
them, everyone else gets NOT_FOUND. Versions are immutable once created; aliases move and every
move is recorded and published (`events`). Artifacts live in the content-addressed store and are
checked (a loadable ONNX model whose bytes match the digest) before a version may point at them.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import datetime

import onnx

from alphintra.trainer.v1 import model_registry_service_pb2 as messages
from services.core.errors import (
    AlreadyExists,
    FailedPrecondition,
    FieldViolation,
    InvalidArgument,
    NotFound,
    OutOfRange,
)
from services.core.ownership import Caller, Ownership, Role, require_readable, require_role, require_writable
from services.core.paging import next_page_token, page_request
from services.mesh.artifacts import ArtifactMissing, ArtifactStore
from services.trainer.registry import rules
from services.trainer.registry.events import AliasEvents
from services.trainer.registry.store import RegistryStore, RequestReplayed, StoredModel

CHUNK_BYTES = 1 << 20
RETRAINING_ACTOR = "retraining"


class ArtifactCorrupted(Exception):
    """The stored bytes no longer match their digest (DATA_LOSS)."""


@dataclass(frozen=True, slots=True)
class Page:
    items: list
    next_page_token: str


def _model_name(name: str) -> str:
    return f"registry/models/{name}"


class RegistryApp:
    def __init__(
        self,
        store: RegistryStore,
        artifacts: ArtifactStore,
        events: AliasEvents,
        clock: Callable[[], datetime],
    ) -> None:
        self._store = store
        self._artifacts = artifacts
        self._events = events
        self._clock = clock

    async def _readable(self, caller: Caller, name: str) -> StoredModel:
        stored = await self._store.get_model(name) if name else None
        if stored is None:
            raise NotFound("model", _model_name(name))
        require_readable(caller, stored.ownership, "model", _model_name(name))
        return stored

    async def _writable(self, caller: Caller, name: str) -> StoredModel:
        stored = await self._readable(caller, name)
        require_writable(caller, stored.ownership, "model", _model_name(name))
        return stored

    # -- models ----------------------------------------------------------------------------

    async def create_model(self, caller: Caller, model: messages.Model, request_id: str) -> messages.Model:
        require_role(caller, Role.TRADER)
        rules.check_model_name(model.model_name, "model.model_name")
        rules.check_request_id(request_id)
        if len(model.description) > rules.MAX_DESCRIPTION:
            raise InvalidArgument(
                "description too long", [FieldViolation("model.description", "at most 10000 characters")]
            )
        if request_id:
            earlier = await self._store.model_by_request(caller.user_id, request_id)
            if earlier is not None:
                return earlier.model
        body = messages.Model(description=model.description, tags=model.tags)
        body.model_name = model.model_name
        created = await self._store.create_model(
            body, Ownership(caller.user_id, caller.organization_id), request_id or None, self._clock()
        )
        if not created:
            earlier = await self._store.model_by_request(caller.user_id, request_id) if request_id else None
            if earlier is not None:
                return earlier.model
            raise AlreadyExists("model", _model_name(model.model_name))
        return (await self._readable(caller, model.model_name)).model

    async def get_model(self, caller: Caller, name: str) -> messages.Model:
        return (await self._readable(caller, name)).model

    async def list_models(self, caller: Caller, page_size: int, page_token: str, query: str) -> Page:
        page = page_request(page_size, page_token, {"query": query}, default=50)
        organization = caller.organization_id if caller.role is Role.ADMIN else ""
        after = page.after[0] if page.after else None
        rows = await self._store.list_models(caller.user_id, organization, query, after, page.size + 1)
        items = [row.model for row in rows[: page.size]]
        more = len(rows) > page.size
        return Page(items, next_page_token((items[-1].model_name,), {"query": query}) if more else "")

    # -- versions --------------------------------------------------------------------------

    async def create_version(
        self,
        caller: Caller,
        model_name: str,
        version: messages.ModelVersion,
        content: bytes,
        request_id: str,
        *,
        training_job: bytes | None = None,
    ) -> messages.ModelVersion:
        await self._writable(caller, model_name)
        rules.check_request_id(request_id)
        violations = rules.version_violations(version)
        if not content and not version.artifact.digest:
            violations.append(
                FieldViolation("model_version.artifact.digest", "give a digest or artifact_content")
            )
        if violations:
            raise InvalidArgument("invalid model version", violations)
        if request_id:
            earlier = await self._store.version_by_request(model_name, request_id)
            if earlier is not None:
                return await self.get_version(caller, model_name, earlier, "")
        digest, size, opset = await asyncio.to_thread(self._stored_artifact, version, content)
        body = messages.ModelVersion()
        body.CopyFrom(version)
        body.owner_id = caller.user_id
        body.artifact.digest = rules.DIGEST_PREFIX + digest
        body.artifact.size_bytes = size
        body.artifact.format = "onnx"
        body.artifact.onnx_opset = opset
        for field in ("name", "model_name", "version", "aliases", "create_time"):
            body.ClearField(field)
        try:
            number = await self._store.create_version(
                model_name, body, training_job, request_id or None, self._clock()
            )
        except RequestReplayed as replay:
            number = replay.version
        return await self.get_version(caller, model_name, number, "")

    def _stored_artifact(self, version: messages.ModelVersion, content: bytes) -> tuple[str, int, int]:
        """The artifact's digest, size and opset, once it is in the store and loads as ONNX."""
        given = rules.digest_hex(version.artifact.digest) if version.artifact.digest else None
        if content:
            stored = self._artifacts.put_bytes(content)
            if given is not None and given != stored.digest:
                raise InvalidArgument(
                    "digest mismatch",
                    [FieldViolation("model_version.artifact.digest", "does not match artifact_content")],
                )
            digest = stored.digest
        else:
            digest = given or ""
            if not self._artifacts.exists(digest):
                raise NotFound("artifact", rules.DIGEST_PREFIX + digest)
        path = self._artifacts.path(digest)
        try:
            model = onnx.load(str(path))
            onnx.checker.check_model(model)
        except Exception as error:  # any failure to load means: not a loadable ONNX model
            raise InvalidArgument(
                "the artifact is not a loadable ONNX model",
                [
                    FieldViolation(
                        "artifact_content" if content else "model_version.artifact.digest", str(error)[:300]
                    )
                ],
            ) from None
        opset = next((entry.version for entry in model.opset_import if entry.domain in ("", "ai.onnx")), 0)
        return digest, path.stat().st_size, opset

    async def _resolve(self, model_name: str, version: int, alias: str) -> int:
        if alias:
            found = await self._store.alias_version(model_name, alias)
            if found is None:
                raise NotFound("alias", f"{_model_name(model_name)}/aliases/{alias}")
            return found
        return version

    async def get_version(
        self, caller: Caller, model_name: str, version: int, alias: str
    ) -> messages.ModelVersion:
        await self._readable(caller, model_name)
        number = await self._resolve(model_name, version, alias)
        stored = await self._store.get_version(model_name, number)
        if stored is None:
            raise NotFound("model version", f"{_model_name(model_name)}/versions/{number}")
        return stored.version

    async def training_job_of(self, model_name: str, version: int) -> bytes | None:
        stored = await self._store.get_version(model_name, version)
        return stored.training_job if stored else None

    async def list_versions(self, caller: Caller, model_name: str, page_size: int, page_token: str) -> Page:
        await self._readable(caller, model_name)
        page = page_request(page_size, page_token, {"model": model_name})
        before = int(page.after[0]) if page.after else None
        rows = await self._store.list_versions(model_name, before, page.size + 1)
        items = [row.version for row in rows[: page.size]]
        for item in items:
            item.ClearField("reference_distributions")
        more = len(rows) > page.size
        return Page(items, next_page_token((items[-1].version,), {"model": model_name}) if more else "")

    # -- aliases ---------------------------------------------------------------------------

    async def set_alias(
        self, caller: Caller, model_name: str, alias: str, version: int, *, expected: int, reason: str
    ) -> messages.AliasChange:
        rules.check_alias(alias)
        if version <= 0:
            raise InvalidArgument("invalid version", [FieldViolation("version", "a version number ≥ 1")])
        stored = await self._writable(caller, model_name)
        return await self._change(
            stored, alias, version, expected=expected, actor=caller.user_id, reason=reason
        )

    async def promote(self, model_name: str, alias: str, version: int, reason: str) -> messages.AliasChange:
        """A scheduled retraining's promotion (the system acts for the owner)."""
        stored = await self._store.get_model(model_name)
        if stored is None:
            raise NotFound("model", _model_name(model_name))
        return await self._change(stored, alias, version, expected=0, actor=RETRAINING_ACTOR, reason=reason)

    async def delete_alias(
        self, caller: Caller, model_name: str, alias: str, reason: str
    ) -> messages.AliasChange:
        rules.check_alias(alias)
        stored = await self._writable(caller, model_name)
        return await self._change(stored, alias, None, expected=0, actor=caller.user_id, reason=reason)

    async def rollback_alias(
        self, caller: Caller, model_name: str, alias: str, expected: int, reason: str
    ) -> messages.AliasChange:
        rules.check_alias(alias)
        stored = await self._writable(caller, model_name)
        return await self._change(
            stored,
            alias,
            None,
            expected=expected,
            actor=caller.user_id,
            reason=reason or "rollback",
            rollback=True,
        )

    async def _change(
        self, stored: StoredModel, alias: str, version: int | None, *, expected: int, actor: str, reason: str,
        rollback: bool = False,
    ) -> messages.AliasChange:  # fmt: skip
        name = stored.model.model_name
        change = await self._store.change_alias(
            name, alias, version, expected=expected, actor_id=actor, reason=reason[:1000], now=self._clock(),
            rollback=rollback,
        )  # fmt: skip
        digest = ""
        if change.version:
            target = await self._store.get_version(name, change.version)
            digest = target.version.artifact.digest if target else ""
        await self._events.published(stored.ownership.owner_id, name, change, digest)
        return change

    async def alias_history(
        self, caller: Caller, model_name: str, alias: str, page_size: int, page_token: str
    ) -> Page:
        rules.check_alias(alias)
        await self._readable(caller, model_name)
        query = {"model": model_name, "alias": alias}
        page = page_request(page_size, page_token, query)
        before = int(page.after[0]) if page.after else None
        rows = await self._store.alias_history(model_name, alias, before, page.size + 1)
        items = rows[: page.size]
        more = len(rows) > page.size
        return Page([change for _, change in items], next_page_token((items[-1][0],), query) if more else "")

    # -- lineage and artifacts -------------------------------------------------------------

    async def lineage(
        self, caller: Caller, model_name: str, version: int
    ) -> messages.GetModelLineageResponse:
        await self._readable(caller, model_name)
        stored = await self._store.get_version(model_name, version)
        if stored is None:
            raise NotFound("model version", f"{_model_name(model_name)}/versions/{version}")
        response = messages.GetModelLineageResponse(lineage=stored.version.lineage)
        parent, seen = stored.version.lineage.parent_version, {version}
        while parent and parent not in seen:
            seen.add(parent)
            ancestor = await self._store.get_version(model_name, parent)
            if ancestor is None:
                break
            entry = response.ancestors.add(version=parent, lineage=ancestor.version.lineage)
            entry.create_time.CopyFrom(ancestor.version.create_time)
            parent = ancestor.version.lineage.parent_version
        return response

    async def download(
        self, caller: Caller, model_name: str, version: int, alias: str, offset: int
    ) -> AsyncIterator[messages.DownloadModelArtifactResponse]:
        found = await self.get_version(caller, model_name, version, alias)
        digest = rules.digest_hex(found.artifact.digest)
        try:
            size = self._artifacts.path(digest).stat().st_size
        except FileNotFoundError:
            raise ArtifactCorrupted(
                f"the artifact of version {found.version} is missing from the store"
            ) from None
        if not 0 <= offset <= size:
            raise OutOfRange(f"offset {offset} is beyond the artifact's {size} bytes")
        if not await asyncio.to_thread(self._intact, digest):
            raise ArtifactCorrupted(
                f"the stored artifact of version {found.version} no longer matches its digest"
            )
        return self._chunks(digest, size, offset, found)

    def _intact(self, digest: str) -> bool:
        hasher = hashlib.sha256()
        try:
            for chunk in self._artifacts.read_chunks(digest):
                hasher.update(chunk)
        except ArtifactMissing:
            return False
        return hasher.hexdigest() == digest

    async def _chunks(
        self, digest: str, size: int, offset: int, found: messages.ModelVersion
    ) -> AsyncIterator[messages.DownloadModelArtifactResponse]:
        with self._artifacts.open(digest) as file:
            file.seek(offset)
            first = True
            position = offset
            while True:
                chunk = await asyncio.to_thread(file.read, CHUNK_BYTES)
                if not chunk and not first:
                    return
                message = messages.DownloadModelArtifactResponse(offset=position, chunk=chunk)
                if first:
                    message.digest = found.artifact.digest
                    message.total_size_bytes = size
                    message.version = found.version
                    first = False
                position += len(chunk)
                yield message
                if not chunk:
                    return

    # -- retraining ------------------------------------------------------------------------

    async def set_schedule(
        self, caller: Caller, model_name: str, schedule: messages.RetrainingSchedule
    ) -> messages.Model:
        stored = await self._writable(caller, model_name)
        kept = messages.RetrainingSchedule()
        kept.CopyFrom(schedule)
        for field in ("next_run_time", "last_run_time", "last_job_id"):
            kept.ClearField(field)
        previous = stored.model.retraining_schedule
        kept.last_job_id = previous.last_job_id
        if previous.HasField("last_run_time"):
            kept.last_run_time.CopyFrom(previous.last_run_time)
        kept.alias = kept.alias or "production"
        rules.check_schedule(kept)
        owner = await self._store.dataset_owner(kept.dataset_id)
        if owner is None or owner not in ("", caller.user_id):
            raise NotFound("dataset", f"datasets/{kept.dataset_id}")
        current = stored.model.aliases.get(kept.alias)
        if current is None or not await self.training_job_of(model_name, current):
            raise FailedPrecondition(
                f"alias {kept.alias!r} does not point at a version trained by a job: nothing to repeat"
            )
        next_run = None
        if kept.enabled:
            next_run = rules.next_run(kept, self._clock())
            kept.next_run_time.FromDatetime(next_run)
        await self._store.set_schedule(model_name, kept, next_run, self._clock())
        return (await self._readable(caller, model_name)).model
