"""milvus-lite in this process: pymilvus for everything, its engine directly for the hot read.

pymilvus opens a `.db` path by starting milvus-lite's gRPC server in a thread of the
same process and talking to it over loopback. So every search was serialised to
protobuf, sent through a socket, parsed by a second gRPC server and answered back,
all under one GIL: 5.1 ms of CPU per conversation search at 100k stored rows, of
which milvus-lite's own `Collection.search` (its documented embedded API) was 2.3 ms.

Here the store starts that same server itself (`start_server_in_thread`, what
pymilvus's server manager calls), so it keeps the `MilvusLite` handle: pymilvus
still does every write, schema and load through the server (one code path with a
Milvus server by URI), and only searches go to the engine directly. Both sides
share one `MilvusLite`, so they see the same collections, loads and rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import grpc
from milvus_lite import Collection, MilvusLite
from milvus_lite.adapter.grpc.server import start_server_in_thread

# pymilvus pings its server every 10 s, idle or not (its Milvus-by-URI default). milvus-lite's in-process server
# keeps gRPC's default policy (at most one ping per 5 minutes without calls), so an idle store was sent GOAWAY
# "too_many_pings" and reconnected, logging errors each time. A loopback channel in the same process cannot
# lose its peer silently, so this one does not ping at all.
CLIENT_OPTIONS: dict[str, int] = {
    "grpc.keepalive_time_ms": 2**31 - 1,  # gRPC's "never"
    "grpc.keepalive_permit_without_calls": 0,
}


@dataclass
class EmbeddedMilvus:
    """A running in-process milvus-lite: its loopback URI for pymilvus and its engine for searches."""

    server: grpc.Server
    db: MilvusLite
    port: int
    # Collection name -> its primary key field, read from the schema once (not per search).
    _keys: dict[str, str] = field(default_factory=dict)

    @classmethod
    def start(cls, db_dir: Path) -> EmbeddedMilvus:
        server, db, port = start_server_in_thread(data_dir=str(db_dir.resolve()), host="127.0.0.1", port=0)
        return cls(server, db, port)

    @property
    def uri(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def collection(self, name: str) -> Collection:
        # MilvusLite caches one Collection per name: the object pymilvus's loads and writes went to.
        return self.db.get_collection(name)

    def search(
        self, name: str, vector: list[float], limit: int, *, output_fields: list[str], **kwargs: Any
    ) -> list[dict[str, Any]]:
        """One query vector's hits, shaped as pymilvus returns them: {"id", "distance", "entity"}, the
        entity holding the primary key too when it is asked for (the engine leaves it out)."""
        collection = self.collection(name)
        (hits,) = collection.search([vector], top_k=limit, output_fields=output_fields, **kwargs)
        key = self._keys.get(name)
        if key is None:
            key = self._keys[name] = next(f.name for f in collection.schema.fields if f.is_primary)
        if key in output_fields:
            for hit in hits:
                hit["entity"][key] = hit["id"]
        return hits

    def stop(self) -> None:
        """Stop serving and close the database (releasing milvus-lite's own lock on the dir)."""
        self.server.stop(grace=2).wait()
        self.db.close()
