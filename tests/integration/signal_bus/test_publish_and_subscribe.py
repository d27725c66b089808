"""Publishing and subscribing on real Redis: idempotency, validation, ordered stream acks, visibility."""

import asyncio
import time

import grpc
import pytest
from google.rpc import error_details_pb2
from grpc_status import rpc_status
from prometheus_client import REGISTRY

from alphintra.signalbus.v1 import signal_bus_service_pb2 as messages
from alphintra.signalbus.v1 import signal_pb2
from tests.integration.signal_bus.conftest import ACME_ADMIN, BOB, BOTH_ENGINES, EVE, VIEWER, As, make_signal
from tests.integration.signal_bus.streaming import collect

pytestmark = [pytest.mark.integration, BOTH_ENGINES]


def _violations(error: grpc.aio.AioRpcError) -> set[str]:
    status = rpc_status.from_call(error)
    fields = set()
    for detail in status.details:
        if detail.Is(error_details_pb2.BadRequest.DESCRIPTOR):
            bad_request = error_details_pb2.BadRequest()
            detail.Unpack(bad_request)
            fields |= {violation.field for violation in bad_request.field_violations}
    return fields


async def _publish(stub, signal):
    return await stub.PublishSignal(messages.PublishSignalRequest(signal=signal))


async def test_a_published_signal_is_stored_with_its_owner_and_a_timestamp(as_alice):
    reply = await _publish(as_alice, make_signal("s-1"))
    assert reply.offset
    assert not reply.duplicate
    assert reply.signal.owner_id == "alice"
    assert reply.signal.timestamp.seconds > 0
    received = await collect(as_alice.Subscribe(messages.SubscribeRequest(from_offset="0-0")), 1)
    assert received.signal_ids == ["s-1"]
    assert received.offsets == [reply.offset]


async def test_publishing_an_id_twice_stores_and_delivers_it_once(as_alice):
    first = await _publish(as_alice, make_signal("dup", confidence=0.9))
    again = await _publish(as_alice, make_signal("dup", confidence=0.1))
    assert again.duplicate
    assert again.offset == first.offset
    assert again.signal == first.signal  # the first acknowledgement, the first copy
    await _publish(as_alice, make_signal("after"))
    received = await collect(as_alice.Subscribe(messages.SubscribeRequest(from_offset="0-0")), 2)
    assert received.signal_ids == ["dup", "after"]


async def test_the_same_id_from_another_owner_is_another_signal(stub, as_alice):
    await _publish(as_alice, make_signal("shared-id"))
    reply = await _publish(As(stub, BOB), make_signal("shared-id"))
    assert not reply.duplicate


async def test_an_invalid_signal_names_every_field_and_is_not_stored(as_alice):
    bad = make_signal("", confidence=1.5, action=signal_pb2.ACTION_BUY, price_target=100, stop_loss=120)
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await _publish(as_alice, bad)
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert _violations(caught.value) == {"signal.signal_id", "signal.confidence", "signal.stop_loss"}
    await _publish(as_alice, make_signal("valid"))
    received = await collect(as_alice.Subscribe(messages.SubscribeRequest(from_offset="0-0")), 1)
    assert received.signal_ids == ["valid"]


async def test_a_viewer_may_not_publish(stub):
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await _publish(As(stub, VIEWER), make_signal("v"))
    assert caught.value.code() == grpc.StatusCode.PERMISSION_DENIED


async def test_a_publish_stream_acknowledges_in_order_and_answers_a_bad_signal_in_its_place(as_alice):
    signals = [make_signal(f"st-{index}") for index in range(50)]
    signals[10] = make_signal("st-bad", confidence=-1)
    signals[20] = make_signal("st-5")  # a duplicate of an earlier one in the same stream

    async def requests():
        for signal in signals:
            yield messages.PublishSignalsRequest(signal=signal)

    acks = [ack async for ack in as_alice.PublishSignals(requests())]
    assert [ack.signal_id for ack in acks] == [signal.signal_id for signal in signals]
    assert acks[10].error.code == grpc.StatusCode.INVALID_ARGUMENT.value[0]
    assert not acks[10].offset
    assert acks[20].duplicate
    assert acks[20].offset == acks[5].offset
    stored = [ack for index, ack in enumerate(acks) if index not in (10, 20)]
    assert all(ack.offset and not ack.duplicate for ack in stored)
    received = await collect(as_alice.Subscribe(messages.SubscribeRequest(from_offset="0-0")), 48)
    assert received.offsets == [ack.offset for ack in stored]


async def test_a_batch_message_acknowledges_each_signal_in_order_with_rejections_in_place(as_alice):
    signals = [make_signal(f"batch-{index}") for index in range(300)]
    signals[7] = make_signal("batch-bad", confidence=2.0)
    signals[9] = make_signal("batch-3")  # a duplicate within the batch

    async def requests():
        yield messages.PublishSignalsRequest(signals=signals[:150])
        yield messages.PublishSignalsRequest(signals=signals[150:])
        yield messages.PublishSignalsRequest(signal=make_signal("single"))

    replies = [reply async for reply in as_alice.PublishSignals(requests())]
    assert len(replies) == 3
    acks = [*replies[0].acks, *replies[1].acks]
    assert [ack.signal_id for ack in acks] == [signal.signal_id for signal in signals]
    assert acks[7].error.code == grpc.StatusCode.INVALID_ARGUMENT.value[0]
    assert "signals[7].confidence" in str(acks[7].error)
    assert acks[9].duplicate
    assert acks[9].offset == acks[3].offset
    assert replies[2].signal_id == "single"
    assert replies[2].offset
    stored = [ack for index, ack in enumerate(acks) if index not in (7, 9)]
    received = await collect(
        as_alice.Subscribe(messages.SubscribeRequest(from_offset="0-0")), len(stored) + 1
    )
    assert received.offsets == [ack.offset for ack in stored] + [replies[2].offset]


async def test_a_batch_of_only_invalid_signals_is_answered_per_signal_and_stores_nothing(as_alice):
    signals = [make_signal("none-0", confidence=-1), make_signal("none-1", symbol=" padded ")]

    async def requests():
        yield messages.PublishSignalsRequest(signals=signals)

    (reply,) = [reply async for reply in as_alice.PublishSignals(requests())]
    assert [ack.signal_id for ack in reply.acks] == ["none-0", "none-1"]
    assert [ack.error.code for ack in reply.acks] == [grpc.StatusCode.INVALID_ARGUMENT.value[0]] * 2
    assert "signals[0].confidence" in str(reply.acks[0].error)
    assert "signals[1].symbol" in str(reply.acks[1].error)
    assert not any(ack.offset for ack in reply.acks)
    # stored nothing: a subscription from the start reaches its caught-up batch without them
    call = as_alice.Subscribe(messages.SubscribeRequest(from_offset="0-0"))
    first = await asyncio.wait_for(call.read(), 5)
    call.cancel()
    assert list(first.signals) == []


async def test_a_batch_with_both_forms_or_too_many_signals_is_refused_whole(as_alice):
    async def requests():
        yield messages.PublishSignalsRequest(signal=make_signal("a"), signals=[make_signal("b")])
        yield messages.PublishSignalsRequest(signals=[make_signal(f"many-{index}") for index in range(1_001)])

    replies = [reply async for reply in as_alice.PublishSignals(requests())]
    assert [reply.error.code for reply in replies] == [grpc.StatusCode.INVALID_ARGUMENT.value[0]] * 2
    assert not any(reply.acks for reply in replies)
    await as_alice.PublishSignal(messages.PublishSignalRequest(signal=make_signal("after")))
    received = await collect(as_alice.Subscribe(messages.SubscribeRequest(from_offset="0-0")), 1)
    assert received.signal_ids == ["after"]  # nothing of the refused messages was stored


async def test_subscribers_see_their_own_signals_and_an_admin_the_organisations(stub, as_alice):
    await _publish(as_alice, make_signal("alice-1"))
    await _publish(As(stub, BOB), make_signal("bob-1"))
    await _publish(As(stub, EVE), make_signal("eve-1"))
    await _publish(as_alice, make_signal("alice-2"))
    mine = await collect(as_alice.Subscribe(messages.SubscribeRequest(from_offset="0-0")), 2)
    assert mine.signal_ids == ["alice-1", "alice-2"]
    admin = await collect(As(stub, ACME_ADMIN).Subscribe(messages.SubscribeRequest(from_offset="0-0")), 3)
    assert admin.signal_ids == ["alice-1", "bob-1", "alice-2"]


async def test_from_now_starts_after_what_is_already_there_and_then_goes_live(as_alice):
    await _publish(as_alice, make_signal("old"))
    call = as_alice.Subscribe(messages.SubscribeRequest(from_now=True))
    reading = asyncio.create_task(collect(call, 2))
    await asyncio.sleep(0.3)  # the subscription is open (a heartbeat has passed) before publishing
    await _publish(as_alice, make_signal("new-1"))
    await _publish(as_alice, make_signal("new-2"))
    received = await reading
    assert received.signal_ids == ["new-1", "new-2"]


async def test_from_time_starts_at_the_first_signal_accepted_at_or_after_it(as_alice):
    await _publish(as_alice, make_signal("before"))
    await asyncio.sleep(0.05)
    millis = int(time.time() * 1000)  # the log's clock is this machine's
    await asyncio.sleep(0.05)
    await _publish(as_alice, make_signal("at"))
    request = messages.SubscribeRequest()
    request.from_time.FromMilliseconds(millis)
    received = await collect(as_alice.Subscribe(request), 1)
    assert received.signal_ids == ["at"]


async def test_an_idle_stream_sends_heartbeats_whose_offset_passes_filtered_signals(stub, as_alice):
    await _publish(As(stub, BOB), make_signal("not-alices"))
    call = as_alice.Subscribe(messages.SubscribeRequest(from_offset="0-0"))
    heartbeat = await asyncio.wait_for(call.read(), 5)
    call.cancel()
    assert list(heartbeat.signals) == []
    assert heartbeat.resume_offset != "0-0"


async def test_a_malformed_offset_is_invalid(as_alice):
    call = as_alice.Subscribe(messages.SubscribeRequest(from_offset="yesterday"))
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await call.read()
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert _violations(caught.value) == {"from_offset"}


async def test_a_subscribers_lag_gauge_falls_to_zero_once_it_has_read_everything(as_alice, log_engine):
    async def requests():
        yield messages.PublishSignalsRequest(signals=[make_signal(f"lag-{index}") for index in range(50)])

    [reply] = [reply async for reply in as_alice.PublishSignals(requests())]
    assert all(ack.offset for ack in reply.acks)
    call = as_alice.Subscribe(messages.SubscribeRequest(from_offset="0-0", max_batch_size=10))
    first = await call.read()
    lag = REGISTRY.get_sample_value(
        "alphintra_signal_bus_subscriber_lag_entries", {"kind": "signals", "subscriber": "alice"}
    )
    # measured after each batch the server prepared (it may run ahead of our reads, up to flow control)
    assert lag is not None
    assert 0 <= lag <= 50 - len(first.signals)
    received = await collect(call, 50 - len(first.signals))
    assert len(received.signal_ids) == 50 - len(first.signals)
    final = REGISTRY.get_sample_value(
        "alphintra_signal_bus_subscriber_lag_entries", {"kind": "signals", "subscriber": "alice"}
    )
    assert final == 0
