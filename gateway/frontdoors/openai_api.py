"""The OpenAI-compatible API: `/v1/chat/completions` (plain and streamed), `/v1/models`, `/v1/models/{id}`.

Model names are persona names plus `auto`, so the official client works
unchanged. The last user message is the content; earlier messages are the
conversation history. The answer's `model` is the persona that answered (a
fallback shows); the model asked for stays in `persona_mesh.requested_model`.
`finish_reason` is "length" when max_tokens cut the answer, `stop` sequences end
it early, usage comes in plain answers and, with `stream_options.include_usage`,
as a last chunk. Parameters the mesh cannot honour (`n` > 1, `tools`, a
non-text `response_format`, `logprobs`) are refused with 400 rather than ignored.
A stream that cannot finish ends with an `error` event (which the official
client raises), never with a silent `[DONE]`. Errors use OpenAI's shape (http_errors).
"""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel, ConfigDict, Field

from gateway.frontdoors.convert import routing_json
from gateway.frontdoors.http_api import GatewayDep, PrincipalDep
from gateway.frontdoors.http_errors import error_responses
from gateway.frontdoors.schemas import ChatCompletion, OpenAIModel, OpenAIModelList, documented
from gateway.pipeline.chat import DeltaEvent, ErrorEvent, FinalEvent, RestartEvent, RoutingEvent
from gateway.pipeline.chat_input import ChatInput, validate
from gateway.state import Gateway
from gateway.text import EdgeModel
from personamesh.v1 import persona_pb2
from services.common import context as ctx
from services.common.errors import invalid_argument, not_found
from services.common.reasons import Reason
from services.common.registry.wire import persona_of

# With `stream: true`: `data: <chat.completion.chunk JSON>` events, an error event if the answer cannot finish, and
# `data: [DONE]`.
STREAM = {
    "text/event-stream": {"schema": {"type": "string", "description": "Server-sent chat.completion.chunk events"}}
}
router = APIRouter(prefix="/v1", tags=["openai"], responses=error_responses(400, 401, 403, 404, 429, openai=True))

_ROLES = {"user": persona_pb2.ROLE_USER, "assistant": persona_pb2.ROLE_ASSISTANT, "system": persona_pb2.ROLE_SYSTEM}


class Message(BaseModel):
    model_config = ConfigDict(extra="allow")
    role: Literal["system", "user", "assistant", "developer", "tool"]
    content: str | list[dict[str, Any]] | None = None


class StreamOptions(BaseModel):
    model_config = ConfigDict(extra="allow")
    include_usage: bool = False


class CompletionBody(EdgeModel):
    model_config = ConfigDict(extra="allow")  # OpenAI clients send many optional fields
    model: str = Field(description="auto (let Abi route) or a persona name (GET /v1/models lists them)")
    messages: list[Message] = Field(min_length=1)
    stream: bool = False
    stream_options: StreamOptions | None = None
    max_tokens: int | None = None
    max_completion_tokens: int | None = None
    temperature: float | None = None
    stop: str | list[str] | None = Field(None, description="Up to 4 sequences; the answer ends before the first.")
    n: int | None = Field(None, description="Only 1 is supported.")
    user: str | None = Field(None, max_length=128)

    def stop_sequences(self) -> list[str]:
        stops = [self.stop] if isinstance(self.stop, str) else list(self.stop or [])
        if len(stops) > MAX_STOP or any(not s or len(s) > MAX_STOP_CHARS for s in stops):
            raise invalid_argument(
                Reason.INVALID_STOP,
                f"stop takes up to {MAX_STOP} non-empty sequences of at most {MAX_STOP_CHARS}",
                "stop",
            )
        return stops


MAX_STOP, MAX_STOP_CHARS = 4, 256
# Parameters OpenAI accepts that the mesh cannot honour: refusing beats silently answering something else.
_UNSUPPORTED = ("tools", "tool_choice", "functions", "function_call", "logprobs", "top_logprobs", "audio", "modalities")


def _refuse_unsupported(body: CompletionBody) -> None:
    if body.n is not None and body.n != 1:
        raise invalid_argument(Reason.UNSUPPORTED_PARAMETER, "n: only one choice per request is supported", "n")
    extra = body.model_extra or {}
    for name in _UNSUPPORTED:
        if extra.get(name) not in (None, False, [], {}):
            raise invalid_argument(Reason.UNSUPPORTED_PARAMETER, f"{name} is not supported by persona-mesh", name)
    response_format = extra.get("response_format")
    if response_format not in (None, {"type": "text"}):
        raise invalid_argument(
            Reason.UNSUPPORTED_PARAMETER, 'response_format: only {"type": "text"} is supported', "response_format"
        )


def _text(content: str | list[dict[str, Any]] | None) -> str:
    if content is None or isinstance(content, str):
        return content or ""
    return "".join(str(part.get("text", "")) for part in content if part.get("type") == "text")


def _model_not_found(model: str, known: set[str]) -> Exception:
    return not_found(
        Reason.MODEL_NOT_FOUND, f"The model {model!r} does not exist; use auto or one of {', '.join(sorted(known))}"
    )


def completion_input(body: CompletionBody, gateway: Gateway) -> ChatInput:
    model = body.model.strip().lower()
    known = gateway.pipeline.known_personas()
    if model != "auto" and model not in known:
        error = _model_not_found(body.model, known)
        error.metadata["field"] = "model"  # type: ignore[attr-defined]
        raise error
    _refuse_unsupported(body)
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


def _prompt(chat: ChatInput) -> str:
    """Every message the request sent, as OpenAI counts a prompt: the history and the last message."""
    return "\n".join([*(turn.content for turn in chat.recent_turns or []), chat.content])


def _usage(prompt: str, answer: str) -> dict[str, int]:
    """Counts in words, an estimate: an answer may come from no model (the composer), so there are no model tokens."""
    prompt_tokens, completion_tokens = len(prompt.split()), len(answer.split())
    return {
        "prompt_tokens": prompt_tokens,
        "completion_tokens": completion_tokens,
        "total_tokens": prompt_tokens + completion_tokens,
    }


def _model(name: str) -> dict[str, Any]:
    return {"id": name, "object": "model", "created": 0, "owned_by": "persona-mesh"}


@router.get("/models", summary="Models: auto and one per persona", **documented(OpenAIModelList, openai=True))
async def models(gateway: GatewayDep, _principal: PrincipalDep) -> dict[str, Any]:
    names = ["auto", *sorted(gateway.pipeline.known_personas())]
    return {"object": "list", "data": [_model(name) for name in names]}


@router.get("/models/{model_id}", summary="One model: auto or a persona", **documented(OpenAIModel, openai=True))
async def model(
    model_id: Annotated[str, Path(max_length=64)], gateway: GatewayDep, _principal: PrincipalDep
) -> dict[str, Any]:
    known = gateway.pipeline.known_personas()
    if model_id != "auto" and model_id not in known:
        raise _model_not_found(model_id, known)
    return _model(model_id)


def cut_at_stop(text: str, stops: list[str]) -> tuple[str, bool]:
    """`text` up to the first stop sequence, and whether one was found."""
    found = [i for i in (text.find(stop) for stop in stops) if i >= 0]
    return (text[: min(found)], True) if found else (text, False)


def _finish_reason(response: persona_pb2.PersonaResponse, stopped: bool) -> str:
    return "stop" if stopped or response.finish_reason != "length" else "length"


def _mesh_details(result: Any, requested: str) -> dict[str, Any]:
    response = result.response
    return {
        "request_id": result.request_id,
        "requested_model": requested,
        "persona": persona_of(response),
        "fallback": response.fallback,
        "degraded": response.degraded or result.decision.degraded,
    }


@router.post(
    "/chat/completions",
    summary="OpenAI-compatible chat completion (plain or stream: true)",
    **documented(ChatCompletion, 413, 503, openai=True, content=STREAM),
)
async def completions(
    body: CompletionBody, gateway: GatewayDep, principal: PrincipalDep
) -> JSONResponse | StreamingResponse:
    # Plain answers go out as a ready JSONResponse, not a dict for FastAPI's jsonable_encoder walk.
    chat = completion_input(body, gateway)
    stops = body.stop_sequences()
    if body.stream:
        events = gateway.pipeline.chat_stream(chat, principal)
        first = await anext(events)  # limits and routing errors still answer as HTTP errors
        include_usage = bool(body.stream_options and body.stream_options.include_usage)
        stream = _sse(body.model, _prompt(chat), stops, include_usage, first, events)
        return StreamingResponse(stream, media_type="text/event-stream", headers={"Cache-Control": "no-cache"})
    result = await gateway.pipeline.chat(chat, principal)
    content, stopped = cut_at_stop(result.response.content, stops)
    return JSONResponse(
        {
            "id": f"chatcmpl-{result.request_id}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": persona_of(result.response),
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": content},
                    "finish_reason": _finish_reason(result.response, stopped),
                }
            ],
            "usage": _usage(_prompt(chat), content),
            "persona_mesh": {**_mesh_details(result, body.model), "routing": routing_json(result.decision)},
        }
    )


def _chunk(request_id: str, model: str, choices: list[dict[str, Any]], **extra: Any) -> bytes:
    payload = {
        "id": f"chatcmpl-{request_id}",
        "object": "chat.completion.chunk",
        "created": int(time.time()),
        "model": model,
        "choices": choices,
        **extra,
    }
    return f"data: {json.dumps(payload)}\n\n".encode()


def _delta(delta: dict[str, Any], finish: str | None = None) -> list[dict[str, Any]]:
    return [{"index": 0, "delta": delta, "finish_reason": finish}]


def _error_event(message: str, kind: str, code: str) -> bytes:
    return (
        f"data: {json.dumps({'error': {'message': message, 'type': kind, 'param': None, 'code': code}})}\n\n".encode()
    )


async def _sse(
    requested: str, prompt: str, stops: list[str], include_usage: bool, first: Any, events: AsyncIterator[Any]
) -> AsyncIterator[bytes]:
    """Pipeline events as OpenAI chunks. Text is held back by the longest stop sequence less one character,
    so a stop sequence split across deltas is still found before any of it is sent."""
    request_id = ctx.request_id_var.get()
    model = requested  # until the final event names the persona that answered
    hold = max((len(stop) for stop in stops), default=1) - 1
    pending = sent = ""

    async def all_events() -> AsyncIterator[Any]:
        yield first
        async for event in events:
            yield event

    async for event in all_events():
        if isinstance(event, RoutingEvent):
            model = persona_of(event.decision) or requested
            yield _chunk(request_id, model, _delta({"role": "assistant", "content": ""}))
        elif isinstance(event, DeltaEvent):
            pending += event.text
            cut, stopped = cut_at_stop(pending, stops)
            ready = cut if stopped else pending[: len(pending) - hold]
            if ready:
                sent += ready
                pending = pending[len(ready) :]
                yield _chunk(request_id, model, _delta({"content": ready}))
            if stopped:
                await events.aclose()  # type: ignore[attr-defined]
                yield _chunk(request_id, model, _delta({}, "stop"))
                if include_usage:
                    yield _chunk(request_id, model, [], usage=_usage(prompt, sent))
                yield b"data: [DONE]\n\n"
                return
        elif isinstance(event, RestartEvent) and (sent or pending):
            # OpenAI streams cannot take text back: end with an explicit error instead.
            yield _error_event("the answer changed mid-stream; retry", "api_error", event.reason.lower())
            await events.aclose()  # type: ignore[attr-defined]
            return
        elif isinstance(event, FinalEvent):
            response = event.result.response
            model = persona_of(response) or model
            if pending:
                sent += pending
                yield _chunk(request_id, model, _delta({"content": pending}))
            yield _chunk(
                request_id,
                model,
                _delta({}, _finish_reason(response, False)),
                persona_mesh=_mesh_details(event.result, requested),
            )
            if include_usage:
                yield _chunk(request_id, model, [], usage=_usage(prompt, sent))
            yield b"data: [DONE]\n\n"
            return
        elif isinstance(event, ErrorEvent):
            yield _error_event(event.message, "api_error", event.reason.lower())
            return
