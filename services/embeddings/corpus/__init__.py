"""The offline documentation corpus: Python 3.11's HTML docs and the man pages of everyday tools, as knowledge
documents with provenance (source, page, section, stable URL). `python -m services.embeddings.corpus` ingests it."""
