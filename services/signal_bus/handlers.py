"""gRPC handlers of the signal bus: protobuf <-> the facades, nothing else.

Subscribe and SubscribeBars yield responses already encoded (see `wire.py`); `service.py`
registers them with an identity serializer.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import grpc

from alphintra.signalbus.v1 import signal_bus_service_pb2 as messages
from alphintra.signalbus.v1 import signal_bus_service_pb2_grpc
from services.core.errors import AlphintraError, FieldViolation, InvalidArgument
from services.core.ownership import Caller, Role, require_role
from services.mesh.identity import current_caller
from services.signal_bus.app import SignalTopicApp, published
from services.signal_bus.bars import BarTopicApp
from services.signal_bus.history import HistoryApp
from services.signal_bus.log import Appended
from services.signal_bus.start import Start
from services.signal_bus.streams import Outcome, Pending, acknowledge_in_order, error_status

# signals one PublishSignals message may carry
MAX_BATCH_SIGNALS = 1_000

Context = grpc.aio.ServicerContext


class SignalBusHandlers(signal_bus_service_pb2_grpc.SignalBusServiceServicer):
    def __init__(self, signals: SignalTopicApp, bars: BarTopicApp, history: HistoryApp) -> None:
        self._signals = signals
        self._bars = bars
        self._history = history

    async def PublishSignal(
        self, request: messages.PublishSignalRequest, context: Context
    ) -> messages.PublishSignalResponse:
        result = await self._signals.publish(current_caller(), request.signal)
        return messages.PublishSignalResponse(
            offset=result.offset, duplicate=result.duplicate, signal=result.signal
        )

    async def PublishSignals(
        self, request_iterator: AsyncIterator[messages.PublishSignalsRequest], context: Context
    ) -> AsyncIterator[messages.PublishSignalsResponse]:
        caller = current_caller()
        require_role(caller, Role.TRADER)
        async for response in acknowledge_in_order(request_iterator, self._signal_outcome(caller)):
            yield response

    def _signal_outcome(
        self, caller: Caller
    ) -> Callable[[messages.PublishSignalsRequest], Outcome[messages.PublishSignalsResponse]]:
        def accept(request: messages.PublishSignalsRequest) -> Outcome[messages.PublishSignalsResponse]:
            if request.signals:
                return self._batch_outcome(caller, request)
            signal_id = request.signal.signal_id
            try:
                stored, pending = self._signals.submit(caller, request.signal)
            except AlphintraError as error:
                return messages.PublishSignalsResponse(signal_id=signal_id, error=error_status(error))

            def build(appended: Appended) -> messages.PublishSignalsResponse:
                result = published(stored, appended)
                return messages.PublishSignalsResponse(
                    signal_id=signal_id, offset=result.offset, duplicate=result.duplicate
                )

            return Pending(pending, build)

        return accept

    def _batch_outcome(
        self, caller: Caller, request: messages.PublishSignalsRequest
    ) -> Outcome[messages.PublishSignalsResponse]:
        """Every signal of a batch submitted at once (so they share the writer's durable writes);
        the response waits for all of them and acknowledges each, rejections in their place."""
        if request.HasField("signal"):
            error = InvalidArgument("send `signal` or `signals`, not both", [FieldViolation("signal", "set")])
            return messages.PublishSignalsResponse(error=error_status(error))
        if len(request.signals) > MAX_BATCH_SIGNALS:
            error = InvalidArgument(
                "too many signals in one message",
                [FieldViolation("signals", f"at most {MAX_BATCH_SIGNALS} per message")],
            )
            return messages.PublishSignalsResponse(error=error_status(error))
        try:
            batch = self._signals.submit_batch(caller, request.signals)
        except AlphintraError as error:  # e.g. the bus shutting down: the whole message is refused
            return messages.PublishSignalsResponse(error=error_status(error))
        signals = request.signals
        refusals = {index: error_status(error) for index, error in batch.refused}

        def build(appended: list[Appended]) -> messages.PublishSignalsResponse:
            # acks added in place: building each SignalAck apart and copying it in costs twice as much
            response = messages.PublishSignalsResponse()
            add = response.acks.add
            results = iter(appended)
            for index, signal in enumerate(signals):
                refusal = refusals.get(index)
                if refusal is not None:
                    add(signal_id=signal.signal_id, error=refusal)
                else:
                    result = next(results)
                    add(signal_id=signal.signal_id, offset=result.offset, duplicate=result.duplicate)
            return response

        if batch.pending is None:
            return build([])
        return Pending(batch.pending, build)  # type: ignore[arg-type]

    async def Subscribe(self, request: messages.SubscribeRequest, context: Context) -> AsyncIterator[bytes]:
        start = Start.of(request.WhichOneof("start"), request.from_offset, request.from_time)
        batches = await self._signals.subscribe(
            current_caller(), start, request.filter, request.max_batch_size
        )
        async for message in batches:
            yield message

    async def ListSignals(
        self, request: messages.ListSignalsRequest, context: Context
    ) -> messages.ListSignalsResponse:
        page = await self._history.list_signals(
            current_caller(),
            page_size=request.page_size,
            page_token=request.page_token,
            start_time=request.start_time if request.HasField("start_time") else None,
            end_time=request.end_time if request.HasField("end_time") else None,
            symbol=request.symbol,
            strategy_id=request.strategy_id,
            action=request.action,
        )
        return messages.ListSignalsResponse(
            signals=[messages.SignalRecord(offset=row.offset, signal=row.signal) for row in page.rows],
            next_page_token=page.next_page_token,
        )

    async def PublishBars(
        self, request_iterator: AsyncIterator[messages.PublishBarsRequest], context: Context
    ) -> AsyncIterator[messages.PublishBarsResponse]:
        self._bars.require_publisher(current_caller())
        async for response in acknowledge_in_order(request_iterator, self._bar_outcome):
            yield response

    def _bar_outcome(self, request: messages.PublishBarsRequest) -> Outcome[messages.PublishBarsResponse]:
        bar = request.bar
        try:
            pending = self._bars.submit(bar)
        except AlphintraError as error:
            return messages.PublishBarsResponse(error=error_status(error))

        def build(appended: Appended) -> messages.PublishBarsResponse:
            try:
                published_bar = self._bars.acknowledgement(bar, appended)
            except AlphintraError as error:
                return messages.PublishBarsResponse(error=error_status(error))
            return messages.PublishBarsResponse(
                offset=published_bar.offset, duplicate=published_bar.duplicate
            )

        return Pending(pending, build)

    async def SubscribeBars(
        self, request: messages.SubscribeBarsRequest, context: Context
    ) -> AsyncIterator[bytes]:
        start = Start.of(request.WhichOneof("start"), request.from_offset, request.from_time)
        current_caller()  # bars are shared, but only with callers who present an identity
        batches = await self._bars.subscribe(
            list(request.symbols), request.timeframe, start, request.max_batch_size
        )
        async for message in batches:
            yield message
