"""`python -m services.abbey`: one Abbey replica (port from PM_PORT, default 50061)."""

from __future__ import annotations

from services.abbey.logic import AbbeyLogic
from services.abbey.settings import AbbeySettings
from services.common.clients import EmbeddingIndexClient
from services.common.generation.grounding import IndexCaller
from services.common.persona_base import persona_spec
from services.common.server import ServiceSpec, run_service


def main() -> None:
    settings = AbbeySettings()

    def build() -> ServiceSpec:
        client = EmbeddingIndexClient(settings.embeddings_addr, timeout=settings.index_timeout_seconds)
        index = IndexCaller(client, settings.index_timeout_seconds)
        return persona_spec("abbey", AbbeyLogic(settings, index), settings)

    run_service("abbey", build, settings)


if __name__ == "__main__":
    main()
