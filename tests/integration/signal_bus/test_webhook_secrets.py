"""Webhook signing secrets are sealed at rest (AES-GCM, key id beside them) and still sign deliveries."""

import base64
import time

import asyncpg
import pytest

from alphintra.signalbus.v1 import signal_bus_service_pb2 as messages
from alphintra.signalbus.v1 import signal_bus_service_pb2_grpc, webhook_service_pb2_grpc
from alphintra.signalbus.v1 import webhook_service_pb2 as hooks
from services.core.signals.webhook_signature import verify
from tests.helpers import assert_eventually
from tests.integration.signal_bus.conftest import ALICE, As, make_signal
from tests.integration.signal_bus.receiver import Receiver

pytestmark = pytest.mark.integration

KEY = base64.b64encode(bytes(range(32))).decode()


@pytest.fixture
def bus_settings():
    return {
        "webhook_allow_private_urls": "true",
        "webhook_backoff_base_seconds": 0.05,
        "webhook_secret_keys": f"k1:{KEY}",
    }


@pytest.fixture
async def receiver():
    server = Receiver()
    await server.start()
    yield server
    await server.stop()


async def _stored_secrets(database_url: str, webhook_id: str) -> tuple[str, str | None]:
    connection = await asyncpg.connect(database_url)
    try:
        row = await connection.fetchrow(
            "SELECT secret, previous_secret FROM signal_bus.webhooks WHERE id = $1", webhook_id
        )
    finally:
        await connection.close()
    return row["secret"], row["previous_secret"]


async def test_secrets_are_stored_sealed_and_deliveries_are_signed_with_the_real_secret(
    channel, receiver, database_url
):
    hooks_stub = As(webhook_service_pb2_grpc.WebhookServiceStub(channel), ALICE)
    bus_stub = As(signal_bus_service_pb2_grpc.SignalBusServiceStub(channel), ALICE)
    created = await hooks_stub.CreateWebhook(
        hooks.CreateWebhookRequest(webhook=hooks.Webhook(url=receiver.url, enabled=True))
    )
    webhook_id, secret = created.webhook.id, created.signing_secret
    stored, _ = await _stored_secrets(database_url, webhook_id)
    assert stored.startswith("aesgcm:k1:")
    assert secret not in stored
    assert secret.endswith(created.webhook.secret_hint)

    await bus_stub.PublishSignal(messages.PublishSignalRequest(signal=make_signal("sealed-1")))
    await assert_eventually(lambda: len(receiver.posts) >= 1, 10)
    assert verify(
        receiver.posts[0].headers["x-alphintra-signature"], secret, receiver.posts[0].body, time.time()
    )

    rotated = await hooks_stub.RotateWebhookSecret(hooks.RotateWebhookSecretRequest(webhook_id=webhook_id))
    stored, previous = await _stored_secrets(database_url, webhook_id)
    assert stored.startswith("aesgcm:k1:")
    assert previous is not None
    assert previous.startswith("aesgcm:k1:")
    assert rotated.signing_secret not in stored
    assert secret not in previous
    await bus_stub.PublishSignal(messages.PublishSignalRequest(signal=make_signal("sealed-2")))
    await assert_eventually(lambda: len(receiver.posts) >= 2, 10)
    header = receiver.posts[1].headers["x-alphintra-signature"]
    # during the overlap a delivery carries a signature under each secret
    assert verify(header, rotated.signing_secret, receiver.posts[1].body, time.time())
    assert verify(header, secret, receiver.posts[1].body, time.time())
