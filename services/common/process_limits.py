"""Process-wide sizing for several services sharing a few cores: native threads and freed memory.

Every service process calls both at start-up (services/common/server.py: run_service).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import os

from threadpoolctl import threadpool_limits

log = logging.getLogger(__name__)

# glibc mallopt(3) parameters.
_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3
_M_ARENA_MAX = -8
_LARGE = 128 * 1024  # glibc's own starting value of both thresholds


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


def return_freed_memory() -> bool:
    """Make glibc give large freed blocks back to the system; False where the C library is not glibc.

    onnxruntime runs without its memory arena (services/common/encoder.py: cpu_session), so a batch's
    tensors are malloc'ed and freed. glibc raises its mmap threshold after such frees (up to 32 MiB) and
    keeps one heap per thread that allocated, so freed tensors stayed resident: an Aviva replica held
    410-596 MiB after a benchmark and 167 MiB with a fixed threshold and two heaps; the whole local mesh
    2.2 GiB against 1.4 (docs/performance.md).
    """
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name) if name else None
        mallopt = libc.mallopt if libc is not None else None
    except (OSError, AttributeError):
        mallopt = None
    if mallopt is None:
        return False
    settings = ((_M_MMAP_THRESHOLD, _LARGE), (_M_TRIM_THRESHOLD, _LARGE), (_M_ARENA_MAX, 2))
    return all(mallopt(parameter, value) == 1 for parameter, value in settings)
