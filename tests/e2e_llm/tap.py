"""A recording reverse proxy in front of the model server: what each persona sent is kept for the checks.

The model server does not tell which prompt it was given; the tap sits on the only road to it and keeps
every chat-completions request body, passing requests and (streamed) answers through unchanged.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import StreamingResponse
from starlette.background import BackgroundTask

PASSED_HEADERS = ("content-type", "authorization")


def build_app(upstream: str, seen: list[dict[str, Any]], answered: list[bytes]) -> FastAPI:
    """`seen` gets each chat-completions request body, `answered` each answer body once it has been passed on whole."""
    app = FastAPI()
    client = httpx.AsyncClient(base_url=upstream, timeout=None)

    @app.api_route("/{path:path}", methods=["GET", "POST"])
    async def relay(path: str, request: Request) -> StreamingResponse:
        body = await request.body()
        if path.endswith("chat/completions"):
            seen.append(json.loads(body))
        headers = {k: v for k, v in request.headers.items() if k.lower() in PASSED_HEADERS}
        outgoing = client.build_request(request.method, "/" + path, content=body, headers=headers)
        answer = await client.send(outgoing, stream=True)

        async def passed_on() -> AsyncIterator[bytes]:
            body = b""
            async for piece in answer.aiter_raw():
                body += piece
                yield piece
            if path.endswith("chat/completions"):
                answered.append(body)

        return StreamingResponse(
            passed_on(),
            status_code=answer.status_code,
            media_type=answer.headers.get("content-type"),
            background=BackgroundTask(answer.aclose),
        )

    return app


class Tap:
    """The proxy on its own thread: `base_url` for the personas, `seen` for the checks, `stop()` to close it."""

    def __init__(self, upstream: str, port: int) -> None:
        self.seen: list[dict[str, Any]] = []
        self.answered: list[bytes] = []
        self.port = port
        config = uvicorn.Config(
            build_app(upstream, self.seen, self.answered), host="127.0.0.1", port=port, log_level="warning"
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, name="llm-tap", daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def start(self) -> Tap:
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError(f"the tap did not start on port {self.port}")
            time.sleep(0.05)
        return self

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(10)
