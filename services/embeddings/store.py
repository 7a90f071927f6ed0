"""The vector store: milvus-lite in the data dir by default, a Milvus server by URI, one pymilvus code path
(but for searches in milvus-lite, which go to its engine in this process: see `embedded_milvus`).

pymilvus is blocking, so calls run in threads. Writes go through one writer
thread as group commits: every write waiting is applied, then each touched
collection is flushed once, and only then are the callers acknowledged. So an
acknowledged write is on disk (it survives SIGKILL) and searches never hit
the slow unflushed path. What a crash can leave torn in a milvus-lite dir is
repaired when it is opened: see `_load` and `_set_aside_torn_segments`.
"""

from __future__ import annotations

import asyncio
import fcntl
import logging
import os
import shutil
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, TypeVar

import numpy as np
from pymilvus import MilvusClient, MilvusException

from services.embeddings.batching import MicroBatcher
from services.embeddings.collections import CollectionSpec, collection_specs
from services.embeddings.embedded_milvus import CLIENT_OPTIONS as EMBEDDED_CLIENT_OPTIONS
from services.embeddings.embedded_milvus import EmbeddedMilvus
from services.embeddings.metrics import STORE_TORN_INDEX_FILES, STORE_TORN_SEGMENTS, STORE_WRITE_OPS
from services.embeddings.partitions import (
    DEFAULT_PARTITIONS,
    LEGACY_PARTITION,
    bucket_count,
    partition_names,
    partition_of,
)
from services.embeddings.settings import EmbeddingsSettings

log = logging.getLogger(__name__)

# Largest result window one Milvus query may return.
QUERY_PAGE = 16_384
# Rows per page when every row is read at start-up.
QUERY_ITERATOR_PAGE = 1024

T = TypeVar("T")


@dataclass(frozen=True)
class WriteOp:
    """One write of a group commit: upsert `rows`, or delete what `filter` matches."""

    collection: str
    rows: list[dict[str, Any]] | None = None
    filter: str = ""


def quote(value: str) -> str:
    """A Milvus filter string literal (milvus-lite has no filter templates, so we escape ourselves)."""
    escaped = (
        value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r").replace("\t", "\\t")
    )
    return f'"{escaped}"'


def store_from_settings(settings: EmbeddingsSettings) -> VectorStore:
    return VectorStore(
        lite_dir=settings.store_dir,
        uri=settings.milvus_uri,
        token=settings.milvus_token,
        db_name=settings.milvus_db,
        prefix=settings.collection_prefix,
        conversation_index=settings.conversation_index,
        knowledge_index=settings.knowledge_index,
        hnsw_m=settings.hnsw_m,
        hnsw_ef_construction=settings.hnsw_ef_construction,
        hnsw_ef_search=settings.hnsw_ef_search,
        partitions=settings.memory_partitions,
    )


class DataDirLocked(RuntimeError):
    """Another process has this data dir open; milvus-lite allows one opener."""


class VectorStore:
    """Typed access to the service's collections."""

    def __init__(
        self,
        *,
        lite_dir: Path,
        uri: str = "",
        token: str = "",
        db_name: str = "",
        prefix: str = "pm_",
        conversation_index: str = "FLAT",
        knowledge_index: str = "HNSW",
        hnsw_m: int = 16,
        hnsw_ef_construction: int = 200,
        hnsw_ef_search: int = 64,
        partitions: int = DEFAULT_PARTITIONS,
    ) -> None:
        self.lite_dir = lite_dir
        self.uri = uri
        self.token = token
        self.db_name = db_name
        self.prefix = prefix
        self.ef_search = hnsw_ef_search
        self.new_partitions = partitions
        self.specs = {
            s.name: s for s in collection_specs(conversation_index, knowledge_index, hnsw_m, hnsw_ef_construction)
        }
        self.client: MilvusClient | None = None
        self._lite: EmbeddedMilvus | None = None
        # Per partitioned collection: its number of hash partitions, and whether rows written before it was
        # partitioned are left in the default partition (searched too, so no memory is lost in an upgrade).
        self._buckets: dict[str, int] = {}
        self._legacy_rows: dict[str, bool] = {}
        self._lock_file: IO[str] | None = None
        self._readers = ThreadPoolExecutor(max_workers=4, thread_name_prefix="store-read")
        self._writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="store-write")
        self._writes: MicroBatcher[WriteOp, int] = MicroBatcher(
            self._apply_blocking, self._writer, max_items=512, max_wait_s=0.0
        )

    @property
    def embedded(self) -> bool:
        return not self.uri

    def full_name(self, collection: str) -> str:
        return self.prefix + collection

    # --- lifecycle -------------------------------------------------------

    def _take_lock(self) -> None:
        self.lite_dir.mkdir(parents=True, exist_ok=True)
        handle = (self.lite_dir / "service.lock").open("w")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as error:
            handle.close()
            raise DataDirLocked(f"{self.lite_dir} is in use by another embeddings process") from error
        handle.write(str(os.getpid()))
        handle.flush()
        self._lock_file = handle

    def open_blocking(self) -> None:
        """Connect (or open milvus-lite), create missing collections and load them."""
        if self.embedded:
            self._take_lock()
            self._set_aside_torn_segments()
            self._lite = EmbeddedMilvus.start(self.lite_dir / "milvus.db")
            self.client = MilvusClient(self._lite.uri, grpc_options=EMBEDDED_CLIENT_OPTIONS)
        else:
            kwargs: dict[str, Any] = {"uri": self.uri}
            if self.token:
                kwargs["token"] = self.token
            if self.db_name:
                kwargs["db_name"] = self.db_name
            self.client = MilvusClient(**kwargs)
        for spec in self.specs.values():
            self._ensure(spec)

    def _set_aside_torn_segments(self) -> None:
        """Before milvus-lite opens the data dir: a segment file that does not read back whole is set aside.

        A SIGKILL cannot leave one (a segment is written completely before the manifest that lists it is
        committed), but milvus-lite does not fsync segments, so a power cut or a full disk can. Its rows
        are unreadable either way; rather than never start again, the service keeps what is intact: the
        file is moved to `quarantine/` in the data dir (for forensics), dropped from the manifest, logged
        at ERROR and counted (pm_store_torn_segments_total).
        """
        db_dir = self.lite_dir / "milvus.db"
        for collection, path in set_aside_torn_segments(db_dir, self.lite_dir / "quarantine"):
            STORE_TORN_SEGMENTS.labels(collection=collection).inc()
            log.error(
                "segment file torn, its rows are lost: set aside, serving the intact segments",
                extra={"collection": collection, "file": str(path)},
            )

    def _ensure(self, spec: CollectionSpec) -> None:
        client = self._client()
        name = self.full_name(spec.name)
        if not client.has_collection(name):
            index = client.prepare_index_params()
            index.add_index("vector", index_type=spec.index_type, metric_type="IP", params=spec.index_params)
            client.create_collection(name, schema=spec.build_schema(client), index_params=index)
            log.info("created collection", extra={"collection": name, "index": spec.index_type})
        self._ensure_scalar_indexes(spec)
        if spec.partition_field:
            self._ensure_partitions(spec)
        self._load(name)

    def _ensure_scalar_indexes(self, spec: CollectionSpec) -> None:
        """Index the filtered scalar fields, also in a collection made by a release without them (the index
        is built over its existing rows)."""
        client = self._client()
        name = self.full_name(spec.name)
        missing = [field for field in spec.scalar_indexes if field not in client.list_indexes(name)]
        if not missing:
            return
        index = client.prepare_index_params()
        for field in missing:
            index.add_index(field, index_type="INVERTED")
        client.create_index(name, index)
        log.info("indexed scalar fields", extra={"collection": name, "fields": missing})

    def _ensure_partitions(self, spec: CollectionSpec) -> None:
        client = self._client()
        name = self.full_name(spec.name)
        existing = client.list_partitions(name)
        count = bucket_count(existing) or self.new_partitions
        for partition in partition_names(count):
            if partition not in existing:
                client.create_partition(name, partition)
        legacy = int(client.get_partition_stats(name, LEGACY_PARTITION).get("row_count", 0))
        self._buckets[spec.name] = count
        self._legacy_rows[spec.name] = legacy > 0
        if legacy:
            log.warning(
                "rows from before partitioning stay in the default partition and are searched too",
                extra={"collection": name, "rows": legacy},
            )

    def partitions_for(self, collection: str, value: str | None) -> list[str] | None:
        """The partitions to read for rows whose partition field is `value`; None reads them all."""
        count = self._buckets.get(collection)
        if not count or value is None:
            return None
        home = partition_of(value, count)
        return [home, LEGACY_PARTITION] if self._legacy_rows.get(collection) else [home]

    def _load(self, name: str) -> None:
        """Load a collection; with milvus-lite, come back from index files torn by a crash.

        milvus-lite keeps a flushed segment as a Parquet file, committed by an atomic manifest update
        before the flush returns (so an acknowledged write survives SIGKILL), plus one index file per
        segment (`partitions/*/indexes/*.idx`) that a background thread builds after the flush and
        writes in place. A SIGKILL during that write leaves the index file empty or half written, and
        every later load_collection fails on it ("No data left in file"): the service could not start.
        An index file is derived data that milvus-lite rebuilds from its segment when it is missing. So
        when a load fails we delete the index files that do not read back whole, log it at ERROR and
        count it (pm_store_torn_index_files_total), and load again. Segments, manifest and WAL, where
        the rows are, are never touched: if the load still fails, that is damaged user data and the
        service stops rather than serve without it.
        """
        client = self._client()
        try:
            client.load_collection(name)
        except MilvusException as error:
            if not self.embedded:
                raise
            torn = discard_torn_index_files(self.lite_dir / "milvus.db" / "collections" / name)
            if not torn:
                raise
            STORE_TORN_INDEX_FILES.labels(collection=name).inc(len(torn))
            log.error(
                "index files torn by a crash were deleted; milvus-lite rebuilds them from the intact segments",
                extra={"collection": name, "files": [str(path) for path in torn], "error": str(error)},
            )
            client.load_collection(name)

    async def open(self) -> None:
        await asyncio.get_running_loop().run_in_executor(self._writer, self.open_blocking)

    async def close(self) -> None:
        await self._writes.close()
        self._writer.submit(self._close_blocking).result()
        self._writer.shutdown(wait=True)
        self._readers.shutdown(wait=True, cancel_futures=True)

    def _close_blocking(self) -> None:
        if self.client is not None:
            self.client.close()
            self.client = None
        if self._lite is not None:
            # Closed cleanly and milvus-lite's lock released now, not at interpreter exit.
            self._lite.stop()
            self._lite = None
        if self._lock_file is not None:
            self._lock_file.close()
            self._lock_file = None

    def _client(self) -> MilvusClient:
        if self.client is None:
            raise RuntimeError("store is not open")
        return self.client

    # --- writes ----------------------------------------------------------

    def _apply_blocking(self, ops: list[WriteOp]) -> list[int]:
        """Apply writes in order, flush each touched collection once, return rows written/deleted per op."""
        client = self._client()
        STORE_WRITE_OPS.observe(len(ops))
        counts: list[int] = []
        touched: list[str] = []
        for op in ops:
            name = self.full_name(op.collection)
            if op.rows is not None:
                rows = self._rows_of_their_owners(op.collection, op.rows)
                for partition, group in self._by_partition(op.collection, rows):
                    client.upsert(name, group, partition_name=partition)
                counts.append(len(rows))
            else:
                deleted = client.delete(name, filter=op.filter)
                counts.append(_deleted_count(deleted))
            if name not in touched:
                touched.append(name)
        for name in touched:
            client.flush(name)
        return counts

    def _rows_of_their_owners(self, collection: str, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """`rows` without those whose id another owner's row already has, in a collection partitioned by owner.

        An upsert replaces whatever row has the same primary key, in any partition: without this, a caller
        that reuses (or computes) another user's record id would overwrite that user's row and take it
        over. Checked here, in the one writer thread, so no other write can come between the check and
        the upsert. The caller sees the refusal as a count lower than the rows it gave.
        """
        field = self.specs[collection].partition_field
        if not field or not rows:
            return rows
        ids = ", ".join(quote(str(row["id"])) for row in rows)
        held = self._client().query(self.full_name(collection), filter=f"id in [{ids}]", output_fields=[field])
        owner = {row["id"]: row[field] for row in held}
        return [row for row in rows if owner.get(row["id"], row[field]) == row[field]]

    def _by_partition(self, collection: str, rows: list[dict[str, Any]]) -> list[tuple[str, list[dict[str, Any]]]]:
        """`rows` grouped by the partition each belongs in ("" for an unpartitioned collection)."""
        if not rows:
            return []
        count = self._buckets.get(collection)
        if not count:
            return [("", rows)]
        field = self.specs[collection].partition_field
        groups: dict[str, list[dict[str, Any]]] = {}
        for row in rows:
            groups.setdefault(partition_of(str(row[field]), count), []).append(row)
        return list(groups.items())

    async def upsert(self, collection: str, rows: list[dict[str, Any]]) -> int:
        """Insert or replace rows by primary key; returns how many, once they are flushed to disk.

        In a collection partitioned by owner, a row whose id belongs to another owner is not written.
        """
        (count,) = await self._writes.submit([WriteOp(collection, rows=rows)])
        return count

    async def delete(self, collection: str, filter: str) -> int:
        (count,) = await self._writes.submit([WriteOp(collection, filter=filter)])
        return count

    async def write(self, ops: list[WriteOp]) -> list[int]:
        """Several writes applied together in order (e.g. replace a document's chunks)."""
        return await self._writes.submit(ops)

    # --- reads -----------------------------------------------------------

    async def _read(self, fn: Any, *args: Any, **kwargs: Any) -> Any:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._readers, lambda: fn(*args, **kwargs))

    async def search(
        self,
        collection: str,
        vector: list[float],
        limit: int,
        *,
        filter: str = "",
        output_fields: list[str],
        partition_value: str | None = None,
    ) -> list[dict[str, Any]]:
        """Nearest rows by inner product, best first: [{"id", "distance", "entity": {...}}].

        In a partitioned collection, `partition_value` (a user id) limits the search to its partition; the
        filter must still select that value, since a partition holds many.
        """
        tuning = {"ef": max(self.ef_search, limit)} if self.specs[collection].index_type == "HNSW" else None
        partitions = self.partitions_for(collection, partition_value)
        if self._lite is not None:
            return await self._read(
                self._lite.search,
                self.full_name(collection),
                vector,
                limit,
                metric_type="IP",
                expr=filter or None,
                output_fields=output_fields,
                partition_names=partitions,
                search_params=tuning,
            )
        params: dict[str, Any] = {"metric_type": "IP", **({"params": tuning} if tuning else {})}
        result = await self._read(
            self._client().search,
            self.full_name(collection),
            data=[vector],
            limit=limit,
            filter=filter,
            output_fields=output_fields,
            search_params=params,
            partition_names=partitions,
        )
        return [dict(hit) for hit in result[0]]

    async def query(
        self, collection: str, filter: str, output_fields: list[str], limit: int = QUERY_PAGE
    ) -> list[dict[str, Any]]:
        rows = await self._read(
            self._client().query, self.full_name(collection), filter=filter, output_fields=output_fields, limit=limit
        )
        return [dict(row) for row in rows]

    def query_all_blocking(
        self, collection: str, filter: str, output_fields: list[str], partition_value: str | None = None
    ) -> list[dict[str, Any]]:
        """Every matching row, page by page (for loading state at start-up)."""
        return self.query_all_as_blocking(collection, filter, output_fields, dict, partition_value)

    def query_all_as_blocking(
        self,
        collection: str,
        filter: str,
        output_fields: list[str],
        convert: Callable[[dict[str, Any]], T],
        partition_value: str | None = None,
    ) -> list[T]:
        """Every matching row passed through `convert` while its page is read.

        So pymilvus's Python lists of floats for a vector field never pile up for the whole collection:
        loading the 21k-chunk documentation corpus as dicts first had left the embedding index 55 MiB
        larger (freed floats stay in the interpreter's arenas).
        """
        iterator = self._client().query_iterator(
            self.full_name(collection),
            filter=filter,
            output_fields=output_fields,
            batch_size=QUERY_ITERATOR_PAGE,
            partition_names=self.partitions_for(collection, partition_value),
        )
        rows: list[T] = []
        try:
            while batch := iterator.next():
                rows.extend(convert(row) for row in batch)
                del batch  # before the next page is built: one page of float lists alive at a time
        finally:
            iterator.close()
        return rows

    async def query_all(
        self, collection: str, filter: str, output_fields: list[str], partition_value: str | None = None
    ) -> list[dict[str, Any]]:
        return await self._read(self.query_all_blocking, collection, filter, output_fields, partition_value)

    async def query_all_as(
        self, collection: str, filter: str, output_fields: list[str], convert: Callable[[dict[str, Any]], T]
    ) -> list[T]:
        return await self._read(self.query_all_as_blocking, collection, filter, output_fields, convert)

    async def count(self, collection: str, filter: str = "", partition_value: str | None = None) -> int:
        if not filter:
            stats = await self._read(self._client().get_collection_stats, self.full_name(collection))
            return int(stats.get("row_count", 0))
        pk = "chunk_id" if collection in ("knowledge", "project_docs") else "id"
        return len(await self.query_all(collection, filter, [pk], partition_value))


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


def _deleted_count(result: Any) -> int:
    """pymilvus returns {"delete_count": n} from a server and a list of keys from milvus-lite."""
    if isinstance(result, dict):
        return int(result.get("delete_count", 0))
    if isinstance(result, list):
        return len(result)
    return int(getattr(result, "delete_count", 0) or 0)
