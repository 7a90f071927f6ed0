"""The WebSocket API `/api/v1/ws`: streamed answers in a stateful conversation.

Client -> server (JSON text frames):
  {"type": "chat", "content": "...", "persona": "aviva" | "auto" (optional), "id": "client ref" (optional)}
  {"type": "persona", "persona": "aviva"}   force a persona for the following messages
  {"type": "persona", "persona": "auto"}    release it (Abi routes again)
  {"type": "ping"}
Server -> client:
  {"type": "session", "session_id", "persona", "user_id"} on connect and after every persona change
  {"type": "routing", "request_id", "id", "routing": {...}}, then {"type": "delta", "content"}...,
  {"type": "restart", "reason"} (discard text so far), then {"type": "final", "response": {...}}
  or {"type": "error", "error": {code, reason, message, request_id}}
  {"type": "heartbeat", "ts"} every PM_WS_HEARTBEAT_SECONDS; {"type": "pong"}
  {"type": "closing", "reason": "GATEWAY_DRAINING", "message"} last, before the close 1001 of a drain
Authentication: offer the subprotocols `persona-mesh` and `bearer.<key>` (what browsers can send;
the gateway selects `persona-mesh`, never echoing the key), or send `Authorization: Bearer <key>` /
`X-API-Key`; `?api_key=` still works but puts the key in URLs (logs redact it). Anonymous callers
(local runs) are each their own user, `anonymous-<random>`, for the life of the connection.
Close codes: 1000 normal, 1001 gateway shutting down (drain), 1009 message over PM_MAX_BODY_BYTES
(however it is fragmented or compressed), 1011 internal error, 4401 missing or invalid API key.
Drain (SIGTERM): the answer in flight finishes within PM_GRACE_SECONDS; messages still waiting and any
sent meanwhile get an UNAVAILABLE GATEWAY_DRAINING error (ask again, elsewhere); then `closing` and 1001.
Backpressure: chat messages are answered one at a time; at most PM_WS_QUEUE_SIZE wait, and
a message beyond that is refused with a QUEUE_FULL error. Sends wait for the socket to drain.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, WebSocket, WebSocketDisconnect

from gateway import text as edge_text
from gateway.auth import Principal, bearer_token
from gateway.frontdoors.convert import response_json, routing_json
from gateway.frontdoors.http_errors import error_body
from gateway.pipeline.chat import DeltaEvent, ErrorEvent, FinalEvent, RestartEvent, RoutingEvent
from gateway.pipeline.chat_input import ChatInput, validate
from gateway.pipeline.ratelimits import RateLimited
from gateway.state import Gateway
from services.common import context as ctx
from services.common.errors import ServiceError, invalid_argument
from services.common.reasons import Reason

log = logging.getLogger(__name__)
router = APIRouter()

CLOSE_UNAUTHENTICATED = 4401
CLOSE_TOO_BIG = 1009
CLOSE_GOING_AWAY = 1001
SUBPROTOCOL = "persona-mesh"
KEY_SUBPROTOCOL_PREFIX = "bearer."


@dataclass
class Conversation:
    session_id: str
    persona: str = ""  # "" = Abi routes


class Connection:
    """One WebSocket: a reader, a single chat worker and a heartbeat, sharing one send lock."""

    def __init__(self, websocket: WebSocket, gateway: Gateway, principal: Principal, session_id: str) -> None:
        self.ws = websocket
        self.gateway = gateway
        self.principal = principal
        self.conversation = Conversation(session_id)
        self.queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue(maxsize=gateway.settings.ws_queue_size)
        self._send_lock = asyncio.Lock()
        self.draining = False
        self._idle = asyncio.Event()  # no answer in progress
        self._idle.set()

    async def send(self, message: dict[str, Any]) -> None:
        async with self._send_lock:
            await self.ws.send_text(json.dumps(message))

    async def send_error(self, code: str, reason: str, message: str, ref: Any = None, **extra: Any) -> None:
        body = error_body(code, reason, message, **extra)
        await self.send({"type": "error", "id": ref, **body})

    async def send_state(self) -> None:
        await self.send(
            {
                "type": "session",
                "session_id": self.conversation.session_id,
                "persona": self.conversation.persona or "auto",
                "user_id": self.principal.user_id,
            }
        )

    def _set_persona(self, value: Any) -> None:
        name = "" if value in (None, "", "auto") else str(value).strip().lower()
        if name and name not in self.gateway.pipeline.known_personas():
            raise invalid_argument(Reason.UNKNOWN_PERSONA, f"unknown persona {name!r}")
        self.conversation.persona = name

    def _too_big(self, frame: Mapping[str, Any]) -> bool:
        """Whether a message exceeds the limit (the server enforces it too; this holds under any server)."""
        limit = self.gateway.settings.max_body_bytes
        data = frame.get("bytes")
        if data is not None:
            return len(data) > limit
        text = frame.get("text") or ""
        return len(text) > limit or (len(text) * 4 > limit and len(text.encode("utf-8", "surrogatepass")) > limit)

    async def reader(self) -> None:
        while True:
            frame = await self.ws.receive()
            if frame["type"] == "websocket.disconnect":
                return
            if self._too_big(frame):
                await self.ws.close(code=CLOSE_TOO_BIG, reason="message over the size limit")
                return
            text = frame.get("text")
            if text is None:
                await self.send_error("INVALID_ARGUMENT", Reason.BINARY_NOT_SUPPORTED, "send JSON text frames")
                continue
            try:
                message = json.loads(text)
            except (ValueError, RecursionError):
                await self.send_error("INVALID_ARGUMENT", Reason.INVALID_JSON, "the frame is not valid JSON")
                continue
            if not isinstance(message, dict):
                await self.send_error("INVALID_ARGUMENT", Reason.WRONG_TYPE, "a frame must be a JSON object")
                continue
            invalid = edge_text.first_invalid(message)
            if invalid is not None:
                ref = message.get("id")
                error = edge_text.invalid_utf8(invalid)
                await self.send_error(
                    error.code.name,
                    error.reason,
                    error.message,
                    None if edge_text.first_invalid(ref) is not None else ref,
                    field=error.metadata["field"],
                )
                continue
            await self.dispatch(message)

    async def dispatch(self, message: dict[str, Any]) -> None:
        kind = message.get("type")
        ref = message.get("id")
        try:
            if kind == "ping":
                await self.send({"type": "pong", "id": ref})
            elif kind == "persona":
                self._set_persona(message.get("persona"))
                await self.send_state()
            elif kind == "chat" and self.draining:
                await self.refuse_draining(ref)
            elif kind == "chat":
                if "persona" in message:
                    self._set_persona(message.get("persona"))
                    await self.send_state()
                try:
                    self.queue.put_nowait(message)
                except asyncio.QueueFull:
                    await self.send_error(
                        "RESOURCE_EXHAUSTED", Reason.QUEUE_FULL, "too many messages waiting; wait for answers", ref
                    )
            else:
                await self.send_error("INVALID_ARGUMENT", Reason.UNKNOWN_TYPE, f"unknown message type {kind!r}", ref)
        except ServiceError as error:
            await self.send_error(error.code.name, error.reason, error.message, ref)

    def _chat_input(self, message: dict[str, Any]) -> ChatInput:
        content = message.get("content")
        if not isinstance(content, str):
            raise invalid_argument(Reason.WRONG_TYPE, "content must be a string")
        max_tokens, temperature = message.get("max_tokens"), message.get("temperature")
        if max_tokens is not None and (not isinstance(max_tokens, int) or isinstance(max_tokens, bool)):
            raise invalid_argument(Reason.WRONG_TYPE, "max_tokens must be an integer")
        if temperature is not None and (not isinstance(temperature, int | float) or isinstance(temperature, bool)):
            raise invalid_argument(Reason.WRONG_TYPE, "temperature must be a number")
        chat = ChatInput(
            content=content,
            session_id=self.conversation.session_id,
            persona=self.conversation.persona,
            max_tokens=max_tokens,
            temperature=None if temperature is None else float(temperature),
        )
        validate(
            chat,
            max_content_chars=self.gateway.settings.max_content_chars,
            known_personas=self.gateway.pipeline.known_personas(),
        )
        return chat

    async def worker(self) -> None:
        while True:
            message = await self.queue.get()
            if self.draining:
                await self.refuse_draining(message.get("id"))
                continue
            ctx.request_id_var.set(ctx.new_request_id())
            self._idle.clear()
            try:
                await self.answer(message)
            except (WebSocketDisconnect, asyncio.CancelledError):
                raise
            except Exception:
                log.exception("websocket answer failed")
                await self.send_error(
                    "INTERNAL", Reason.INTERNAL, "internal error; see the gateway log", message.get("id")
                )
            finally:
                self._idle.set()

    async def refuse_draining(self, ref: Any) -> None:
        await self.send_error(
            "UNAVAILABLE", Reason.GATEWAY_DRAINING, "the gateway is shutting down; reconnect and send it again", ref
        )

    async def drain(self, grace: float) -> None:
        """Let the answer in flight finish (within `grace`), refuse what waits, then say so and close with 1001."""
        self.draining = True
        while not self.queue.empty():
            await self.refuse_draining(self.queue.get_nowait().get("id"))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._idle.wait(), grace)
        with contextlib.suppress(Exception):  # the client may be gone already
            await self.send(
                {"type": "closing", "reason": Reason.GATEWAY_DRAINING, "message": "the gateway is shutting down"}
            )
            await self.ws.close(code=CLOSE_GOING_AWAY, reason="gateway shutting down")

    async def answer(self, message: dict[str, Any]) -> None:
        ref = message.get("id")
        request_id = ctx.request_id_var.get()
        try:
            chat = self._chat_input(message)
            async for event in self.gateway.pipeline.chat_stream(chat, self.principal):
                if isinstance(event, RoutingEvent):
                    await self.send(
                        {
                            "type": "routing",
                            "id": ref,
                            "request_id": request_id,
                            "routing": routing_json(event.decision),
                        }
                    )
                elif isinstance(event, DeltaEvent):
                    await self.send({"type": "delta", "id": ref, "request_id": request_id, "content": event.text})
                elif isinstance(event, RestartEvent):
                    await self.send({"type": "restart", "id": ref, "request_id": request_id, "reason": event.reason})
                elif isinstance(event, FinalEvent):
                    result = event.result
                    body = response_json(result.request_id, result.response, result.decision)
                    await self.send({"type": "final", "id": ref, "request_id": request_id, "response": body})
                elif isinstance(event, ErrorEvent):
                    await self.send_error(event.code, event.reason, event.message, ref)
        except RateLimited as error:
            await self.send_error(error.code.name, error.reason, error.message, ref, retry_after=error.retry_after)
        except ServiceError as error:
            await self.send_error(error.code.name, error.reason, error.message, ref)

    async def heartbeat(self) -> None:
        while True:
            await asyncio.sleep(self.gateway.settings.ws_heartbeat_seconds)
            await self.send({"type": "heartbeat", "ts": time.time()})


class OpenSockets:
    """The open WebSockets of one gateway, so that its drain can finish their answers before closing them.

    uvicorn's own shutdown closes every WebSocket at once with 1012, cutting answers mid-stream; the
    gateway's HTTP server drains these first (gateway/__main__.py).
    """

    def __init__(self) -> None:
        self.connections: set[Connection] = set()

    async def drain(self, grace: float) -> None:
        if self.connections:
            await asyncio.wait([asyncio.create_task(c.drain(grace)) for c in list(self.connections)])


def _credentials(websocket: WebSocket) -> tuple[str | None, str | None]:
    """(the API key, the subprotocol to select): a `bearer.<key>` subprotocol, a header, or `?api_key=`."""
    offered = [str(p) for p in websocket.scope.get("subprotocols") or []]
    selected = SUBPROTOCOL if SUBPROTOCOL in offered else None
    for protocol in offered:
        if protocol.startswith(KEY_SUBPROTOCOL_PREFIX):
            return protocol[len(KEY_SUBPROTOCOL_PREFIX) :], selected
    token = (
        bearer_token(websocket.headers.get("authorization"))
        or websocket.headers.get("x-api-key")
        or websocket.query_params.get("api_key")
    )
    return token, selected


@router.websocket("/api/v1/ws")
async def websocket_endpoint(websocket: WebSocket) -> None:
    gateway: Gateway = websocket.app.state.gateway
    token, subprotocol = _credentials(websocket)
    try:
        principal = gateway.keys.authenticate(token)
    except ServiceError as error:
        # Accept first: a close before the handshake would reach the client as a bare HTTP 403.
        await websocket.accept(subprotocol=subprotocol)
        await websocket.close(code=CLOSE_UNAUTHENTICATED, reason=error.message[:120])
        return
    if not principal.authenticated:
        # Anonymous callers share no conversation, memory or limits: each connection is its own user.
        principal = Principal(f"anonymous-{uuid.uuid4().hex[:16]}", principal.role, authenticated=False)
    await websocket.accept(subprotocol=subprotocol)
    session_id = (websocket.query_params.get("session_id") or uuid.uuid4().hex)[:128]
    connection = Connection(websocket, gateway, principal, session_id)
    sockets: OpenSockets = websocket.app.state.websockets
    sockets.connections.add(connection)
    await connection.send_state()
    tasks = [asyncio.create_task(connection.worker()), asyncio.create_task(connection.heartbeat())]
    try:
        await connection.reader()
    except WebSocketDisconnect:
        pass
    except Exception:
        log.exception("websocket failed")
        with contextlib.suppress(Exception):
            await websocket.close(code=1011)
    finally:
        sockets.connections.discard(connection)
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, WebSocketDisconnect, Exception):
                await task
