"""PredictorService handlers: protobuf <-> the Predictor facade, nothing else."""

from __future__ import annotations

from collections.abc import AsyncIterator, Coroutine

import grpc
import numpy as np

from alphintra.predictor.v1 import predictor_service_pb2 as messages
from alphintra.predictor.v1 import predictor_service_pb2_grpc
from services.core.errors import AlphintraError, FieldViolation, InvalidArgument
from services.mesh.context import request_id_var
from services.mesh.identity import current_caller
from services.mesh.status import to_rpc_status
from services.predictor import conversions
from services.predictor.app import PendingPrediction, Predictor
from services.predictor.stream_window import ordered_answers


class PredictorHandlers(predictor_service_pb2_grpc.PredictorServiceServicer):
    def __init__(self, predictor: Predictor, stream_window: int) -> None:
        self._predictor = predictor
        self._stream_window = stream_window

    async def Predict(
        self, request: messages.PredictRequest, context: grpc.aio.ServicerContext
    ) -> messages.PredictResponse:
        rows = conversions.feature_rows(request)
        version, alias = conversions.selector(request)
        prediction = await self._predictor.predict(
            request.model_name, version, alias, request.routing_key, rows
        )
        return messages.PredictResponse(
            request_id=request.request_id, predictions=conversions.predictions(prediction)
        )

    async def PredictStream(
        self,
        request_iterator: AsyncIterator[messages.PredictStreamRequest],
        context: grpc.aio.ServicerContext,
    ) -> AsyncIterator[messages.PredictStreamResponse]:
        call_id = request_id_var.get()
        async for response in ordered_answers(
            request_iterator, lambda item: self._start(item, call_id), self._stream_window
        ):
            yield response

    def _start(
        self, request: messages.PredictStreamRequest, call_id: str
    ) -> Coroutine[None, None, messages.PredictStreamResponse]:
        try:
            rows = conversions.feature_rows(request)
            version, alias = conversions.selector(request)
            key = self._predictor.resolve_now(request.model_name)
            if key is None:  # an admin's use of another owner's model: the registry confirms it first
                return self._confirmed(request, rows, version, alias, call_id)
            pending = self._predictor.start_served(key, version, alias, request.routing_key, rows)
        except AlphintraError as error:
            return _failed(request.request_id, error, call_id)
        return _answer(request.request_id, pending, call_id)

    async def _confirmed(
        self,
        request: messages.PredictStreamRequest,
        rows: np.ndarray,
        version: int | None,
        alias: str | None,
        call_id: str,
    ) -> messages.PredictStreamResponse:
        try:
            key = await self._predictor.resolve(request.model_name)
            pending = self._predictor.start_served(key, version, alias, request.routing_key, rows)
        except AlphintraError as error:
            return await _failed(request.request_id, error, call_id)
        return await _answer(request.request_id, pending, call_id)

    async def ListModels(
        self, request: messages.ListModelsRequest, context: grpc.aio.ServicerContext
    ) -> messages.ListModelsResponse:
        models = await self._predictor.list_models(request.model_name)
        return messages.ListModelsResponse(models=[conversions.served_model(model) for model in models])

    async def LoadModel(
        self, request: messages.LoadModelRequest, context: grpc.aio.ServicerContext
    ) -> messages.LoadModelResponse:
        if not request.model_name:
            raise InvalidArgument("invalid load request", [FieldViolation("model_name", "required")])
        version, alias = conversions.selector(request)
        model = await self._predictor.load_model(
            current_caller(),
            request.model_name,
            version=version,
            alias=alias,
            make_default=request.make_default,
            wait=request.wait_until_ready,
        )
        return messages.LoadModelResponse(model=conversions.served_model(model))

    async def UnloadModel(
        self, request: messages.UnloadModelRequest, context: grpc.aio.ServicerContext
    ) -> messages.UnloadModelResponse:
        if not request.model_name or request.version < 0:
            raise InvalidArgument(
                "invalid unload request",
                [FieldViolation("model_name", "required")]
                if not request.model_name
                else [FieldViolation("version", "must be 0 (all) or a version number")],
            )
        model = self._predictor.unload_model(current_caller(), request.model_name, request.version)
        return messages.UnloadModelResponse(model=conversions.served_model(model))

    async def SetTrafficSplit(
        self, request: messages.SetTrafficSplitRequest, context: grpc.aio.ServicerContext
    ) -> messages.SetTrafficSplitResponse:
        split = conversions.traffic_split(request)
        model = self._predictor.set_traffic_split(current_caller(), request.model_name, split)
        return messages.SetTrafficSplitResponse(model=conversions.served_model(model))

    async def GetDriftReport(
        self, request: messages.GetDriftReportRequest, context: grpc.aio.ServicerContext
    ) -> messages.GetDriftReportResponse:
        if not request.model_name:
            raise InvalidArgument("invalid drift report request", [FieldViolation("model_name", "required")])
        report = await self._predictor.drift_report(
            request.model_name, request.version, conversions.window_seconds(request)
        )
        return conversions.drift_report(report)


async def _answer(
    request_id: str, pending: PendingPrediction, call_id: str
) -> messages.PredictStreamResponse:
    try:
        prediction = await pending.result()
    except AlphintraError as error:
        return await _failed(request_id, error, call_id)
    return messages.PredictStreamResponse(
        request_id=request_id, predictions=conversions.predictions(prediction)
    )


async def _failed(request_id: str, error: AlphintraError, call_id: str) -> messages.PredictStreamResponse:
    return messages.PredictStreamResponse(request_id=request_id, error=to_rpc_status(error, call_id))
