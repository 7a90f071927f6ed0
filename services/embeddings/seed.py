"""The default knowledge base, built offline from permissively licensed text that ships with the machine.

- CPython's `pydoc_data.topics` (the Python language reference topics behind
  `help()`, PSF licence), one document per topic;
- the project's own `docs/*.md` (collection `project_docs`, cited only for questions about persona-mesh).
"""

from __future__ import annotations

import sys
from pathlib import Path

from personamesh.v1 import embedding_index_service_pb2 as pb
from services.common.doc_sources import PYDOC_TOPICS
from services.embeddings.collections import KNOWLEDGE, PROJECT_DOCS


def pydoc_documents() -> list[pb.KnowledgeDocument]:
    from pydoc_data.topics import topics

    version = f"{sys.version_info.major}.{sys.version_info.minor}"
    documents = []
    for name, text in sorted(topics.items()):
        title = next((line.strip() for line in text.splitlines() if line.strip()), name)
        documents.append(
            pb.KnowledgeDocument(
                source=f"{PYDOC_TOPICS}{name}",
                title=f"Python {version} reference: {title}",
                url=f"pydoc:{name}",
                text=text,
                format="text",
            )
        )
    return documents


def project_documents(docs_dir: Path) -> list[pb.KnowledgeDocument]:
    documents = []
    for path in sorted(docs_dir.glob("*.md")) if docs_dir.is_dir() else []:
        text = path.read_text(encoding="utf-8", errors="replace")
        if not text.strip():
            continue
        title = next((line.lstrip("# ").strip() for line in text.splitlines() if line.startswith("#")), path.stem)
        documents.append(
            pb.KnowledgeDocument(
                source=f"docs/{path.name}",
                title=title,
                url=f"docs/{path.name}",
                text=text,
                format="markdown",
                collection=pb.KNOWLEDGE_COLLECTION_PROJECT,
            )
        )
    return documents


def seed_collection(document: pb.KnowledgeDocument) -> str:
    """The store collection a default document belongs to: the project's docs apart from the reference."""
    return PROJECT_DOCS if document.collection == pb.KNOWLEDGE_COLLECTION_PROJECT else KNOWLEDGE


def default_documents(docs_dir: Path) -> list[pb.KnowledgeDocument]:
    return pydoc_documents() + project_documents(docs_dir)
