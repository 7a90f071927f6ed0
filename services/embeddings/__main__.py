"""`python -m services.embeddings`: the embedding index service."""

from __future__ import annotations

from services.common.server import run_service
from services.embeddings.embedded_milvus import keep_pandas_out
from services.embeddings.service import build
from services.embeddings.settings import EmbeddingsSettings


def main() -> None:
    # CommonSettings declares defaults positionally, which mypy (without the pydantic plugin) cannot see.
    settings = EmbeddingsSettings()
    if not settings.milvus_uri:
        keep_pandas_out()
    run_service("embeddings", lambda: build(settings), settings)


if __name__ == "__main__":
    main()
