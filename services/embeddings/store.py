"""The vector store: milvus-lite in the data dir by default, a Milvus server by URI.

Its logic (group commits, partitions by owner, paging) is written once over a `StoreBackend`: milvus-lite's
engine in this process (`embedded_milvus`) or pymilvus for a server (`milvus_server`). Both are blocking,
so calls run in threads. Writes go through one writer thread as group commits: every write waiting is
applied, then each touched collection is flushed once, and only then are the callers acknowledged. So an
acknowledged write is on disk (it survives SIGKILL) and searches never hit the slow unflushed path. What a
crash can leave torn in a milvus-lite dir is repaired when it is opened: see `EmbeddedMilvus.load` and
`lite_repair`.
"""

from __future__ import annotations

import asyncio
import fcntl
import logging
import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, TypeVar

from services.embeddings.backend import StoreBackend, VectorQuery
from services.embeddings.batching import MicroBatcher
from services.embeddings.collections import CollectionSpec, collection_specs
from services.embeddings.embedded_milvus import EmbeddedMilvus
from services.embeddings.metrics import STORE_WRITE_OPS
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
        self.backend: StoreBackend | None = None
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
            self.backend = EmbeddedMilvus(self.lite_dir / "milvus.db")
        else:
            from services.embeddings.milvus_server import MilvusServer

            self.backend = MilvusServer(self.uri, token=self.token, db_name=self.db_name)
        for spec in self.specs.values():
            self._ensure(spec)

    def _ensure(self, spec: CollectionSpec) -> None:
        backend = self._backend()
        name = self.full_name(spec.name)
        if not backend.has_collection(name):
            backend.create_collection(name, spec)
            log.info("created collection", extra={"collection": name, "index": spec.index_type})
        self._ensure_scalar_indexes(spec)
        if spec.partition_field:
            self._ensure_partitions(spec)
        backend.load(name)

    def _ensure_scalar_indexes(self, spec: CollectionSpec) -> None:
        """Index the filtered scalar fields, also in a collection made by a release without them (the index
        is built over its existing rows)."""
        backend = self._backend()
        name = self.full_name(spec.name)
        missing = [field for field in spec.scalar_indexes if field not in backend.list_indexes(name)]
        if not missing:
            return
        backend.create_scalar_indexes(name, missing)
        log.info("indexed scalar fields", extra={"collection": name, "fields": missing})

    def _ensure_partitions(self, spec: CollectionSpec) -> None:
        backend = self._backend()
        name = self.full_name(spec.name)
        existing = backend.list_partitions(name)
        count = bucket_count(existing) or self.new_partitions
        for partition in partition_names(count):
            if partition not in existing:
                backend.create_partition(name, partition)
        legacy = backend.partition_rows(name, LEGACY_PARTITION)
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

    async def open(self) -> None:
        await asyncio.get_running_loop().run_in_executor(self._writer, self.open_blocking)

    async def close(self) -> None:
        await self._writes.close()
        self._writer.submit(self._close_blocking).result()
        self._writer.shutdown(wait=True)
        self._readers.shutdown(wait=True, cancel_futures=True)

    def _close_blocking(self) -> None:
        if self.backend is not None:
            self.backend.close()
            self.backend = None
        if self._lock_file is not None:
            self._lock_file.close()
            self._lock_file = None

    def _backend(self) -> StoreBackend:
        if self.backend is None:
            raise RuntimeError("store is not open")
        return self.backend

    # --- writes ----------------------------------------------------------

    def _apply_blocking(self, ops: list[WriteOp]) -> list[int]:
        """Apply writes in order, flush each touched collection once, return rows written/deleted per op."""
        backend = self._backend()
        STORE_WRITE_OPS.observe(len(ops))
        counts: list[int] = []
        touched: list[str] = []
        for op in ops:
            name = self.full_name(op.collection)
            if op.rows is not None:
                rows = self._rows_of_their_owners(op.collection, op.rows)
                for partition, group in self._by_partition(op.collection, rows):
                    backend.upsert(name, group, partition)
                counts.append(len(rows))
            else:
                counts.append(backend.delete(name, op.filter))
            if name not in touched:
                touched.append(name)
        for name in touched:
            backend.flush(name)
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
        ids = [str(row["id"]) for row in rows]
        held = self._backend().get(self.full_name(collection), ids, [field])
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
        query = VectorQuery(
            vector, limit, output_fields, filter, self.partitions_for(collection, partition_value), tuning
        )
        return await self._read(self._backend().search, self.full_name(collection), query)

    async def query(
        self, collection: str, filter: str, output_fields: list[str], limit: int = QUERY_PAGE
    ) -> list[dict[str, Any]]:
        return await self._read(self._backend().query, self.full_name(collection), filter, output_fields, limit)

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
        pages = self._backend().pages(
            self.full_name(collection),
            filter,
            output_fields,
            self.partitions_for(collection, partition_value),
            QUERY_ITERATOR_PAGE,
        )
        rows: list[T] = []
        for page in pages:
            rows.extend(convert(row) for row in page)
            del page  # before the next page is built: one page of float lists alive at a time
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
            return int(await self._read(self._backend().rows, self.full_name(collection)))
        key = self.specs[collection].primary_key
        return len(await self.query_all(collection, filter, [key], partition_value))
