"""`python -m services.aviva`: one Aviva replica (port from PM_PORT, default 50071)."""

from __future__ import annotations

from services.aviva.logic import AvivaLogic
from services.aviva.settings import AvivaSettings
from services.common.clients import EmbeddingIndexClient
from services.common.generation.grounding import IndexCaller
from services.common.persona_base import persona_spec
from services.common.server import ServiceSpec, run_service


def main() -> None:
    settings = AvivaSettings()

    def build() -> ServiceSpec:
        client = EmbeddingIndexClient(settings.embeddings_addr, timeout=settings.index_timeout_seconds)
        index = IndexCaller(client, settings.index_timeout_seconds)
        return persona_spec("aviva", AvivaLogic(settings, index), settings)

    run_service("aviva", build, settings)


if __name__ == "__main__":
    main()
