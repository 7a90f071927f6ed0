"""milvus-lite's engine in this process: the store's default backend.

pymilvus opens a `.db` path by starting milvus-lite's gRPC server in a thread of the same process and
talking to it over loopback, so every call was serialised to protobuf, sent through a socket, parsed by a
second gRPC server and answered back, all under one GIL: 5.1 ms of CPU per conversation search at 100k
stored rows, of which milvus-lite's own `Collection.search` was 2.3 ms. And the server's module imports
pymilvus, whose ORM imports pandas at import time: ~50 MiB of the index's memory for nothing it used.

So the embedded store calls milvus-lite's documented embedded API (`MilvusLite`, `Collection`) for
everything, as the server's handlers do, and never imports pymilvus (a Milvus by URI goes through
`milvus_server`). The data dir is the same either way: files written through the server open here.
"""

from __future__ import annotations

import importlib.abc
import logging
import sys
from collections.abc import Iterator, Sequence
from importlib.machinery import ModuleSpec
from pathlib import Path
from typing import Any

from milvus_lite import Collection, CollectionSchema, DataType, FieldSchema, MilvusLite

from services.embeddings.backend import VectorQuery
from services.embeddings.collections import CollectionSpec
from services.embeddings.filters import quote
from services.embeddings.lite_repair import discard_torn_index_files, set_aside_torn_segments
from services.embeddings.metrics import STORE_TORN_INDEX_FILES, STORE_TORN_SEGMENTS

log = logging.getLogger(__name__)

DEFAULT_PARTITION = "_default"


class _WithoutPandas(importlib.abc.MetaPathFinder):
    """Answers an import of pandas as if it were not installed."""

    def find_spec(self, name: str, path: Sequence[str] | None, target: object = None) -> ModuleSpec | None:
        if name == "pandas" or name.startswith("pandas."):
            raise ModuleNotFoundError(f"{name} is kept out of the embedded index", name=name)
        return None


def keep_pandas_out() -> None:
    """Make pandas unimportable in this process (the embedded index's, called by its entry point).

    pandas is installed because pymilvus needs it, but nothing in an embedded index does: pyarrow imports it
    on milvus-lite's first write only to check whether the rows are a DataFrame, and treats it as absent
    when the import fails (its documented optional dependency). That import alone was 45 MiB of the index.
    A Milvus by URI loads pymilvus, which needs pandas, so the entry point calls this only without a URI.
    """
    if "pandas" not in sys.modules and not any(isinstance(f, _WithoutPandas) for f in sys.meta_path):
        sys.meta_path.insert(0, _WithoutPandas())


def lite_schema(spec: CollectionSpec) -> CollectionSchema:
    return CollectionSchema(
        fields=[
            FieldSchema(
                name=field.name,
                dtype=DataType[field.kind],
                is_primary=field.primary,
                dim=field.dim,
                max_length=field.max_length,
            )
            for field in spec.fields
        ],
        enable_dynamic_field=False,
    )


class EmbeddedMilvus:
    """A milvus-lite data dir opened in this process; the `StoreBackend` the store uses by default."""

    def __init__(self, db_dir: Path) -> None:
        self.db_dir = db_dir
        self._set_aside_torn_segments()
        self.db = MilvusLite(str(db_dir.resolve()))
        # Collection name -> its primary key field, read from the schema once (not per search).
        self._keys: dict[str, str] = {}

    def _set_aside_torn_segments(self) -> None:
        """Before milvus-lite opens the dir: a segment file that does not read back whole is set aside.

        A SIGKILL cannot leave one (a segment is written completely before the manifest that lists it is
        committed), but milvus-lite does not fsync segments, so a power cut or a full disk can. Its rows
        are unreadable either way; rather than never start again, the service keeps what is intact: the
        file is moved to `quarantine/` beside the dir (for forensics), dropped from the manifest, logged
        at ERROR and counted (pm_store_torn_segments_total).
        """
        for collection, path in set_aside_torn_segments(self.db_dir, self.db_dir.parent / "quarantine"):
            STORE_TORN_SEGMENTS.labels(collection=collection).inc()
            log.error(
                "segment file torn, its rows are lost: set aside, serving the intact segments",
                extra={"collection": collection, "file": str(path)},
            )

    def collection(self, name: str) -> Collection:
        # MilvusLite caches one Collection per name, so readers and the writer share its state.
        return self.db.get_collection(name)

    def _key(self, name: str) -> str:
        key = self._keys.get(name)
        if key is None:
            key = self._keys[name] = next(f.name for f in self.collection(name).schema.fields if f.is_primary)
        return key

    # --- schema and lifecycle ----------------------------------------------

    def has_collection(self, name: str) -> bool:
        return self.db.has_collection(name)

    def create_collection(self, name: str, spec: CollectionSpec) -> None:
        collection = self.db.create_collection(name, lite_schema(spec))
        collection.create_index(
            "vector", {"index_type": spec.index_type, "metric_type": "IP", "params": dict(spec.index_params)}
        )

    def list_indexes(self, name: str) -> list[str]:
        return self.collection(name).list_indexes()

    def create_scalar_indexes(self, name: str, fields: list[str]) -> None:
        collection = self.collection(name)
        for field in fields:
            collection.create_index(field, {"index_type": "INVERTED"})

    def list_partitions(self, name: str) -> list[str]:
        return self.collection(name).list_partitions()

    def create_partition(self, name: str, partition: str) -> None:
        self.collection(name).create_partition(partition)

    def partition_rows(self, name: str, partition: str) -> int:
        return self.collection(name).partition_num_entities(partition)

    def rows(self, name: str) -> int:
        return self.collection(name).num_entities

    def load(self, name: str) -> None:
        """Load a collection, coming back from index files torn by a crash.

        milvus-lite keeps a flushed segment as a Parquet file, committed by an atomic manifest update
        before the flush returns (so an acknowledged write survives SIGKILL), plus one index file per
        segment (`partitions/*/indexes/*.idx`) that a background thread builds after the flush and
        writes in place. A SIGKILL during that write leaves the index file empty or half written, and
        every later load fails on it ("No data left in file"): the service could not start. An index
        file is derived data that milvus-lite rebuilds from its segment when it is missing. So when a
        load fails we delete the index files that do not read back whole, log it at ERROR and count it
        (pm_store_torn_index_files_total), and load again. Segments, manifest and WAL, where the rows
        are, are never touched: if the load still fails, that is damaged user data and the service
        stops rather than serve without it.
        """
        try:
            self.collection(name).load()
        except Exception as error:  # whatever a torn file raises; re-raised below unless one is found
            torn = discard_torn_index_files(self.db_dir / "collections" / name)
            if not torn:
                raise
            STORE_TORN_INDEX_FILES.labels(collection=name).inc(len(torn))
            log.error(
                "index files torn by a crash were deleted; milvus-lite rebuilds them from the intact segments",
                extra={"collection": name, "files": [str(path) for path in torn], "error": str(error)},
            )
            self.collection(name).load()

    def close(self) -> None:
        """Close the database, releasing milvus-lite's own lock on the dir now, not at interpreter exit."""
        self.db.close()

    # --- writes --------------------------------------------------------------

    def upsert(self, name: str, rows: list[dict[str, Any]], partition: str) -> None:
        self.collection(name).upsert(rows, partition_name=partition or DEFAULT_PARTITION)

    def delete(self, name: str, filter: str) -> int:
        """Delete the rows `filter` matches (milvus-lite deletes by key: they are looked up first, as its
        server does for a delete by filter); returns how many."""
        collection = self.collection(name)
        key = self._key(name)
        keys = [row[key] for row in collection.query(filter, output_fields=[key])]
        return collection.delete(keys) if keys else 0

    def flush(self, name: str) -> None:
        self.collection(name).flush()

    # --- reads ---------------------------------------------------------------

    def get(self, name: str, ids: list[str], output_fields: list[str]) -> list[dict[str, Any]]:
        return self.collection(name).get(ids, output_fields=output_fields)

    def query(self, name: str, filter: str, output_fields: list[str], limit: int) -> list[dict[str, Any]]:
        return self.collection(name).query(filter or None, output_fields=output_fields, limit=limit)

    def pages(
        self, name: str, filter: str, output_fields: list[str], partitions: list[str] | None, size: int
    ) -> Iterator[list[dict[str, Any]]]:
        """Every matching row, `size` at a time, by a cursor on the primary key (what pymilvus's query
        iterator sends a server), so no page re-reads the rows before it."""
        collection = self.collection(name)
        key = self._key(name)
        after: Any = None
        while True:
            scope = filter if after is None else f"({filter}) and {key} > {quote(str(after))}"
            page = collection.query(
                scope, output_fields=output_fields, partition_names=partitions, limit=size, order_by_pk=True
            )
            if not page:
                return
            after = page[-1][key]
            yield page
            if len(page) < size:
                return

    def search(self, name: str, query: VectorQuery) -> list[dict[str, Any]]:
        """Shaped as pymilvus returns hits: the entity holds the primary key too when it is asked for (the engine
        leaves it out)."""
        (hits,) = self.collection(name).search(
            [query.vector],
            top_k=query.limit,
            metric_type="IP",
            expr=query.filter or None,
            output_fields=query.output_fields,
            partition_names=query.partitions,
            search_params=query.tuning,
        )
        key = self._key(name)
        if key in query.output_fields:
            for hit in hits:
                hit["entity"][key] = hit["id"]
        return hits
