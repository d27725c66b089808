"""gRPC handlers of BacktestService: protobuf <-> the backtests facade, nothing else."""

from __future__ import annotations

import grpc
from google.api import httpbody_pb2

from alphintra.trainer.v1 import backtest_service_pb2 as messages
from alphintra.trainer.v1 import backtest_service_pb2_grpc
from services.mesh.identity import current_caller
from services.trainer.backtests.app import BacktestsApp

Context = grpc.aio.ServicerContext


class BacktestHandlers(backtest_service_pb2_grpc.BacktestServiceServicer):
    def __init__(self, app: BacktestsApp) -> None:
        self._app = app

    async def RunBacktest(
        self, request: messages.RunBacktestRequest, context: Context
    ) -> messages.RunBacktestResponse:
        which = request.WhichOneof("data")
        return await self._app.run(
            current_caller(),
            request.spec if request.HasField("spec") else None,
            request.config,
            dataset_id=request.dataset_id if which == "dataset_id" else "",
            bars=request.bars if which == "bars" else None,
        )

    async def CreateBacktest(
        self, request: messages.CreateBacktestRequest, context: Context
    ) -> messages.CreateBacktestResponse:
        return messages.CreateBacktestResponse(backtest=await self._app.create(current_caller(), request))

    async def GetBacktest(
        self, request: messages.GetBacktestRequest, context: Context
    ) -> messages.GetBacktestResponse:
        return messages.GetBacktestResponse(
            backtest=await self._app.get(current_caller(), request.backtest_id)
        )

    async def ListBacktests(
        self, request: messages.ListBacktestsRequest, context: Context
    ) -> messages.ListBacktestsResponse:
        page = await self._app.list(current_caller(), request)
        return messages.ListBacktestsResponse(backtests=page.items, next_page_token=page.next_page_token)

    async def ListBacktestTrades(
        self, request: messages.ListBacktestTradesRequest, context: Context
    ) -> messages.ListBacktestTradesResponse:
        trades, token, total = await self._app.trades(
            current_caller(), request.backtest_id, request.page_size, request.page_token
        )
        return messages.ListBacktestTradesResponse(
            trades=trades, next_page_token=token, total_trade_count=total
        )

    async def GetBacktestReport(
        self, request: messages.GetBacktestReportRequest, context: Context
    ) -> httpbody_pb2.HttpBody:
        html = await self._app.report(current_caller(), request.backtest_id)
        return httpbody_pb2.HttpBody(content_type="text/html; charset=utf-8", data=html)

    async def CompareBacktests(
        self, request: messages.CompareBacktestsRequest, context: Context
    ) -> messages.CompareBacktestsResponse:
        return await self._app.compare(
            current_caller(), list(request.backtest_ids), request.max_equity_points
        )
