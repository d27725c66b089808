"""Dynamic batching: every concurrent request and stream of one model version shares one queue.

Greedy by default: a drain is scheduled with `call_soon` when the first item arrives, so it
runs once the loop has handled everything already ready (other streams' messages decoded in
the same turn), and takes whatever is queued up to `max_rows`. No timer means no added
latency at low load; under load, batches grow by themselves (PREDICTOR-NOTES.md: −15 % CPU
per streamed message). A positive `max_delay` waits up to that long after the oldest item for
company instead.

`inline` runs onnxruntime on the event loop: for small models (tens of µs a call) that is
cheaper than any hand-off. `thread` runs each batch in the default executor (onnxruntime
releases the GIL), one batch in flight per version, for models where a call takes well over
half a millisecond.

A batch that fails is retried item by item, so one bad request fails alone and the requests
of other callers that happened to share its batch are still answered.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from services.core.errors import ResourceExhausted, Unavailable
from services.predictor.metrics import VersionMetrics
from services.predictor.onnx_model import OnnxModel

Outputs = list[np.ndarray]


class InferenceFailed(Exception):
    """onnxruntime raised while running this request's rows."""


@dataclass(slots=True)
class _Pending:
    rows: np.ndarray
    future: asyncio.Future[Outputs]
    queued_at: float


@dataclass(slots=True)
class _EachItem:
    """A failed batch retried item by item: one answer (outputs or error) per item."""

    answers: list[Outputs | BaseException]


class Batcher:
    def __init__(
        self,
        model: OnnxModel,
        *,
        max_rows: int,
        max_delay_seconds: float,
        max_queued_rows: int,
        threaded: bool,
        metrics: VersionMetrics,
        observe: Callable[[np.ndarray], None] | None = None,
    ) -> None:
        self._model = model
        self._max_rows = max_rows
        self._max_delay = max_delay_seconds
        self._max_queued_rows = max_queued_rows
        self._threaded = threaded
        self._metrics = metrics
        self._observe = observe
        self._queue: deque[_Pending] = deque()
        self._queued_rows = 0
        self._handle: asyncio.Handle | None = None
        self._running = False
        self._closed = False
        self._idle = asyncio.Event()
        self._idle.set()
        self._loop = asyncio.get_running_loop()

    @property
    def queued_rows(self) -> int:
        return self._queued_rows

    def submit(self, rows: np.ndarray) -> asyncio.Future[Outputs]:
        """Queue `rows` (float32 [n, features]); the future resolves to the outputs for those rows."""
        if self._closed:
            raise Unavailable("this model version is being unloaded", retry_after_seconds=0.01)
        count = rows.shape[0]
        if self._queue and self._queued_rows + count > self._max_queued_rows:
            self._metrics.overloaded.inc()
            raise ResourceExhausted(
                f"the batching queue holds {self._queued_rows} rows; back off", retry_after_seconds=0.05
            )
        future: asyncio.Future[Outputs] = self._loop.create_future()
        self._queue.append(_Pending(rows, future, time.perf_counter()))
        self._queued_rows += count
        self._idle.clear()
        self._schedule()
        return future

    def _schedule(self) -> None:
        if self._handle is not None or self._running or not self._queue:
            return
        if self._max_delay > 0 and self._queued_rows < self._max_rows:
            waited = time.perf_counter() - self._queue[0].queued_at
            self._handle = self._loop.call_later(max(self._max_delay - waited, 0.0), self._drain)
        else:
            self._handle = self._loop.call_soon(self._drain)

    def _take(self) -> list[_Pending]:
        batch = [self._queue.popleft()]
        rows = batch[0].rows.shape[0]
        while self._queue and rows + self._queue[0].rows.shape[0] <= self._max_rows:
            item = self._queue.popleft()
            rows += item.rows.shape[0]
            batch.append(item)
        self._queued_rows -= rows
        return batch

    def _drain(self) -> None:
        self._handle = None
        if not self._queue:
            return
        batch = self._take()
        rows = batch[0].rows if len(batch) == 1 else np.concatenate([item.rows for item in batch])
        started = time.perf_counter()
        for item in batch:
            self._metrics.queue_delay.observe(started - item.queued_at)
        self._metrics.batch_rows.observe(rows.shape[0])
        if self._threaded:
            self._running = True
            self._loop.create_task(self._run_in_thread(batch, rows, started))
            return
        self._complete(batch, rows, self._run(batch, rows), started)
        self._after_batch()

    async def _run_in_thread(self, batch: list[_Pending], rows: np.ndarray, started: float) -> None:
        try:
            outputs = await asyncio.to_thread(self._run, batch, rows)
            self._complete(batch, rows, outputs, started)
        finally:
            self._running = False
            self._after_batch()

    def _run(self, batch: list[_Pending], rows: np.ndarray) -> Outputs | _EachItem:
        """The batch's outputs, or (when it failed) each item's own outputs or error."""
        try:
            return self._model.run(rows)
        except Exception as error:  # onnxruntime's exception types are not part of its API
            if len(batch) == 1:
                return _EachItem([InferenceFailed(str(error))])
        answers: list[Outputs | BaseException] = []
        for item in batch:
            try:
                answers.append(self._model.run(item.rows))
            except Exception as error:  # as above
                answers.append(InferenceFailed(str(error)))
        return _EachItem(answers)

    def _complete(
        self, batch: list[_Pending], rows: np.ndarray, result: Outputs | _EachItem, started: float
    ) -> None:
        self._metrics.inference_seconds.observe(time.perf_counter() - started)
        if isinstance(result, _EachItem):
            for item, answer in zip(batch, result.answers, strict=True):
                _resolve(item.future, answer)
            return
        if len(batch) == 1:
            _resolve(batch[0].future, result)
        else:
            start = 0
            for item in batch:
                end = start + item.rows.shape[0]
                _resolve(item.future, [output[start:end] for output in result])
                start = end
        if self._observe is not None:
            self._observe(rows)

    def _after_batch(self) -> None:
        if self._queue:
            self._schedule()
        elif not self._running:
            self._idle.set()

    async def close(self) -> None:
        """Stop taking requests and wait for the queued ones to be answered (in-flight requests
        finish on the version they started on)."""
        self._closed = True
        self._schedule()
        await self._idle.wait()


def _resolve(future: asyncio.Future[Outputs], answer: Outputs | BaseException) -> None:
    if future.done():  # the caller went away (cancelled)
        return
    if isinstance(answer, BaseException):
        future.set_exception(answer)
    else:
        future.set_result(answer)
