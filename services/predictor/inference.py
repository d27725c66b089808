"""The KServe v2 / Open Inference Protocol handlers (GRPCInferenceService).

They answer from the same repository and batchers as the PredictorService: a tritonclient
request shares onnxruntime calls with every other caller of the model. ModelStreamInfer follows
Triton's extension (each answer is a `ModelStreamInferResponse` whose `error_message` carries a
per-request failure, so one bad request does not end the stream).
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Coroutine
from importlib.metadata import version

import grpc

from inference import grpc_service_pb2 as messages
from inference import grpc_service_pb2_grpc
from services.core.errors import AlphintraError, NotFound
from services.mesh.context import request_id_var
from services.mesh.status import status_code_name, to_rpc_status
from services.predictor import tensors
from services.predictor.app import PendingPrediction, Predictor
from services.predictor.served import ServedVersion
from services.predictor.stream_window import ordered_answers

SERVER_NAME = "alphintra-predictor"
PLATFORM = "onnxruntime_onnx"
ROUTING_KEY_PARAMETER = "routing_key"


class InferenceHandlers(grpc_service_pb2_grpc.GRPCInferenceServiceServicer):
    def __init__(self, predictor: Predictor, stream_window: int) -> None:
        self._predictor = predictor
        self._stream_window = stream_window

    async def ServerLive(
        self, request: messages.ServerLiveRequest, context: grpc.aio.ServicerContext
    ) -> messages.ServerLiveResponse:
        return messages.ServerLiveResponse(live=True)

    async def ServerReady(
        self, request: messages.ServerReadyRequest, context: grpc.aio.ServicerContext
    ) -> messages.ServerReadyResponse:
        # ready means "every model this server was asked to serve has a ready default version"
        return messages.ServerReadyResponse(ready=self._predictor.repository.is_ready())

    async def ServerMetadata(
        self, request: messages.ServerMetadataRequest, context: grpc.aio.ServicerContext
    ) -> messages.ServerMetadataResponse:
        return messages.ServerMetadataResponse(name=SERVER_NAME, version=version("alphintra"))

    async def _version(self, name: str, requested: int | None) -> tuple[str, ServedVersion | None]:
        """The caller's repository key for `name` (NotFound for another user's model) and the version."""
        key = await self._predictor.resolve(name)
        model = self._predictor.repository.models.get(key)
        if model is None:
            return key, None
        return key, model.ready_version(requested if requested is not None else model.default_version)

    async def ModelReady(
        self, request: messages.ModelReadyRequest, context: grpc.aio.ServicerContext
    ) -> messages.ModelReadyResponse:
        # a name nothing serves for this caller is "not ready", as Triton answers;
        # another user's key is NOT_FOUND, whether or not it is served
        _, served = await self._version(request.name, tensors.requested_version(request))
        return messages.ModelReadyResponse(ready=served is not None)

    async def ModelMetadata(
        self, request: messages.ModelMetadataRequest, context: grpc.aio.ServicerContext
    ) -> messages.ModelMetadataResponse:
        requested = tensors.requested_version(
            messages.ModelReadyRequest(name=request.name, version=request.version)
        )
        key, served = await self._version(request.name, requested)
        if served is None:
            raise NotFound(
                "model", request.name if not request.version else f"{request.name}/{request.version}"
            )
        model = self._predictor.repository.models[key]
        inputs, outputs = tensors.tensor_metadata(served.signature)
        return messages.ModelMetadataResponse(
            name=request.name,
            versions=[str(number) for number in sorted(model.versions) if model.versions[number].ready],
            platform=PLATFORM,
            inputs=inputs,
            outputs=outputs,
        )

    def _start(
        self, request: messages.ModelInferRequest, key: str
    ) -> tuple[PendingPrediction, tensors.InferInput]:
        requested = tensors.requested_version(request)
        routing = request.parameters.get(ROUTING_KEY_PARAMETER)
        routing_key = routing.string_param if routing is not None else ""
        started = time.perf_counter()
        served, route = self._predictor.repository.choose(key, requested, None, routing_key)
        decoded = tensors.decode_input(request, served.signature)
        return self._predictor.enqueue(served, route, decoded.rows, started), decoded

    async def ModelInfer(
        self, request: messages.ModelInferRequest, context: grpc.aio.ServicerContext
    ) -> messages.ModelInferResponse:
        tensors.check_request(request)
        pending, decoded = self._start(request, await self._predictor.resolve(request.model_name))
        return await _infer_response(request, pending, decoded)

    async def ModelStreamInfer(
        self, request_iterator: AsyncIterator[messages.ModelInferRequest], context: grpc.aio.ServicerContext
    ) -> AsyncIterator[messages.ModelStreamInferResponse]:
        call_id = request_id_var.get()
        async for response in ordered_answers(
            request_iterator, lambda item: self._stream_item(item, call_id), self._stream_window
        ):
            yield response

    def _stream_item(
        self, request: messages.ModelInferRequest, call_id: str
    ) -> Coroutine[None, None, messages.ModelStreamInferResponse]:
        try:
            tensors.check_request(request)
            key = self._predictor.resolve_now(request.model_name)
            if key is None:  # an admin's use of another owner's model: the registry confirms it first
                return self._confirmed(request, call_id)
            pending, decoded = self._start(request, key)
        except AlphintraError as error:
            return _stream_error(request, error, call_id)
        return _stream_answer(request, pending, decoded, call_id)

    async def _confirmed(
        self, request: messages.ModelInferRequest, call_id: str
    ) -> messages.ModelStreamInferResponse:
        try:
            pending, decoded = self._start(request, await self._predictor.resolve(request.model_name))
        except AlphintraError as error:
            return await _stream_error(request, error, call_id)
        return await _stream_answer(request, pending, decoded, call_id)


async def _infer_response(
    request: messages.ModelInferRequest, pending: PendingPrediction, decoded: tensors.InferInput
) -> messages.ModelInferResponse:
    prediction = await pending.result()
    served = prediction.served
    response = messages.ModelInferResponse(
        model_name=served.model_name, model_version=str(served.version), id=request.id
    )
    tensors.encode_outputs(response, served.signature, prediction.outputs, decoded.outputs, decoded.raw)
    return response


async def _stream_answer(
    request: messages.ModelInferRequest, pending: PendingPrediction, decoded: tensors.InferInput, call_id: str
) -> messages.ModelStreamInferResponse:
    try:
        response = await _infer_response(request, pending, decoded)
    except AlphintraError as error:
        return await _stream_error(request, error, call_id)
    return messages.ModelStreamInferResponse(infer_response=response)


async def _stream_error(
    request: messages.ModelInferRequest, error: AlphintraError, call_id: str
) -> messages.ModelStreamInferResponse:
    status = to_rpc_status(error, call_id)
    return messages.ModelStreamInferResponse(
        error_message=f"{status_code_name(status)}: {status.message}",
        infer_response=messages.ModelInferResponse(
            model_name=request.model_name, model_version=request.model_version, id=request.id
        ),
    )
