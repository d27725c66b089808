"""The job service's facade: what each TrainingService call does, transport-free.

Every read goes through the one ownership rule (`services.core.ownership`): the owner sees their
jobs, an admin of the same organisation may read them, nobody else learns they exist.
"""

from __future__ import annotations

import asyncio
import hashlib
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Generic, TypeVar

import asyncpg

from alphintra.trainer.v1 import training_service_pb2 as messages
from services.core.errors import AlreadyExists, FailedPrecondition, NotFound, OutOfRange, ResourceExhausted
from services.core.ownership import Caller, Ownership, Role, require_readable, require_role, require_writable
from services.core.paging import next_page_token, page_request
from services.trainer.jobs import events, kinds
from services.trainer.jobs.doorbell import Doorbell, wait_for
from services.trainer.jobs.events import NAME_OF_STATE, TERMINAL_STATES
from services.trainer.jobs.limits import limits_of
from services.trainer.jobs.rows import EVENTS_CHANNEL, job_from_row, summary_of
from services.trainer.jobs.store import JobFilter, JobStore, NewJob
from services.trainer.jobs.validation import validate_job

T = TypeVar("T")

WATCH_BATCH = 500
# how long CancelJob waits for a running job to reach CANCELLED before answering
CANCEL_WAIT_SECONDS = 2.0
CANCEL_POLL_SECONDS = 0.05


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    items: list[T]
    next_page_token: str


@dataclass(frozen=True, slots=True)
class Provenance:
    """Where a job came from, when a workflow started it."""

    workflow_id: str = ""
    workflow_version: int = 0


def request_hash(job: messages.Job) -> str:
    return hashlib.sha256(job.SerializeToString(deterministic=True)).hexdigest()


class JobsApp:
    def __init__(
        self,
        store: JobStore,
        doorbell: Doorbell,
        clock: Callable[[], datetime],
        *,
        poll_seconds: float = 2.0,
        validators: dict[int, str] | None = None,
        new_id: Callable[[], str] | None = None,
    ) -> None:
        self._store = store
        self._doorbell = doorbell
        self._clock = clock
        self._poll_seconds = poll_seconds
        self._validators = kinds.VALIDATORS if validators is None else validators
        self._new_id = new_id or (lambda: uuid.uuid4().hex)

    async def create(
        self, caller: Caller, job: messages.Job, request_id: str, provenance: Provenance = Provenance()
    ) -> messages.Job:
        require_role(caller, Role.TRADER)
        limits = limits_of(caller.tier)
        accepted = validate_job(job, limits, validators=self._validators)
        accepted.definition.workflow_id = provenance.workflow_id
        accepted.definition.workflow_version = provenance.workflow_version
        fingerprint = request_hash(accepted.definition)
        if request_id:
            earlier = await self._store.find_by_request(caller.user_id, request_id)
            if earlier is not None:
                return _same_request(earlier, fingerprint, request_id)
        if await self._store.count_active(caller.user_id) >= limits.concurrent_jobs:
            raise ResourceExhausted(
                f"this plan runs at most {limits.concurrent_jobs} queued or running jobs at once; "
                "wait for one to finish or cancel one",
                retry_after_seconds=30.0,
            )
        new = NewJob(
            job_id=self._new_id(),
            ownership=Ownership(caller.user_id, caller.organization_id),
            accepted=accepted,
            request_id=request_id,
            request_hash=fingerprint,
        )
        row = await self._store.insert(new, self._clock())
        if row is None:  # the same request_id won a race a moment ago
            earlier = await self._store.find_by_request(caller.user_id, request_id)
            assert earlier is not None
            return _same_request(earlier, fingerprint, request_id)
        return job_from_row(row)

    async def _readable(self, caller: Caller, job_id: str) -> asyncpg.Record:
        row = await self._store.get(job_id) if job_id else None
        if row is None:
            raise NotFound("job", f"jobs/{job_id}")
        require_readable(caller, Ownership(row["owner_id"], row["organization_id"]), "job", f"jobs/{job_id}")
        return row

    async def get(self, caller: Caller, job_id: str) -> messages.Job:
        return job_from_row(await self._readable(caller, job_id))

    async def list(
        self, caller: Caller, *, page_size: int, page_token: str, state: int, kind: int, workflow_id: str
    ) -> Page[messages.Job]:
        query = {"state": state, "kind": kind, "workflow_id": workflow_id}
        page = page_request(page_size, page_token, query)
        where = JobFilter(
            visible_to_user=caller.user_id,
            visible_to_organization=caller.organization_id if caller.role is Role.ADMIN else "",
            state=NAME_OF_STATE.get(state, ""),
            kind=kind,
            workflow_id=workflow_id,
        )
        rows, last_key = await self._store.list(where, page)
        jobs = [summary_of(job_from_row(row)) for row in rows]
        return Page(jobs, next_page_token(last_key, query))

    async def cancel(self, caller: Caller, job_id: str, reason: str) -> messages.Job:
        row = await self._readable(caller, job_id)
        require_writable(caller, Ownership(row["owner_id"], row["organization_id"]), "job", f"jobs/{job_id}")
        if row["state"] in ("succeeded", "failed"):
            raise FailedPrecondition(
                f"job jobs/{job_id} already {row['state']}; only queued or running jobs can be cancelled",
                [("STATE", f"jobs/{job_id}", f"the job {row['state']}")],
            )
        if row["state"] == "cancelled":
            return job_from_row(row)
        row = await self._store.cancel(job_id, reason, self._clock())
        # a running job stops within a second: answer with its final state when it comes in time
        waited = 0.0
        while row["state"] == "running" and waited < CANCEL_WAIT_SECONDS:
            await asyncio.sleep(CANCEL_POLL_SECONDS)
            waited += CANCEL_POLL_SECONDS
            row = await self._store.get(job_id)
            assert row is not None
        return job_from_row(row)

    async def watch(
        self, caller: Caller, job_id: str, from_sequence: int
    ) -> AsyncIterator[messages.JobEvent]:
        """The stored events from `from_sequence`, then live ones, until the terminal state change."""
        row = await self._readable(caller, job_id)
        next_sequence = max(1, from_sequence)
        if row["state"] in TERMINAL_STATES and next_sequence > row["last_sequence"] + 1:
            raise OutOfRange(
                f"job jobs/{job_id} ended at event {row['last_sequence']}; "
                f"from_sequence {from_sequence} is past it"
            )
        with self._doorbell.subscription(EVENTS_CHANNEL, job_id) as rung:
            while True:
                batch = await self._store.events(job_id, next_sequence, WATCH_BATCH)
                for event in batch:
                    yield event
                    next_sequence = event.sequence + 1
                    if events.is_terminal(event):
                        return
                if batch:
                    continue
                row = await self._store.get(job_id)
                if row is None or (row["state"] in TERMINAL_STATES and next_sequence > row["last_sequence"]):
                    return
                await wait_for(rung, self._poll_seconds)

    async def logs(
        self, caller: Caller, job_id: str, *, page_size: int, page_token: str, minimum_level: int
    ) -> Page[messages.JobEvent]:
        await self._readable(caller, job_id)
        query = {"job_id": job_id, "minimum_level": minimum_level}
        page = page_request(page_size, page_token, query, default=200, maximum=1000)
        after = int(page.after[0]) if page.after else 0
        lines = list(await self._store.logs(job_id, after, minimum_level, page.size + 1))
        more = len(lines) > page.size
        lines = lines[: page.size]
        return Page(lines, next_page_token((lines[-1].sequence,) if more else None, query))


def _same_request(earlier: asyncpg.Record, fingerprint: str, request_id: str) -> messages.Job:
    if earlier["request_hash"] != fingerprint:
        raise AlreadyExists(
            "request",
            request_id,
            f"request_id {request_id!r} was used for a different job (jobs/{earlier['id']})",
        )
    return job_from_row(earlier)
