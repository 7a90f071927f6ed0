"""Repairs of a milvus-lite data dir that a crash or a full disk left torn, done before or while it opens.

milvus-lite has no such recovery of its own; these read its files with the libraries it writes them with
(NumPy, faiss, pyarrow) and touch only derived data, or move a torn segment aside without losing the rest.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np


def index_file_intact(path: Path) -> bool | None:
    """Whether a milvus-lite index file reads back whole; None for a kind this cannot check.

    FLAT index files are NumPy arrays (the header gives the shape, so a cut-short file fails to map);
    HNSW ones are faiss indexes (faiss fails reading a cut-short one).
    """
    try:
        with path.open("rb") as handle:
            magic = handle.read(6)
        if not magic:
            return False
        if magic == b"\x93NUMPY":
            vectors = np.load(path, mmap_mode="r", allow_pickle=False)
            return bool(vectors.ndim == 2)
        if path.suffix != ".idx":
            return None
        import faiss

        faiss.read_index(str(path))
        return True
    except ImportError:
        return None
    except Exception:  # any way of failing to read it back means it is not whole
        return False


def discard_torn_index_files(collection_dir: Path) -> list[Path]:
    """Delete the index files of one milvus-lite collection that do not read back whole; return them."""
    torn = [
        path
        for path in sorted(collection_dir.glob("partitions/*/indexes/*"))
        if path.is_file() and index_file_intact(path) is False
    ]
    for path in torn:
        path.unlink(missing_ok=True)
    return torn


class TornDeleteFile(RuntimeError):
    """A milvus-lite delete (tombstone) file is unreadable: without it deleted rows would come back."""


def _parquet_whole(path: Path) -> bool:
    """A cut-short Parquet file has no footer (it is written last)."""
    import pyarrow.parquet as pq

    try:
        pq.ParquetFile(path).close()
    except Exception:  # any way of failing to read the footer
        return False
    return True


def set_aside_torn_segments(db_dir: Path, quarantine: Path) -> list[tuple[str, Path]]:
    """Move each listed but unreadable segment file of a milvus-lite dir to `quarantine`, unlisted.

    Each is copied out, then dropped from its collection's manifest (milvus-lite's own atomic save),
    then removed, so a crash at any point leaves a consistent dir. Returns (collection, moved file).
    A torn delete file is not dropped (deleted, maybe forgotten, rows would come back): TornDeleteFile.
    """
    from milvus_lite.storage.manifest import Manifest

    moved: list[tuple[str, Path]] = []
    for manifest_path in sorted(db_dir.glob("collections/*/manifest.json")):
        collection_dir = manifest_path.parent
        manifest = Manifest.load(str(collection_dir))
        for partition, files in manifest.get_all_delta_files().items():
            for rel in files:
                path = collection_dir / "partitions" / partition / rel
                if path.exists() and not _parquet_whole(path):
                    raise TornDeleteFile(f"{path} is torn; restore the data dir from a backup")
        torn = [
            (partition, rel)
            for partition, files in manifest.get_all_data_files().items()
            for rel in files
            if (collection_dir / "partitions" / partition / rel).exists()
            and not _parquet_whole(collection_dir / "partitions" / partition / rel)
        ]
        if not torn:
            continue
        for partition, rel in torn:
            target = quarantine / collection_dir.name / partition / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(collection_dir / "partitions" / partition / rel, target)
            manifest.remove_data_files(partition, [rel])
        manifest.save()
        for partition, rel in torn:
            (collection_dir / "partitions" / partition / rel).unlink(missing_ok=True)
            moved.append((collection_dir.name, quarantine / collection_dir.name / partition / rel))
    return moved
