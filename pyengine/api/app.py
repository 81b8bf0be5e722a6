"""The Litestar application of the RFQ API: parse, hand to the actor, write its answer.

Every answer is JSON. Refusals and errors are `{"error": "<message>", "code": N}` with the
codes of `pyengine.actors.rfq_codes` (docs/mint-redeem.md#error-codes), including an unknown
path (2, 404), a wrong method (3, 405), a malformed query or body (1, 400) and a fault of
ours (0, 500, message only: never a traceback). Bodies are decoded by msgspec straight from
the bytes into `OrderBody`, whose amounts are integers of any size or strings.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import msgspec
from litestar import Litestar, Request, Response, get, post, websocket
from litestar.connection import WebSocket
from litestar.exceptions import HTTPException, WebSocketDisconnect
from litestar.response import ServerSentEvent

from pyengine.actors.rfq_codes import ApiCode
from pyengine.actors.rfq_types import (
    ApiAnswer,
    ConfirmationQuery,
    ErrorBody,
    OrderBody,
    OrderPost,
    ParseError,
    RfqQuery,
    Route,
    parse_order,
    parse_rfq,
)
from pyengine.api.openapi import document
from pyengine.api.stream import LadderHub

Submit = Callable[[Route, RfqQuery | OrderPost | ConfirmationQuery | None], Awaitable[ApiAnswer]]
JSON = "application/json"
MAX_BODY_BYTES = 64 * 1024
_ORDER_DECODER = msgspec.json.Decoder(OrderBody)
_ENCODER = msgspec.json.Encoder()


def respond(answer: ApiAnswer) -> Response[bytes]:
    return Response(_ENCODER.encode(answer.body), status_code=answer.status, media_type=JSON)


def refuse(code: ApiCode, message: str) -> Response[bytes]:
    return respond(ApiAnswer.error(code, message))


def _query(request: Request[Any, Any, Any]) -> dict[str, str]:
    return {k: v for k, v in request.query_params.items() if isinstance(v, str)}


def build_app(submit: Submit, hub: LadderHub) -> Litestar:
    openapi = msgspec.json.encode(document())

    @get("/asset-availability")
    async def availability() -> Response[bytes]:
        return respond(await submit("availability", None))

    @get("/rfq")
    async def rfq(request: Request[Any, Any, Any]) -> Response[bytes]:
        try:
            query = parse_rfq(_query(request))
        except ParseError as exc:
            return refuse(ApiCode.BAD_REQUEST, str(exc))
        return respond(await submit("rfq", query))

    @post("/order", status_code=200)
    async def order(request: Request[Any, Any, Any]) -> Response[bytes]:
        params = _query(request)
        signature = params.get("signature")
        if not signature:
            return refuse(ApiCode.BAD_REQUEST, "signature is required")
        raw = await request.body()
        if len(raw) > MAX_BODY_BYTES:
            return refuse(ApiCode.BAD_REQUEST, "body too large")
        try:
            body = _ORDER_DECODER.decode(raw)
            post_ = parse_order(body, signature, params.get("signature_type", ""))
        except (msgspec.DecodeError, msgspec.ValidationError) as exc:
            return refuse(ApiCode.BAD_REQUEST, f"malformed order: {exc}")
        except ParseError as exc:
            return refuse(ApiCode.BAD_REQUEST, str(exc))
        return respond(await submit("order", post_))

    @get("/order-confirmation")
    async def confirmation(request: Request[Any, Any, Any]) -> Response[bytes]:
        order_id = _query(request).get("order_id", "")
        if not order_id:
            return refuse(ApiCode.BAD_REQUEST, "order_id is required")
        return respond(await submit("confirmation", ConfirmationQuery(order_id)))

    @get("/chain-info")
    async def chain_info() -> Response[bytes]:
        return respond(await submit("chain", None))

    @get("/openapi.json")
    async def openapi_doc() -> Response[bytes]:
        return Response(openapi, media_type=JSON)

    @get("/indicative")
    async def sse(request: Request[Any, Any, Any]) -> ServerSentEvent:
        pair = _query(request).get("pair", "")

        async def events() -> AsyncIterator[str]:
            async for data in hub.subscribe(pair):
                yield data.decode()

        return ServerSentEvent(events(), event_type="ladder")

    @websocket("/ws/indicative")
    async def ws(socket: WebSocket[Any, Any, Any]) -> None:
        await socket.accept()
        pair = socket.query_params.get("pair", "")
        try:
            async for data in hub.subscribe(pair if isinstance(pair, str) else ""):
                await socket.send_text(data.decode())
        except WebSocketDisconnect:
            return

    def on_error(request: Request[Any, Any, Any], exc: Exception) -> Response[bytes]:
        if isinstance(exc, HTTPException):
            status = exc.status_code
            if status == 404:
                return refuse(ApiCode.NOT_FOUND, f"no such path {request.url.path}")
            if status == 405:
                return refuse(ApiCode.METHOD_NOT_ALLOWED, f"{request.method} not allowed here")
            if status < 500:
                body = ErrorBody(error=str(exc.detail), code=int(ApiCode.BAD_REQUEST))
                return Response(_ENCODER.encode(body), status_code=400, media_type=JSON)
        return refuse(ApiCode.INTERNAL, "internal error")

    return Litestar(
        route_handlers=[availability, rfq, order, confirmation, chain_info, openapi_doc, sse, ws],
        exception_handlers={Exception: on_error},
        openapi_config=None,
        logging_config=None,
        debug=False,
        request_max_body_size=MAX_BODY_BYTES,
    )
