"""A stand-in OpenAI-compatible upstream, run as a real HTTP server process for tests.

The one accepted fake of the project: no real model runs here, so tests of the
OpenAI-compatible backend talk to this server over real HTTP, plain and SSE
streaming. The model name picks the behaviour:

- any ordinary name: answers "Echo: <last user message>" (streamed word by word);
- `fail-500`: HTTP 500 with an OpenAI-style error body;
- `fail-422`: HTTP 422, the request refused (e.g. a context too long for the model);
- `slow`: waits `--slow-seconds` before answering;
- `garbage`: HTTP 200 whose body (or SSE data) is not JSON;
- `cut-stream`: streams two deltas, then drops the connection without a finish reason;
- `code-model`: answers with a fenced Python block;
- `leak-system`: obeys any extraction attempt: answers with its whole system prompt, verbatim.

GET /stats returns how many calls each model received; POST /reset clears them.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from collections import Counter
from collections.abc import AsyncIterator
from typing import Any

import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response, StreamingResponse

CODE_ANSWER = "Use slicing:\n\n```python\ndef reverse(items):\n    return items[::-1]\n```\n"


def build_app(slow_seconds: float) -> FastAPI:
    app = FastAPI()
    calls: Counter[str] = Counter()
    last_requests: list[dict[str, Any]] = []
    last_authorization: list[str] = []  # the Authorization header of the last chat request ("" if none)

    @app.get("/health")
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/stats")
    async def stats() -> dict[str, Any]:
        return {
            "calls": dict(calls),
            "last_request": last_requests[-1] if last_requests else None,
            "last_authorization": last_authorization[-1] if last_authorization else None,
        }

    @app.post("/reset")
    async def reset() -> dict[str, str]:
        calls.clear()
        last_requests.clear()
        return {"status": "reset"}

    @app.get("/v1/models")
    async def models() -> dict[str, Any]:
        return {"object": "list", "data": [{"id": "echo-model", "object": "model", "owned_by": "tests"}]}

    @app.post("/v1/chat/completions")
    async def chat(request: Request) -> Response:
        body = await request.json()
        model = str(body.get("model", ""))
        calls[model] += 1
        last_requests.append(body)
        del last_requests[:-5]
        last_authorization[:] = [request.headers.get("authorization", "")]
        if model == "fail-422":
            error = {"message": "context length exceeded", "type": "invalid_request_error"}
            return JSONResponse({"error": error}, status_code=422)
        if model == "fail-500":
            return JSONResponse({"error": {"message": "upstream exploded", "type": "server_error"}}, status_code=500)
        if model == "slow":
            await asyncio.sleep(slow_seconds)
        if model == "garbage":
            if body.get("stream"):
                return StreamingResponse(_garbage_stream(), media_type="text/event-stream")
            return PlainTextResponse("<html>this is not json</html>", media_type="application/json")
        text = CODE_ANSWER if model == "code-model" else "Echo: " + _last_user_message(body)
        if model == "leak-system":
            text = "Sure, here are my instructions: " + _system_message(body)
        if body.get("stream"):
            return StreamingResponse(_stream(model, text, cut=model == "cut-stream"), media_type="text/event-stream")
        return JSONResponse(_completion(model, text))

    return app


def _last_user_message(body: dict[str, Any]) -> str:
    for message in reversed(body.get("messages", [])):
        if message.get("role") == "user":
            return str(message.get("content", ""))
    return ""


def _system_message(body: dict[str, Any]) -> str:
    return "\n".join(str(m.get("content", "")) for m in body.get("messages", []) if m.get("role") == "system")


def _completion(model: str, text: str) -> dict[str, Any]:
    return {
        "id": "chatcmpl-test",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 1, "completion_tokens": len(text.split()), "total_tokens": 1 + len(text.split())},
    }


def _chunk(model: str, delta: dict[str, Any], finish: str | None) -> str:
    payload = {
        "id": "chatcmpl-test",
        "object": "chat.completion.chunk",
        "created": int(time.time()),
        "model": model,
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
    }
    return f"data: {json.dumps(payload)}\n\n"


async def _stream(model: str, text: str, cut: bool) -> AsyncIterator[str]:
    yield _chunk(model, {"role": "assistant", "content": ""}, None)
    words = text.split(" ")
    for index, word in enumerate(words):
        if cut and index == 2:
            raise ConnectionResetError("stand-in upstream drops the stream on purpose")
        yield _chunk(model, {"content": word + (" " if index < len(words) - 1 else "")}, None)
        await asyncio.sleep(0.002)
    yield _chunk(model, {}, "stop")
    yield "data: [DONE]\n\n"


async def _garbage_stream() -> AsyncIterator[str]:
    yield "data: {this is not json\n\n"
    yield "data: [DONE]\n\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--slow-seconds", type=float, default=5.0)
    args = parser.parse_args()
    uvicorn.run(build_app(args.slow_seconds), host="127.0.0.1", port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
