"""Process-wide sizing for several services sharing a few cores: native threads, malloc arenas and freed memory.

Every service process calls them at start-up (services/common/server.py: run_service).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import threading
import time
from typing import Any

from threadpoolctl import threadpool_limits


def limit_native_threads(threads: int) -> None:
    """Cap the threads of native math libraries in this process (`PM_NATIVE_THREADS`).

    OpenBLAS starts a thread per core and its idle threads spin: measured in the embedding index, one
    search over the documentation corpus cost 6 ms of CPU with numpy's default threads and 3 ms with
    one (docs/performance.md). threadpoolctl caps the libraries already loaded (numpy's OpenBLAS);
    OMP_NUM_THREADS is read by OpenMP runtimes loaded later (faiss, through milvus-lite), unless the
    environment already sets it. onnxruntime has its own per-session thread settings.
    """
    os.environ.setdefault("OMP_NUM_THREADS", str(threads))
    threadpool_limits(limits=threads)


# mallopt's parameter number for the arena cap (glibc's malloc.h).
_M_ARENA_MAX = -8


def _libc(function: str) -> Any | None:
    """A function of the C library by name; None where there is none (not glibc)."""
    name = ctypes.util.find_library("c")
    try:
        return getattr(ctypes.CDLL(name), function) if name else None
    except (OSError, AttributeError):
        return None


def limit_malloc_arenas(arenas: int) -> bool:
    """Cap glibc's malloc arenas at `arenas` (`PM_MALLOC_ARENAS`; 0 keeps glibc's default, 8 per core).

    Each thread that allocates gets an arena of its own up to that default, and freed blocks stay in the
    arena that served them. In the embedding index, milvus-lite's Parquet writes and reads run in worker
    threads: a fresh store's first start left it at 325 MiB with glibc's arenas and 305 MiB with two
    (docs/performance.md). Two suffice for processes that share two cores. Set before the process starts
    threads; arenas that exist already are kept. False where the C library has no mallopt (not glibc).
    """
    if arenas <= 0:
        return False
    mallopt = _libc("mallopt")
    return bool(mallopt is not None and mallopt(_M_ARENA_MAX, arenas))


def return_freed_memory(interval: float) -> bool:
    """Hand freed heap memory back to the system every `interval` seconds (`PM_MEMORY_TRIM_SECONDS`; 0: never).

    The encoder runs without onnxruntime's memory arena (services/common/encoder.py: cpu_session), so a
    batch's tensors are malloc'ed and freed, and glibc keeps freed blocks in its heaps (with every model
    arena-less, an Aviva replica held 410-596 MiB after a benchmark, the whole local mesh 2.2 GiB). A
    thread calling malloc_trim(3) returns them: +0 MiB after two batches of 32 x 256 tokens against +160
    to +386 MiB, at the same CPU per batch. A fixed glibc mmap threshold returned them too, but cost 50-65%
    more CPU per batch in page faults. False where the C library has no malloc_trim (not glibc).

    pyarrow (loaded by milvus-lite in the embedding index) would allocate from its own pool,
    which malloc_trim cannot reach; the index package sets it to the system allocator before pyarrow loads
    (services/embeddings/__init__.py). Switching only pyarrow's Python-level pool already took the index
    from 448 to 313 MiB after opening the store with the documentation corpus; the C++ default, which
    Parquet reads and writes use, needs the environment variable.
    """
    if interval <= 0:
        return False
    trim = _libc("malloc_trim")
    if trim is None:
        return False

    def trim_forever() -> None:
        while True:
            time.sleep(interval)
            trim(0)

    threading.Thread(target=trim_forever, name="malloc-trim", daemon=True).start()
    return True
