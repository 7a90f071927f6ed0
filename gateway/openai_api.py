"""The OpenAI-compatible API: `/v1/chat/completions` (plain and streamed) and `/v1/models`.

Model names are persona names plus `auto`, so the official client works
unchanged. The last user message is the content; earlier messages are the
conversation history. A stream that cannot finish ends with an `error` event
(which the official client raises), never with a silent `[DONE]`.
"""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from typing import Any, Literal

from fastapi import APIRouter
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ConfigDict, Field

from gateway.chat_input import ChatInput, validate
from gateway.convert import routing_json
from gateway.http_api import GatewayDep, PrincipalDep
from gateway.pipeline import DeltaEvent, ErrorEvent, FinalEvent, RestartEvent, RoutingEvent
from gateway.state import Gateway
from gateway.text import EdgeModel
from personamesh.v1 import persona_pb2
from services.common import context as ctx
from services.common.errors import invalid_argument
from services.common.registry.wire import persona_of

router = APIRouter(prefix="/v1", tags=["openai"])

_ROLES = {"user": persona_pb2.ROLE_USER, "assistant": persona_pb2.ROLE_ASSISTANT, "system": persona_pb2.ROLE_SYSTEM}


class Message(BaseModel):
    model_config = ConfigDict(extra="allow")
    role: Literal["system", "user", "assistant", "developer", "tool"]
    content: str | list[dict[str, Any]] | None = None


class CompletionBody(EdgeModel):
    model_config = ConfigDict(extra="allow")  # OpenAI clients send many optional fields
    model: str = Field(description="auto (let Abi route) or a persona name (GET /v1/models lists them)")
    messages: list[Message] = Field(min_length=1)
    stream: bool = False
    max_tokens: int | None = None
    max_completion_tokens: int | None = None
    temperature: float | None = None
    user: str | None = Field(None, max_length=128)


def _text(content: str | list[dict[str, Any]] | None) -> str:
    if content is None or isinstance(content, str):
        return content or ""
    return "".join(str(part.get("text", "")) for part in content if part.get("type") == "text")


def completion_input(body: CompletionBody, gateway: Gateway) -> ChatInput:
    model = body.model.strip().lower()
    known = gateway.pipeline.known_personas()
    if model != "auto" and model not in known:
        raise invalid_argument("UNKNOWN_MODEL", f"unknown model {body.model!r}; use auto or one of {sorted(known)}")
    last = body.messages[-1]
    if last.role != "user":
        raise invalid_argument("LAST_MESSAGE_NOT_USER", "the last message must come from the user", "messages")
    turns = []
    for message in body.messages[:-1]:
        role = _ROLES.get("system" if message.role == "developer" else message.role)
        if role is not None:
            turns.append(persona_pb2.Turn(role=role, content=_text(message.content)))
    chat = ChatInput(
        content=_text(last.content),
        user_id=body.user or "",
        persona="" if model == "auto" else model,
        max_tokens=body.max_completion_tokens or body.max_tokens,
        temperature=body.temperature,
        recent_turns=turns,
    )
    validate(chat, max_content_chars=gateway.settings.max_content_chars, known_personas=known)
    return chat


def _usage(prompt: str, answer: str) -> dict[str, int]:
    prompt_tokens, completion_tokens = len(prompt.split()), len(answer.split())
    return {
        "prompt_tokens": prompt_tokens,
        "completion_tokens": completion_tokens,
        "total_tokens": prompt_tokens + completion_tokens,
    }


@router.get("/models", summary="Models: auto and one per persona")
async def models(gateway: GatewayDep, _principal: PrincipalDep) -> dict[str, Any]:
    names = ["auto", *sorted(gateway.pipeline.known_personas())]
    return {
        "object": "list",
        "data": [{"id": name, "object": "model", "created": 0, "owned_by": "persona-mesh"} for name in names],
    }


@router.post(
    "/chat/completions", summary="OpenAI-compatible chat completion (plain or stream: true)", response_model=None
)
async def completions(
    body: CompletionBody, gateway: GatewayDep, principal: PrincipalDep
) -> dict[str, Any] | StreamingResponse:
    chat = completion_input(body, gateway)
    if body.stream:
        events = gateway.pipeline.chat_stream(chat, principal)
        first = await anext(events)  # limits and routing errors still answer as HTTP errors
        return StreamingResponse(
            _sse(body.model, first, events), media_type="text/event-stream", headers={"Cache-Control": "no-cache"}
        )
    result = await gateway.pipeline.chat(chat, principal)
    return {
        "id": f"chatcmpl-{result.request_id}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": body.model,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": result.response.content},
                "finish_reason": "stop",
            }
        ],
        "usage": _usage(chat.content, result.response.content),
        "persona_mesh": {
            "request_id": result.request_id,
            "persona": persona_of(result.response),
            "fallback": result.response.fallback,
            "degraded": result.response.degraded or result.decision.degraded,
            "routing": routing_json(result.decision),
        },
    }


def _chunk(request_id: str, model: str, delta: dict[str, Any], finish: str | None = None, **extra: Any) -> bytes:
    payload = {
        "id": f"chatcmpl-{request_id}",
        "object": "chat.completion.chunk",
        "created": int(time.time()),
        "model": model,
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
        **extra,
    }
    return f"data: {json.dumps(payload)}\n\n".encode()


async def _sse(model: str, first: Any, events: AsyncIterator[Any]) -> AsyncIterator[bytes]:
    request_id = ctx.request_id_var.get()
    sent_any = False

    async def all_events() -> AsyncIterator[Any]:
        yield first
        async for event in events:
            yield event

    async for event in all_events():
        if isinstance(event, RoutingEvent):
            yield _chunk(request_id, model, {"role": "assistant", "content": ""})
        elif isinstance(event, DeltaEvent):
            sent_any = True
            yield _chunk(request_id, model, {"content": event.text})
        elif isinstance(event, RestartEvent) and sent_any:
            # OpenAI streams cannot take text back: end with an explicit error instead.
            body = {"message": "the answer changed mid-stream; retry", "type": "stream_restart", "code": event.reason}
            yield f"data: {json.dumps({'error': body})}\n\n".encode()
            await events.aclose()  # type: ignore[attr-defined]
            return
        elif isinstance(event, FinalEvent):
            response = event.result.response
            yield _chunk(
                request_id,
                model,
                {},
                "stop",
                persona_mesh={
                    "request_id": event.result.request_id,
                    "persona": persona_of(response),
                    "fallback": response.fallback,
                    "degraded": response.degraded,
                },
            )
            yield b"data: [DONE]\n\n"
            return
        elif isinstance(event, ErrorEvent):
            body = {"message": event.message, "type": event.code.lower(), "code": event.reason}
            yield f"data: {json.dumps({'error': body})}\n\n".encode()
            return
