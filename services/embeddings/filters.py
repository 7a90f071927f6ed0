"""Milvus filter expressions built from values (milvus-lite has no filter templates, so we escape ourselves)."""

from __future__ import annotations


def quote(value: str) -> str:
    """A Milvus filter string literal."""
    escaped = (
        value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r").replace("\t", "\\t")
    )
    return f'"{escaped}"'
