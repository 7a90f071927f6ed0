"""The one exception the client raises: what the gateway said went wrong, never a bare HTTP error."""

from __future__ import annotations

from typing import Any

import httpx


class PersonaMeshError(Exception):
    """An error answer from the gateway: HTTP status, the UPPER_SNAKE reason and the message, as sent."""

    def __init__(self, status: int, reason: str, message: str, *, request_id: str = "", field: str = "") -> None:
        super().__init__(f"{status} {reason}: {message}")
        self.status = status
        self.reason = reason
        self.message = message
        self.request_id = request_id
        self.field = field

    @classmethod
    def from_response(cls, response: httpx.Response) -> PersonaMeshError:
        """Both envelopes: the mesh's `{"error": {code, reason, message}}` and OpenAI's under /v1."""
        try:
            error: dict[str, Any] = response.json().get("error", {})
        except ValueError:
            error = {}
        reason = str(error.get("reason") or error.get("code") or f"HTTP_{response.status_code}")
        message = str(error.get("message") or response.text[:200] or response.reason_phrase)
        return cls(
            response.status_code,
            reason.upper(),
            message,
            request_id=str(error.get("request_id", "")),
            field=str(error.get("field") or error.get("param") or ""),
        )
