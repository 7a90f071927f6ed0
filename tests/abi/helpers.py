"""Small request builders shared by the Abi tests."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from personamesh.v1 import abi_service_pb2, persona_pb2

PERSONA = {"abi": persona_pb2.PERSONA_ABI, "abbey": persona_pb2.PERSONA_ABBEY, "aviva": persona_pb2.PERSONA_AVIVA}


def route_request(content: str, **fields: Any) -> abi_service_pb2.RouteRequest:
    user_role = str(fields.pop("user_role", ""))
    return abi_service_pb2.RouteRequest(
        request=persona_pb2.PersonaRequest(content=content, **fields), user_role=user_role
    )


def persona_name(value: int) -> str:
    return {int(v): k for k, v in PERSONA.items()}[value]


def wait_for(predicate: Callable[[], bool], timeout: float = 5.0) -> bool:
    """Poll until `predicate` holds (a watched rules file is reloaded every 0.2 s in the tests), or time runs out."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return False
