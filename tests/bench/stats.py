"""Small helpers every benchmark shares: percentiles, timed loops, peak memory."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

import numpy as np
import psutil


def summarize(latencies_s: list[float], wall_s: float | None = None) -> dict[str, float]:
    """p50/p95/p99/mean in milliseconds, and throughput when the wall time is known."""
    values = np.asarray(latencies_s, dtype=np.float64) * 1000.0
    out = {
        "n": float(len(values)),
        "p50_ms": round(float(np.percentile(values, 50)), 3),
        "p95_ms": round(float(np.percentile(values, 95)), 3),
        "p99_ms": round(float(np.percentile(values, 99)), 3),
        "mean_ms": round(float(values.mean()), 3),
    }
    if wall_s:
        out["throughput_per_s"] = round(len(values) / wall_s, 1)
    return out


async def run_concurrent(
    call: Callable[[int], Awaitable[Any]], *, total: int, concurrency: int, warmup: int = 10
) -> dict[str, float]:
    """Run `call(i)` `total` times with `concurrency` callers; return latency figures."""
    figures, _ = await measure_concurrent(call, total=total, concurrency=concurrency, warmup=warmup)
    return figures


async def measure_concurrent(
    call: Callable[[int], Awaitable[Any]], *, total: int, concurrency: int, warmup: int = 10
) -> tuple[dict[str, float], list[float]]:
    """As run_concurrent, also returning every latency in milliseconds (for distribution plots)."""
    for i in range(warmup):
        await call(i)
    latencies: list[float] = []
    counter = iter(range(total))

    async def worker() -> None:
        for i in counter:
            start = time.perf_counter()
            await call(i)
            latencies.append(time.perf_counter() - start)

    start = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    figures = summarize(latencies, time.perf_counter() - start)
    return figures, [round(1000.0 * seconds, 3) for seconds in latencies]


def peak_rss_mib(pid: int) -> float:
    """Peak resident memory of a process (Linux VmHWM), in MiB."""
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024.0, 1)
    return round(psutil.Process(pid).memory_info().rss / 2**20, 1)


def print_table(title: str, rows: dict[str, dict[str, float]]) -> None:
    print(f"\n== {title}")
    for name, figures in rows.items():
        cells = "  ".join(f"{key}={value}" for key, value in figures.items())
        print(f"  {name:<44} {cells}")
