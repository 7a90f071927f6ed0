"""Reading what a service left on disk as text, for the privacy tests' greps."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq


def file_texts(path: Path) -> list[str]:
    """A file as text: its raw bytes, and its rows when it is Parquet or Arrow IPC (pages may be compressed)."""
    data = path.read_bytes()
    texts = [data.decode("latin-1")]
    readers = (
        lambda: pq.read_table(path).to_pylist(),
        lambda: pa.ipc.open_stream(data).read_all().to_pylist(),
        lambda: pa.ipc.open_file(pa.BufferReader(data)).read_all().to_pylist(),
    )
    for read in readers:
        try:
            texts.append(json.dumps(read(), default=str, ensure_ascii=False))
        except Exception:  # not that format
            continue
    return texts
