"""A Milvus server by URI (`PM_MILVUS_URI`) through pymilvus: the store's backend in production clusters.

Imported only when a URI is set, so the embedded default never loads pymilvus (and pandas with it).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from pymilvus import CollectionSchema, DataType, MilvusClient

from services.embeddings.backend import VectorQuery
from services.embeddings.collections import CollectionSpec


def server_schema(client: MilvusClient, spec: CollectionSpec) -> CollectionSchema:
    schema = client.create_schema(auto_id=False, enable_dynamic_field=False)
    for field in spec.fields:
        extra: dict[str, Any] = {}
        if field.max_length is not None:
            extra["max_length"] = field.max_length
        if field.dim is not None:
            extra["dim"] = field.dim
        schema.add_field(field.name, DataType[field.kind], is_primary=field.primary, **extra)
    return schema


def _deleted_count(result: Any) -> int:
    """pymilvus returns {"delete_count": n} from a server (a list of keys from some versions)."""
    if isinstance(result, dict):
        return int(result.get("delete_count", 0))
    if isinstance(result, list):
        return len(result)
    return int(getattr(result, "delete_count", 0) or 0)


class MilvusServer:
    """The `StoreBackend` for a Milvus server: each call is the pymilvus call of the same name."""

    def __init__(self, uri: str, *, token: str = "", db_name: str = "") -> None:
        kwargs: dict[str, Any] = {"uri": uri}
        if token:
            kwargs["token"] = token
        if db_name:
            kwargs["db_name"] = db_name
        self.client = MilvusClient(**kwargs)

    def has_collection(self, name: str) -> bool:
        return bool(self.client.has_collection(name))

    def create_collection(self, name: str, spec: CollectionSpec) -> None:
        index = self.client.prepare_index_params()
        index.add_index("vector", index_type=spec.index_type, metric_type="IP", params=spec.index_params)
        self.client.create_collection(name, schema=server_schema(self.client, spec), index_params=index)

    def list_indexes(self, name: str) -> list[str]:
        return list(self.client.list_indexes(name))

    def create_scalar_indexes(self, name: str, fields: list[str]) -> None:
        index = self.client.prepare_index_params()
        for field in fields:
            index.add_index(field, index_type="INVERTED")
        self.client.create_index(name, index)

    def list_partitions(self, name: str) -> list[str]:
        return list(self.client.list_partitions(name))

    def create_partition(self, name: str, partition: str) -> None:
        self.client.create_partition(name, partition)

    def partition_rows(self, name: str, partition: str) -> int:
        return int(self.client.get_partition_stats(name, partition).get("row_count", 0))

    def rows(self, name: str) -> int:
        return int(self.client.get_collection_stats(name).get("row_count", 0))

    def load(self, name: str) -> None:
        self.client.load_collection(name)

    def close(self) -> None:
        self.client.close()

    def upsert(self, name: str, rows: list[dict[str, Any]], partition: str) -> None:
        self.client.upsert(name, rows, partition_name=partition)

    def delete(self, name: str, filter: str) -> int:
        return _deleted_count(self.client.delete(name, filter=filter))

    def flush(self, name: str) -> None:
        self.client.flush(name)

    def get(self, name: str, ids: list[str], output_fields: list[str]) -> list[dict[str, Any]]:
        return [dict(row) for row in self.client.get(name, ids=ids, output_fields=output_fields)]

    def query(self, name: str, filter: str, output_fields: list[str], limit: int) -> list[dict[str, Any]]:
        return [dict(row) for row in self.client.query(name, filter=filter, output_fields=output_fields, limit=limit)]

    def pages(
        self, name: str, filter: str, output_fields: list[str], partitions: list[str] | None, size: int
    ) -> Iterator[list[dict[str, Any]]]:
        iterator = self.client.query_iterator(
            name, filter=filter, output_fields=output_fields, batch_size=size, partition_names=partitions
        )
        try:
            while batch := iterator.next():
                yield batch
                del batch  # before the next page is built: one page of float lists alive at a time
        finally:
            iterator.close()

    def search(self, name: str, query: VectorQuery) -> list[dict[str, Any]]:
        params: dict[str, Any] = {"metric_type": "IP", **({"params": query.tuning} if query.tuning else {})}
        result = self.client.search(
            name,
            data=[query.vector],
            limit=query.limit,
            filter=query.filter,
            output_fields=query.output_fields,
            search_params=params,
            partition_names=query.partitions,
        )
        return [dict(hit) for hit in result[0]]
