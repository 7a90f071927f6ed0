"""Rows written straight to the store (no model, no gRPC) by the tests of its files."""

from __future__ import annotations

from typing import Any


def conversation_row(i: int, user: str, vector: list[float]) -> dict[str, Any]:
    """A row of the conversations collection, as the memory service writes one."""
    return {
        "id": f"{user}-{i}",
        "user_id": user,
        "session_id": "",
        "persona": 1,
        "created_ms": i,
        "emotion": "",
        "sentiment": 0.0,
        "request_id": "",
        "user_message": f"row {i}",
        "response": "",
        "vector": vector,
    }
