"""A persona process: its servicer, warm-up, model-target breaker metrics and the shared service runtime."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TypeVar

from prometheus_client import Gauge

from personamesh.v1 import persona_service_pb2_grpc
from services.common.clients import EmbeddingIndexClient
from services.common.generation import (
    GenerationBackend,
    build_backend,
)
from services.common.generation.grounding import IndexCaller
from services.common.persona.logic import PersonaLogic
from services.common.persona.servicer import SERVICE_NAME, PersonaServicer
from services.common.persona.settings import PersonaSettings
from services.common.server import ServiceSpec, run_service

log = logging.getLogger(__name__)

LLM_BREAKER_STATE = Gauge(
    "persona_llm_breaker_state", "Breaker of each model target: 0 closed, 1 half-open, 2 open.", ["target"]
)
_BREAKER_LEVELS = {"closed": 0, "half-open": 1, "open": 2}


def _record_breaker(name: str, old: str, new: str) -> None:
    """Breaker listener: a metric and a log line per state change of a model target."""
    LLM_BREAKER_STATE.labels(name).set(_BREAKER_LEVELS.get(new, 0))
    log.warning("llm breaker state changed", extra={"target": name, "from": old, "to": new})


def persona_spec(
    name: str,
    logic: PersonaLogic,
    settings: PersonaSettings,
    backend: GenerationBackend | None = None,
) -> ServiceSpec:
    """The ServiceSpec of a persona process: its servicer, warm-up and clean close."""
    servicer = PersonaServicer(
        logic,
        settings,
        backend if backend is not None else build_backend(settings, on_breaker_change=_record_breaker),
        replica=f"{settings.host}:{settings.grpc_port(name)}",
    )

    async def warmup() -> None:
        await logic.warmup()

    return ServiceSpec(
        name=name,
        service_names=[SERVICE_NAME],
        register=lambda server: persona_service_pb2_grpc.add_PersonaServiceServicer_to_server(servicer, server),
        warmup=warmup,
        close=servicer.close,
    )


SettingsT = TypeVar("SettingsT", bound=PersonaSettings)


def run_persona(name: str, settings: SettingsT, make_logic: Callable[[SettingsT, IndexCaller], PersonaLogic]) -> None:
    """Process entry point of a persona: its index client, its logic, the shared runtime."""

    def build() -> ServiceSpec:
        client = EmbeddingIndexClient(settings.embeddings_addr, timeout=settings.index_timeout_seconds)
        index = IndexCaller(client, settings.index_timeout_seconds)
        return persona_spec(name, make_logic(settings, index), settings)

    run_service(name, build, settings)
