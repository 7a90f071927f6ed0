"""Hash partitions by a field's value (the user of a conversation): which partition holds a row.

The bucket comes from SHA-256 of the value, so every process and every restart
agrees on it (Python's `hash` is salted per process). The number of buckets is
read back from an existing collection, never assumed: changing it would move
users to partitions their old rows are not in.
"""

from __future__ import annotations

import hashlib
import re

# New collections get this many (PM_MEMORY_PARTITIONS). At 100k stored rows (~100 per user), 256 against
# 64 took a memory search from p99 22 to 13 ms and 142 to 227 searches/s at 8 callers (`python -m tests.bench
# embeddings`): milvus-lite's work per search follows the rows of the partition it reads. Names have three
# digits, and Milvus allows 1,024 partitions per collection by default: at most 1,000.
DEFAULT_PARTITIONS = 256
MAX_PARTITIONS = 1000
# Rows written before a collection was partitioned stay in Milvus's default partition.
LEGACY_PARTITION = "_default"
_NAME = re.compile(r"^p(\d{3})$")


def partition_names(count: int) -> list[str]:
    """Every partition of a collection spread over `count` buckets."""
    return [f"p{bucket:03d}" for bucket in range(count)]


def partition_of(value: str, count: int) -> str:
    """The partition holding the rows whose partition field is `value`."""
    digest = hashlib.sha256(value.encode("utf-8")).digest()
    return f"p{int.from_bytes(digest[:8], 'big') % count:03d}"


def bucket_count(existing: list[str]) -> int:
    """How many buckets an existing collection was created with (0: not partitioned)."""
    return sum(1 for name in existing if _NAME.match(name))
