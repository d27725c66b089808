"""gRPC handlers of DatasetService: protobuf <-> the facade, nothing else."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import grpc

from alphintra.trainer.v1 import dataset_service_pb2 as messages
from alphintra.trainer.v1 import dataset_service_pb2_grpc
from services.mesh.identity import current_caller
from services.trainer.datasets import messages as convert
from services.trainer.datasets.app import DatasetApp

Context = grpc.aio.ServicerContext


class DatasetHandlers(dataset_service_pb2_grpc.DatasetServiceServicer):
    def __init__(self, app: DatasetApp) -> None:
        self._app = app

    async def UploadDataset(
        self, request_iterator: AsyncIterator[messages.UploadDatasetRequest], context: Context
    ) -> messages.UploadDatasetResponse:
        caller = current_caller()
        metadata, chunks = await convert.upload_parts(request_iterator)
        record, warnings = await self._app.upload(caller, metadata, chunks)
        return messages.UploadDatasetResponse(dataset=convert.dataset_to_proto(record), warnings=warnings)

    async def GetDataset(
        self, request: messages.GetDatasetRequest, context: Context
    ) -> messages.GetDatasetResponse:
        record = await self._app.get(current_caller(), request.dataset_id)
        return messages.GetDatasetResponse(dataset=convert.dataset_to_proto(record))

    async def ListDatasets(
        self, request: messages.ListDatasetsRequest, context: Context
    ) -> messages.ListDatasetsResponse:
        page = await self._app.list(
            current_caller(),
            page_size=request.page_size,
            page_token=request.page_token,
            scope=request.scope,
            symbol=request.symbol,
            timeframe=convert.timeframe_code(request.timeframe),
        )
        return messages.ListDatasetsResponse(
            datasets=[convert.dataset_to_proto(record) for record in page.items],
            next_page_token=page.next_page_token,
        )

    async def DeleteDataset(
        self, request: messages.DeleteDatasetRequest, context: Context
    ) -> messages.DeleteDatasetResponse:
        await self._app.delete(current_caller(), request.dataset_id)
        return messages.DeleteDatasetResponse()

    async def PreviewDataset(
        self, request: messages.PreviewDatasetRequest, context: Context
    ) -> messages.PreviewDatasetResponse:
        record, preview = await self._app.preview(
            current_caller(), request.dataset_id, request.head_rows, request.tail_rows, request.symbol
        )
        return messages.PreviewDatasetResponse(
            head=convert.bars_to_proto(preview.head, record.timeframe),
            tail=convert.bars_to_proto(preview.tail, record.timeframe),
            row_count=preview.row_count,
        )

    async def ReadDatasetBars(
        self, request: messages.ReadDatasetBarsRequest, context: Context
    ) -> AsyncIterator[messages.ReadDatasetBarsResponse]:
        window = convert.bar_window(request)
        record, bars = await self._app.read_bars(current_caller(), request.dataset_id, window)
        for chunk in convert.bar_chunks(bars):
            yield messages.ReadDatasetBarsResponse(
                bars=await asyncio.to_thread(convert.bars_to_proto, chunk, record.timeframe)
            )

    async def GetDatasetStatistics(
        self, request: messages.GetDatasetStatisticsRequest, context: Context
    ) -> messages.GetDatasetStatisticsResponse:
        statistics = await self._app.statistics(current_caller(), request.dataset_id)
        return messages.GetDatasetStatisticsResponse(statistics=statistics)

    async def GeneratePlatformDataset(
        self, request: messages.GeneratePlatformDatasetRequest, context: Context
    ) -> messages.GeneratePlatformDatasetResponse:
        record = await self._app.generate(
            current_caller(), request.spec, request.display_name, request.platform, request.request_id
        )
        return messages.GeneratePlatformDatasetResponse(dataset=convert.dataset_to_proto(record))
