"""`make soak` / `python -m tests.soak`: a fresh mesh, traffic at a fixed rate, RSS and open files sampled.

Settings (environment): SOAK_SECONDS (600), SOAK_RATE requests/s (10), SOAK_WARMUP_SECONDS (a fifth
of the run, at most 120), SOAK_SAMPLE_SECONDS (a 120th of the run, at least 1). Passes when every
service is still running, no request failed, and no service's RSS or open file count grew more than
10% from just after warm-up to the end (medians over a window at each end). Writes the series as CSV,
a PNG plot and a JSON summary to bench-results/.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import tempfile
import time
from pathlib import Path

from tests.bench.__main__ import RESULTS
from tests.bench.bench_gateway import GATEWAY_ENV
from tests.gateway.support import start_private_mesh
from tests.soak.load import LoadStats, run_load
from tests.soak.report import growth, plot, print_series, write_csv
from tests.soak.sampler import Sampler


def _setting(name: str, default: float) -> float:
    return float(os.environ.get(name) or default)


async def _soak(url: str, pids: dict[str, int], seconds: float, rate: float, every: float) -> tuple[Sampler, LoadStats]:
    sampler = Sampler(pids)
    load = asyncio.create_task(run_load(url, rate, seconds))
    while not load.done():
        taken = await asyncio.to_thread(sampler.sample)
        if taken:  # progress: MiB / open files per service
            cells = "  ".join(f"{s.service} {s.rss_mib:.0f}M/{s.fds}" for s in taken)
            print(f"  t={taken[0].t_s:>5.0f}s  {cells}", flush=True)
        await asyncio.wait({load}, timeout=every)
    sampler.sample()
    return sampler, load.result()


def main() -> int:
    seconds = _setting("SOAK_SECONDS", 600)
    rate = _setting("SOAK_RATE", 10)
    warmup = _setting("SOAK_WARMUP_SECONDS", min(120.0, seconds / 5))
    every = _setting("SOAK_SAMPLE_SECONDS", max(1.0, seconds / 120))
    window = max(3 * every, (seconds - warmup) / 5)
    stamp = time.strftime("%Y%m%dT%H%M%S")
    print(f"soak: {seconds:.0f}s at {rate:g} requests/s, warm-up {warmup:.0f}s, a sample every {every:g}s", flush=True)
    with tempfile.TemporaryDirectory(prefix="soak-") as tmp:
        mesh = start_private_mesh(Path(tmp), extra_env={"PM_LOG_LEVEL": "WARNING"}, gateway_env=GATEWAY_ENV)
        try:
            pids = {name: proc.pid for name, proc in mesh.processes.items() if proc.pid is not None}
            sampler, stats = asyncio.run(_soak(mesh.http_url, pids, seconds, rate, every))
        finally:
            mesh.stop_all()
    samples = sampler.samples
    print_series(samples)
    verdicts = growth(samples, warmup, window)
    load = stats.summary()
    print(f"\n== load ({rate:g}/s for {seconds:.0f}s)\n  " + "  ".join(f"{k}={v}" for k, v in load.items()))
    print(f"\n== growth after warm-up (medians over {window:.0f}s at each end; limit +10%)")
    for verdict in verdicts:
        print(verdict.line())
    RESULTS.mkdir(exist_ok=True)
    base = RESULTS / f"soak-{stamp}"
    write_csv(samples, base.with_suffix(".csv"))
    plot(samples, warmup, f"soak: {rate:g} requests/s for {seconds:.0f}s", base.with_suffix(".png"))
    summary = {
        "seconds": seconds,
        "rate_per_s": rate,
        "warmup_s": warmup,
        "window_s": window,
        "load": load,
        "died": sorted(sampler.vanished),
        "growth": [
            {"service": g.service, "metric": g.metric, "baseline": g.baseline, "final": g.final, "growth": g.ratio}
            for g in verdicts
        ],
    }
    base.with_suffix(".json").write_text(json.dumps(summary, indent=2))
    print(f"\nseries, plot and summary: {base}.csv, {base}.png, {base}.json")
    problems = [f"{g.service} {g.metric} grew {g.ratio:+.1%}" for g in verdicts if not g.ok]
    problems += [f"{name} died during the soak" for name in sorted(sampler.vanished)]
    if load["failed"]:
        problems.append(f"{load['failed']} requests failed: {load['failed_by_reason']}")
    if stats.skipped:
        problems.append(f"{stats.skipped} requests not sent: the mesh fell behind {rate:g}/s")
    print("\nsoak " + ("FAILED: " + "; ".join(problems) if problems else "passed"))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
