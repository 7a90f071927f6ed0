"""A tiny PersonaService run through the shared runtime, for testing the runtime itself.

It is not a stand-in for a product service: it exists so the drain test can
hold a call in flight for a known time (`metadata["sleep"]`) and warm up
slowly (`PM_TEST_WARMUP_SECONDS`), which no real service does on demand.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator

import grpc

from personamesh.v1 import persona_pb2, persona_service_pb2, persona_service_pb2_grpc
from services.common.errors import invalid_argument
from services.common.server import ServiceSpec, run_service
from services.common.settings import CommonSettings


class SlowPersona(persona_service_pb2_grpc.PersonaServiceServicer):
    async def Chat(
        self, request: persona_pb2.PersonaRequest, context: grpc.aio.ServicerContext
    ) -> persona_pb2.PersonaResponse:
        if not request.content:
            raise invalid_argument("EMPTY_CONTENT", "content must not be empty", "content")
        if request.content == "explode":
            raise RuntimeError("unexpected failure")
        await asyncio.sleep(float(request.metadata.get("sleep", "0")))
        return persona_pb2.PersonaResponse(request_id=request.request_id, content=f"echo: {request.content}")

    async def ChatStream(
        self, request: persona_pb2.PersonaRequest, context: grpc.aio.ServicerContext
    ) -> AsyncIterator[persona_pb2.PersonaStreamEvent]:
        for word in request.content.split():
            await asyncio.sleep(float(request.metadata.get("sleep", "0")))
            yield persona_pb2.PersonaStreamEvent(delta=word)
        yield persona_pb2.PersonaStreamEvent(final=persona_pb2.PersonaResponse(content=request.content))


def build() -> ServiceSpec:
    async def warmup() -> None:
        await asyncio.sleep(float(os.environ.get("PM_TEST_WARMUP_SECONDS", "0")))

    return ServiceSpec(
        name="abbey",
        service_names=[persona_service_pb2.DESCRIPTOR.services_by_name["PersonaService"].full_name],
        register=lambda server: persona_service_pb2_grpc.add_PersonaServiceServicer_to_server(
            SlowPersona(),  # type: ignore[abstract]  # no Describe: the base class answers UNIMPLEMENTED
            server,
        ),
        warmup=warmup,
    )


if __name__ == "__main__":
    run_service("slow-persona", build, CommonSettings())
