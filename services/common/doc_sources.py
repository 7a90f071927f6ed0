"""The source ids of the built-in documentation, a prefix per kind of page: written by the embedding index
(its corpus and seed) and read by the personas (Aviva's domain gate knows only these), so one place for both."""

from __future__ import annotations

PYTHON_PAGES = "python-3.11/"
MAN_PAGES = "man/"
CORPUS_PREFIXES = (PYTHON_PAGES, MAN_PAGES)
# The default knowledge base's CPython `pydoc_data` topics (services/embeddings/seed.py).
PYDOC_TOPICS = "python-docs/"
# Everything the mesh ships as reference documentation; an operator's own documents have other sources.
BUILT_IN_PREFIXES = (*CORPUS_PREFIXES, PYDOC_TOPICS)
