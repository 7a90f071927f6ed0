"""`make bench`: run every tests/bench/bench_*.py module, write the figures to bench-results/ and docs/performance.md.

Each module exposes `async def main() -> dict` that prints its own tables and
returns its figures. `python -m tests.bench NAME...` runs only the named ones and leaves docs/performance.md as it
was (the page shows one whole run; a partial run used to replace it with its own modules only).
"""

from __future__ import annotations

import asyncio
import importlib
import json
import platform
import sys
import time
from pathlib import Path

import psutil

from tests.bench import report as performance_page

RESULTS = Path("bench-results")


def main(argv: list[str]) -> int:
    names = argv or sorted(p.stem.removeprefix("bench_") for p in Path(__file__).parent.glob("bench_*.py"))
    report: dict[str, object] = {
        "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "machine": {"cpus": psutil.cpu_count(), "python": platform.python_version(), "platform": platform.platform()},
    }
    for name in names:
        module = importlib.import_module(f"tests.bench.bench_{name}")
        started = time.perf_counter()
        report[name] = asyncio.run(module.main())
        print(f"-- {name} took {time.perf_counter() - started:.1f}s", flush=True)
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"bench-{time.strftime('%Y%m%dT%H%M%S')}.json"
    text = json.dumps(report, indent=2)
    out.write_text(text)
    (RESULTS / "latest.json").write_text(text)
    if argv:  # a partial run: the page shows one whole run, so it keeps the last full one
        print(f"\nfigures written to {out} and {RESULTS / 'latest.json'}; {performance_page.PAGE} left as it was")
        return 0
    print(f"\nfigures written to {out} and {RESULTS / 'latest.json'}; page: {performance_page.write(report)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
