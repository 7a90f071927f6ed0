"""Client and AsyncClient: one method per gateway endpoint a user needs, errors as PersonaMeshError.

Both share the request building (`_Calls`): the sync and async classes differ only in how they send.
Streaming uses the OpenAI-compatible `/v1/chat/completions` with `stream: true` (server-sent events),
the same stream every OpenAI client reads.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from types import TracebackType
from typing import Any
from urllib.parse import quote

import httpx

from gateway.sdk.errors import PersonaMeshError
from gateway.sdk.models import ChatAnswer, Persona, RoutingDecision
from services.common.reasons import Reason

DEFAULT_URL = "http://127.0.0.1:8080"


class _Calls:
    """What each call sends and how its answer is read, independent of sync or async transport."""

    def __init__(self, api_key: str) -> None:
        self.headers = {"authorization": f"Bearer {api_key}"} if api_key else {}

    @staticmethod
    def chat_body(
        content: str, session_id: str, user_id: str, context: dict[str, str] | None, **extra: Any
    ) -> dict[str, Any]:
        body: dict[str, Any] = {"content": content, "session_id": session_id, "user_id": user_id}
        if context:
            body["context"] = context
        body.update({k: v for k, v in extra.items() if v is not None})
        return body

    @staticmethod
    def chat_path(persona: str | None) -> str:
        return f"/api/v1/chat/{persona}" if persona and persona != "auto" else "/api/v1/chat"

    @staticmethod
    def stream_body(content: str, persona: str | None, user_id: str, max_tokens: int | None) -> dict[str, Any]:
        body: dict[str, Any] = {
            "model": persona or "auto",
            "messages": [{"role": "user", "content": content}],
            "stream": True,
        }
        if user_id:
            body["user"] = user_id
        if max_tokens is not None:
            body["max_tokens"] = max_tokens
        return body

    @staticmethod
    def checked(response: httpx.Response) -> Any:
        if response.status_code >= 400:
            raise PersonaMeshError.from_response(response)
        return response.json()

    @staticmethod
    def delta_of(line: str) -> str | None:
        """The text of one server-sent event line; None when the line carries none; raises on an error event."""
        if not line.startswith("data:"):
            return None
        payload = line[5:].strip()
        if payload == "[DONE]":
            return None
        event = json.loads(payload)
        if "error" in event:
            error = event["error"]
            reason = str(error.get("code") or Reason.STREAM_INTERRUPTED).upper()
            raise PersonaMeshError(200, reason, str(error.get("message", "")))
        choices = event.get("choices") or [{}]
        return str(choices[0].get("delta", {}).get("content") or "") or None


class Client:
    """The gateway over HTTP, blocking. Use as a context manager or call close()."""

    def __init__(self, url: str = DEFAULT_URL, api_key: str = "", timeout: float = 60.0) -> None:
        self._calls = _Calls(api_key)
        self._http = httpx.Client(base_url=url.rstrip("/"), headers=self._calls.headers, timeout=timeout)

    def __enter__(self) -> Client:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    def chat(
        self,
        content: str,
        *,
        persona: str | None = None,
        session_id: str = "",
        user_id: str = "",
        context: dict[str, str] | None = None,
        max_tokens: int | None = None,
        temperature: float | None = None,
    ) -> ChatAnswer:
        """One answer; Abi routes unless `persona` names one (`personas()` lists them)."""
        body = self._calls.chat_body(
            content, session_id, user_id, context, max_tokens=max_tokens, temperature=temperature
        )
        return ChatAnswer.from_json(self._calls.checked(self._http.post(self._calls.chat_path(persona), json=body)))

    def stream(
        self, content: str, *, persona: str | None = None, user_id: str = "", max_tokens: int | None = None
    ) -> Iterator[str]:
        """The answer's text as it is generated."""
        body = self._calls.stream_body(content, persona, user_id, max_tokens)
        with self._http.stream("POST", "/v1/chat/completions", json=body) as response:
            if response.status_code >= 400:
                response.read()
                raise PersonaMeshError.from_response(response)
            for line in response.iter_lines():
                if (text := self._calls.delta_of(line)) is not None:
                    yield text

    def route(self, content: str, *, user_id: str = "", session_id: str = "") -> RoutingDecision:
        """Abi's decision alone: who would answer and why (nothing is answered)."""
        body = self._calls.chat_body(content, session_id, user_id, None)
        return RoutingDecision.from_json(self._calls.checked(self._http.post("/api/v1/route", json=body)))

    def personas(self) -> list[Persona]:
        data = self._calls.checked(self._http.get("/api/v1/personas"))
        return [Persona.from_json(entry) for entry in data["personas"]]

    def metrics(self) -> dict[str, Any]:
        """Per persona: requests, errors, p50/p99 latency, satisfaction."""
        data: dict[str, Any] = self._calls.checked(self._http.get("/api/v1/personas/metrics"))
        return data

    def feedback(self, request_id: str, rating: float, comment: str = "") -> bool:
        """Rate an answer in [0, 1]; True when it was recorded for learning."""
        body = {"request_id": request_id, "rating": rating, "comment": comment}
        return bool(self._calls.checked(self._http.post("/api/v1/feedback", json=body)).get("learning_recorded"))

    def delete_user_data(self, user_id: str) -> dict[str, Any]:
        """Erase everything the mesh keeps about a user (your own; an admin key may name anyone)."""
        data: dict[str, Any] = self._calls.checked(self._http.delete(f"/api/v1/users/{quote(user_id, safe='')}/data"))
        return data


class AsyncClient:
    """The same calls as Client, for asyncio."""

    def __init__(self, url: str = DEFAULT_URL, api_key: str = "", timeout: float = 60.0) -> None:
        self._calls = _Calls(api_key)
        self._http = httpx.AsyncClient(base_url=url.rstrip("/"), headers=self._calls.headers, timeout=timeout)

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    async def close(self) -> None:
        await self._http.aclose()

    async def chat(
        self,
        content: str,
        *,
        persona: str | None = None,
        session_id: str = "",
        user_id: str = "",
        context: dict[str, str] | None = None,
        max_tokens: int | None = None,
        temperature: float | None = None,
    ) -> ChatAnswer:
        body = self._calls.chat_body(
            content, session_id, user_id, context, max_tokens=max_tokens, temperature=temperature
        )
        response = await self._http.post(self._calls.chat_path(persona), json=body)
        return ChatAnswer.from_json(self._calls.checked(response))

    async def stream(
        self, content: str, *, persona: str | None = None, user_id: str = "", max_tokens: int | None = None
    ) -> AsyncIterator[str]:
        body = self._calls.stream_body(content, persona, user_id, max_tokens)
        async with self._http.stream("POST", "/v1/chat/completions", json=body) as response:
            if response.status_code >= 400:
                await response.aread()
                raise PersonaMeshError.from_response(response)
            async for line in response.aiter_lines():
                if (text := self._calls.delta_of(line)) is not None:
                    yield text

    async def route(self, content: str, *, user_id: str = "", session_id: str = "") -> RoutingDecision:
        body = self._calls.chat_body(content, session_id, user_id, None)
        return RoutingDecision.from_json(self._calls.checked(await self._http.post("/api/v1/route", json=body)))

    async def personas(self) -> list[Persona]:
        data = self._calls.checked(await self._http.get("/api/v1/personas"))
        return [Persona.from_json(entry) for entry in data["personas"]]

    async def metrics(self) -> dict[str, Any]:
        data: dict[str, Any] = self._calls.checked(await self._http.get("/api/v1/personas/metrics"))
        return data

    async def feedback(self, request_id: str, rating: float, comment: str = "") -> bool:
        body = {"request_id": request_id, "rating": rating, "comment": comment}
        response = await self._http.post("/api/v1/feedback", json=body)
        return bool(self._calls.checked(response).get("learning_recorded"))

    async def delete_user_data(self, user_id: str) -> dict[str, Any]:
        response = await self._http.delete(f"/api/v1/users/{quote(user_id, safe='')}/data")
        data: dict[str, Any] = self._calls.checked(response)
        return data
