"""Webhooks on real servers: signed deliveries a receiver can verify, retries, dead letters, replay."""

import asyncio
import json
import time

import grpc
import pytest
from google.protobuf import field_mask_pb2

from alphintra.signalbus.v1 import signal_bus_service_pb2 as messages
from alphintra.signalbus.v1 import signal_bus_service_pb2_grpc, signal_pb2, webhook_service_pb2_grpc
from alphintra.signalbus.v1 import webhook_service_pb2 as hooks
from services.core.signals.webhook_signature import verify
from tests.helpers import assert_eventually
from tests.integration.signal_bus.conftest import ALICE, BOB, As, make_signal
from tests.integration.signal_bus.receiver import Receiver

pytestmark = pytest.mark.integration


@pytest.fixture
def bus_settings():
    return {"webhook_allow_private_urls": "true", "webhook_backoff_base_seconds": 0.05}


@pytest.fixture
async def receiver():
    server = Receiver()
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
def alice_hooks(channel):
    return As(webhook_service_pb2_grpc.WebhookServiceStub(channel), ALICE)


@pytest.fixture
def alice_bus(channel):
    return As(signal_bus_service_pb2_grpc.SignalBusServiceStub(channel), ALICE)


async def _create(stub, url, **fields):
    request = hooks.CreateWebhookRequest(webhook=hooks.Webhook(url=url, enabled=True, **fields))
    return await stub.CreateWebhook(request)


async def _publish(stub, signal):
    return await stub.PublishSignal(messages.PublishSignalRequest(signal=signal))


async def test_matching_signals_are_posted_signed_and_verifiable_by_the_receiver(
    receiver, alice_hooks, alice_bus, channel
):
    created = await _create(
        alice_hooks, receiver.url, filter=signal_pb2.SignalFilter(symbols=["BTC-USD"]), display_name="mine"
    )
    secret = created.signing_secret
    assert secret.endswith(created.webhook.secret_hint)
    await _publish(alice_bus, make_signal("w-1"))
    await _publish(alice_bus, make_signal("w-2", symbol="ETH-USD"))  # filtered out
    bob_bus = As(signal_bus_service_pb2_grpc.SignalBusServiceStub(channel), BOB)
    await _publish(bob_bus, make_signal("w-bob"))  # another owner's signal
    await _publish(alice_bus, make_signal("w-3"))
    await assert_eventually(lambda: len(receiver.posts) >= 2, 10)
    bodies = [json.loads(post.body) for post in receiver.posts]
    assert [body["signalId"] for body in bodies] == ["w-1", "w-3"]
    for post in receiver.posts:
        assert verify(post.headers["x-alphintra-signature"], secret, post.body, time.time())
        assert not verify(post.headers["x-alphintra-signature"], "whsec_wrong", post.body, time.time())
        assert post.headers["x-alphintra-delivery"]

    async def logged_as_delivered():
        log = await alice_hooks.ListWebhookDeliveries(
            hooks.ListWebhookDeliveriesRequest(webhook_id=created.webhook.id)
        )
        assert {delivery.signal_id for delivery in log.deliveries} == {"w-1", "w-3"}
        return all(delivery.state == hooks.DELIVERY_STATE_SUCCEEDED for delivery in log.deliveries)

    await assert_eventually(logged_as_delivered, 5)


async def test_a_webhook_changed_just_after_a_match_applies_to_the_very_next_signal(
    receiver, alice_hooks, alice_bus
):
    """The matcher caches webhooks between batches; a change committed before a signal is appended
    (a new webhook, one disabled) applies to that signal, however recently the cache was filled."""
    warm_filter = signal_pb2.SignalFilter(strategy_ids=["warm"])
    warm = (await _create(alice_hooks, receiver.url, filter=warm_filter)).webhook
    await _publish(alice_bus, make_signal("warm-1", strategy_id="warm"))
    await assert_eventually(lambda: len(receiver.posts) == 1, 10)  # the matcher has just read its webhooks
    await _create(alice_hooks, receiver.url, filter=signal_pb2.SignalFilter(strategy_ids=["fresh"]))
    await _publish(alice_bus, make_signal("fresh-1", strategy_id="fresh"))
    await assert_eventually(lambda: len(receiver.posts) == 2, 10)
    await alice_hooks.UpdateWebhook(
        hooks.UpdateWebhookRequest(
            webhook=hooks.Webhook(id=warm.id, enabled=False, etag=warm.etag),
            update_mask=field_mask_pb2.FieldMask(paths=["enabled"]),
        )
    )
    await _publish(alice_bus, make_signal("warm-2", strategy_id="warm"))  # disabled: not posted
    await _publish(alice_bus, make_signal("fresh-2", strategy_id="fresh"))
    await assert_eventually(lambda: len(receiver.posts) == 3, 10)
    await asyncio.sleep(0.5)  # room for a wrong post of warm-2 to arrive
    assert [json.loads(post.body)["signalId"] for post in receiver.posts] == ["warm-1", "fresh-1", "fresh-2"]


async def test_a_failing_receiver_is_retried_then_dead_lettered_then_replayed(
    receiver, alice_hooks, alice_bus
):
    receiver.answer = lambda index: 500 if index < 3 else 200
    created = await _create(alice_hooks, receiver.url, max_attempts=3)
    webhook_id = created.webhook.id
    await _publish(alice_bus, make_signal("fail-1"))

    async def dead_lettered():
        letters = await alice_hooks.ListDeadLetters(hooks.ListDeadLettersRequest(webhook_id=webhook_id))
        return len(letters.dead_letters) == 1

    await assert_eventually(dead_lettered, 10)
    assert len(receiver.posts) == 3
    delivery_ids = {post.headers["x-alphintra-delivery"] for post in receiver.posts}
    assert len(delivery_ids) == 1  # the delivery id is stable across retries
    letters = await alice_hooks.ListDeadLetters(hooks.ListDeadLettersRequest(webhook_id=webhook_id))
    letter = letters.dead_letters[0]
    assert letter.signal.signal_id == "fail-1"
    assert (letter.delivery.attempts, letter.delivery.last_status_code) == (3, 500)
    health = (await alice_hooks.GetWebhook(hooks.GetWebhookRequest(webhook_id=webhook_id))).webhook.health
    assert health.consecutive_failures == 3
    assert health.dead_letters == 1
    assert health.last_error == "HTTP 500"
    replayed = await alice_hooks.ReplayDeadLetters(hooks.ReplayDeadLettersRequest(webhook_id=webhook_id))
    assert list(replayed.delivery_ids) == [letter.delivery.id]
    await assert_eventually(lambda: len(receiver.posts) == 4, 10)
    assert receiver.posts[-1].headers["x-alphintra-delivery"] == letter.delivery.id

    async def succeeded():
        log = await alice_hooks.ListWebhookDeliveries(
            hooks.ListWebhookDeliveriesRequest(webhook_id=webhook_id)
        )
        return [delivery.state for delivery in log.deliveries] == [hooks.DELIVERY_STATE_SUCCEEDED]

    await assert_eventually(succeeded, 10)


async def test_a_receiver_that_is_down_does_not_hold_up_the_bus(receiver, alice_hooks, alice_bus):
    await receiver.stop()  # nothing listens on its port any more
    await _create(alice_hooks, receiver.url, max_attempts=20)
    started = time.monotonic()
    for index in range(50):
        await _publish(alice_bus, make_signal(f"down-{index}"))
    assert time.monotonic() - started < 5


async def test_webhooks_are_managed_per_owner_with_etags(channel, alice_hooks):
    created = (await _create(alice_hooks, "http://127.0.0.1:9/hook", display_name="a")).webhook
    bob_hooks = As(webhook_service_pb2_grpc.WebhookServiceStub(channel), BOB)
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await bob_hooks.GetWebhook(hooks.GetWebhookRequest(webhook_id=created.id))
    assert caught.value.code() == grpc.StatusCode.NOT_FOUND
    change = hooks.Webhook(id=created.id, display_name="renamed", etag=created.etag)
    updated = await alice_hooks.UpdateWebhook(
        hooks.UpdateWebhookRequest(
            webhook=change, update_mask=field_mask_pb2.FieldMask(paths=["display_name"])
        )
    )
    assert updated.webhook.display_name == "renamed"
    assert updated.webhook.url == created.url
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await alice_hooks.UpdateWebhook(
            hooks.UpdateWebhookRequest(
                webhook=change, update_mask=field_mask_pb2.FieldMask(paths=["display_name"])
            )
        )
    assert caught.value.code() == grpc.StatusCode.ABORTED  # the etag is stale now
    rotated = await alice_hooks.RotateWebhookSecret(hooks.RotateWebhookSecretRequest(webhook_id=created.id))
    assert rotated.signing_secret.endswith(rotated.webhook.secret_hint)
    assert rotated.previous_secret_expire_time.seconds > time.time()
    listed = await alice_hooks.ListWebhooks(hooks.ListWebhooksRequest())
    assert [webhook.id for webhook in listed.webhooks] == [created.id]
    await alice_hooks.DeleteWebhook(hooks.DeleteWebhookRequest(webhook_id=created.id))
    assert not (await alice_hooks.ListWebhooks(hooks.ListWebhooksRequest())).webhooks


async def test_a_webhook_url_must_be_https_and_public_by_default(database_url, redis_url, namespace):
    from tests.integration.signal_bus.conftest import start_bus  # noqa: PLC0415

    running = await start_bus(database_url, redis_url, namespace)
    try:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{running.port}") as channel:
            stub = As(webhook_service_pb2_grpc.WebhookServiceStub(channel), ALICE)
            for url in ["http://example.com/hook", "https://127.0.0.1/hook", "https://10.1.2.3/x", "ftp://x"]:
                with pytest.raises(grpc.aio.AioRpcError) as caught:
                    await _create(stub, url)
                assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT, url
    finally:
        await running.stop(0)
