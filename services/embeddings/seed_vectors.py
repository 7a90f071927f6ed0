"""Precomputed vectors of the default knowledge base, shipped with the service.

Embedding the ~540 default chunks takes ~30 s on two cores; every fresh data
dir (each test mesh) would pay it. `python -m services.embeddings.seed_vectors`
embeds them once and writes `seed_vectors.npz` next to this module, keyed by
the SHA-1 of each embedded text and tagged with the model name. At seeding,
chunks whose text is unchanged take their stored vector and only changed or
new chunks (for example an edited docs/*.md) are embedded. Rebuild after
changing the chunker, the model or the Python version (pydoc topics differ).
"""

from __future__ import annotations

import argparse
import hashlib
from pathlib import Path

import numpy as np

from services.common.encoder import MODEL_NAME, SentenceEncoder

DEFAULT_PATH = Path(__file__).with_name("seed_vectors.npz")


def text_key(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8", "surrogatepass")).hexdigest()


class SeedVectors:
    """Stored vectors by text; `get` returns None for texts it does not hold (or another model's file)."""

    def __init__(self, vectors: dict[str, np.ndarray]) -> None:
        self._vectors = vectors

    @classmethod
    def load(cls, path: Path = DEFAULT_PATH) -> SeedVectors:
        if not path.is_file():
            return cls({})
        with np.load(path, allow_pickle=False) as data:
            if str(data["model"]) != MODEL_NAME:
                return cls({})
            keys = [str(k) for k in data["keys"]]
            matrix = data["vectors"].astype(np.float32)
        matrix /= np.clip(np.linalg.norm(matrix, axis=1, keepdims=True), 1e-12, None)
        return cls(dict(zip(keys, matrix, strict=True)))

    def get(self, text: str) -> np.ndarray | None:
        return self._vectors.get(text_key(text))

    def __len__(self) -> int:
        return len(self._vectors)


def build(docs_dir: Path, out: Path) -> int:
    """Embed every default chunk and write the file; returns the number of vectors."""
    from services.embeddings.knowledge import KnowledgeBase
    from services.embeddings.seed import default_documents
    from services.embeddings.settings import EmbeddingsSettings

    settings = EmbeddingsSettings()
    knowledge = KnowledgeBase(
        None,  # type: ignore[arg-type]
        None,  # type: ignore[arg-type]
        max_chars=settings.max_document_chars,
        chunk_chars=settings.chunk_chars,
        overlap=settings.chunk_overlap_chars,
    )
    texts: list[str] = []
    for i, document in enumerate(default_documents(docs_dir)):
        texts.extend(KnowledgeBase.embedding_texts(knowledge.prepare(document, i)))
    encoder = SentenceEncoder()
    parts = [encoder.encode(texts[start : start + 32]).vectors for start in range(0, len(texts), 32)]
    matrix = np.concatenate(parts).astype(np.float16)
    np.savez_compressed(out, model=np.array(MODEL_NAME), keys=np.array([text_key(t) for t in texts]), vectors=matrix)
    return len(texts)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--docs-dir", type=Path, default=Path("docs"), help="project docs folder (default: docs)")
    parser.add_argument("--out", type=Path, default=DEFAULT_PATH, help=f"output file (default: {DEFAULT_PATH})")
    args = parser.parse_args()
    count = build(args.docs_dir, args.out)
    print(f"wrote {count} vectors to {args.out}")


if __name__ == "__main__":
    main()
