"""The embedding index service: embeddings, persona profiles, memory, knowledge and adaptive weights.

Arrow's C++ default memory pool is chosen once, from the environment, when pyarrow loads (milvus-lite loads
it here), so it is set before that: glibc's allocator, whose freed blocks the
service's malloc_trim thread hands back (services/common/process_limits.py). On mimalloc, pyarrow's default
here, what milvus-lite's Parquet writes and reads freed stayed with the process: a fresh store's first start
(the default documents written and flushed) left the index at 364 instead of 324 MiB. An operator's own
`ARROW_DEFAULT_MEMORY_POOL` is kept.
"""

import os

os.environ.setdefault("ARROW_DEFAULT_MEMORY_POOL", "system")
