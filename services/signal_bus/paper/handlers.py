"""gRPC handlers of the paper-trading service: protobuf <-> the facade, nothing else."""

from __future__ import annotations

import grpc

from alphintra.signalbus.v1 import paper_trading_service_pb2 as messages
from alphintra.signalbus.v1 import paper_trading_service_pb2_grpc
from services.mesh.identity import current_caller
from services.signal_bus.paper.app import PaperApp

Context = grpc.aio.ServicerContext


class PaperTradingHandlers(paper_trading_service_pb2_grpc.PaperTradingServiceServicer):
    def __init__(self, app: PaperApp) -> None:
        self._app = app

    async def CreateAccount(
        self, request: messages.CreateAccountRequest, context: Context
    ) -> messages.CreateAccountResponse:
        account = await self._app.create(current_caller(), request.account, request.request_id)
        return messages.CreateAccountResponse(account=account)

    async def GetAccount(
        self, request: messages.GetAccountRequest, context: Context
    ) -> messages.GetAccountResponse:
        return messages.GetAccountResponse(account=await self._app.get(current_caller(), request.account_id))

    async def ListAccounts(
        self, request: messages.ListAccountsRequest, context: Context
    ) -> messages.ListAccountsResponse:
        page = await self._app.list(current_caller(), request.page_size, request.page_token)
        return messages.ListAccountsResponse(accounts=page.items, next_page_token=page.next_page_token)

    async def ResetAccount(
        self, request: messages.ResetAccountRequest, context: Context
    ) -> messages.ResetAccountResponse:
        account = await self._app.reset(
            current_caller(), request.account_id, request.initial_cash, request.etag
        )
        return messages.ResetAccountResponse(account=account)

    async def ListPositions(
        self, request: messages.ListPositionsRequest, context: Context
    ) -> messages.ListPositionsResponse:
        return messages.ListPositionsResponse(
            positions=await self._app.positions(current_caller(), request.account_id)
        )

    async def ListTrades(
        self, request: messages.ListTradesRequest, context: Context
    ) -> messages.ListTradesResponse:
        page = await self._app.trades(
            current_caller(), request.account_id, request.symbol, request.page_size, request.page_token
        )
        return messages.ListTradesResponse(trades=page.items, next_page_token=page.next_page_token)

    async def ListOrders(
        self, request: messages.ListOrdersRequest, context: Context
    ) -> messages.ListOrdersResponse:
        page = await self._app.orders(
            current_caller(), request.account_id, request.state, request.page_size, request.page_token
        )
        return messages.ListOrdersResponse(orders=page.items, next_page_token=page.next_page_token)

    async def GetPerformance(
        self, request: messages.GetPerformanceRequest, context: Context
    ) -> messages.GetPerformanceResponse:
        return await self._app.performance(current_caller(), request.account_id, request.max_equity_points)

    async def UpdateRiskLimits(
        self, request: messages.UpdateRiskLimitsRequest, context: Context
    ) -> messages.UpdateRiskLimitsResponse:
        account = await self._app.update_risk_limits(
            current_caller(),
            request.account_id,
            request.risk_limits,
            list(request.update_mask.paths),
            request.etag,
        )
        return messages.UpdateRiskLimitsResponse(account=account)
