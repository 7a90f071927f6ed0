"""The source ids of the documentation corpus: a prefix per kind of page (one place, read without the parsers)."""

from __future__ import annotations

PYTHON_PAGES = "python-3.11/"
MAN_PAGES = "man/"
CORPUS_PREFIXES = (PYTHON_PAGES, MAN_PAGES)
