"""gRPC handlers of the webhook service: protobuf <-> the facade, nothing else."""

from __future__ import annotations

import grpc

from alphintra.signalbus.v1 import webhook_service_pb2 as messages
from alphintra.signalbus.v1 import webhook_service_pb2_grpc
from services.mesh.identity import current_caller
from services.signal_bus.webhooks import WebhookApp

Context = grpc.aio.ServicerContext


class WebhookHandlers(webhook_service_pb2_grpc.WebhookServiceServicer):
    def __init__(self, app: WebhookApp) -> None:
        self._app = app

    async def CreateWebhook(
        self, request: messages.CreateWebhookRequest, context: Context
    ) -> messages.CreateWebhookResponse:
        webhook, secret = await self._app.create(current_caller(), request.webhook, request.request_id)
        return messages.CreateWebhookResponse(webhook=webhook, signing_secret=secret)

    async def GetWebhook(
        self, request: messages.GetWebhookRequest, context: Context
    ) -> messages.GetWebhookResponse:
        return messages.GetWebhookResponse(webhook=await self._app.get(current_caller(), request.webhook_id))

    async def ListWebhooks(
        self, request: messages.ListWebhooksRequest, context: Context
    ) -> messages.ListWebhooksResponse:
        page = await self._app.list(current_caller(), request.page_size, request.page_token)
        return messages.ListWebhooksResponse(webhooks=page.items, next_page_token=page.next_page_token)

    async def UpdateWebhook(
        self, request: messages.UpdateWebhookRequest, context: Context
    ) -> messages.UpdateWebhookResponse:
        webhook = await self._app.update(current_caller(), request.webhook, list(request.update_mask.paths))
        return messages.UpdateWebhookResponse(webhook=webhook)

    async def DeleteWebhook(
        self, request: messages.DeleteWebhookRequest, context: Context
    ) -> messages.DeleteWebhookResponse:
        await self._app.delete(current_caller(), request.webhook_id, request.etag)
        return messages.DeleteWebhookResponse()

    async def RotateWebhookSecret(
        self, request: messages.RotateWebhookSecretRequest, context: Context
    ) -> messages.RotateWebhookSecretResponse:
        webhook, secret, expire = await self._app.rotate_secret(
            current_caller(), request.webhook_id, request.overlap_hours
        )
        response = messages.RotateWebhookSecretResponse(webhook=webhook, signing_secret=secret)
        response.previous_secret_expire_time.FromDatetime(expire)
        return response

    async def ListWebhookDeliveries(
        self, request: messages.ListWebhookDeliveriesRequest, context: Context
    ) -> messages.ListWebhookDeliveriesResponse:
        page = await self._app.deliveries(
            current_caller(), request.webhook_id, request.state, request.page_size, request.page_token
        )
        return messages.ListWebhookDeliveriesResponse(
            deliveries=page.items, next_page_token=page.next_page_token
        )

    async def ListDeadLetters(
        self, request: messages.ListDeadLettersRequest, context: Context
    ) -> messages.ListDeadLettersResponse:
        page = await self._app.dead_letters(
            current_caller(), request.webhook_id, request.page_size, request.page_token
        )
        return messages.ListDeadLettersResponse(dead_letters=page.items, next_page_token=page.next_page_token)

    async def ReplayDeadLetters(
        self, request: messages.ReplayDeadLettersRequest, context: Context
    ) -> messages.ReplayDeadLettersResponse:
        replayed = await self._app.replay(current_caller(), request.webhook_id, list(request.delivery_ids))
        return messages.ReplayDeadLettersResponse(delivery_ids=replayed)
