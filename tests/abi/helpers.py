"""Small request builders shared by the Abi tests."""

from __future__ import annotations

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
