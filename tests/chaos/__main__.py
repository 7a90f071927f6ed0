"""`make chaos` (`python -m tests.chaos`): start a private mesh, run every scenario, print and write the table.

    python -m tests.chaos                          # everything, 120 s outages of Abi and the index (~7 min)
    python -m tests.chaos --outage-seconds 10 --only sigkill,abi

The mesh is the tests' (tests/gateway/support.py: real processes on free loopback ports, test API keys);
the exit status is 1 when a scenario fails. docs/resilience.md explains each scenario and its checks.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import sys
import tempfile
import time
from pathlib import Path

import httpx

from tests.chaos import scenarios
from tests.chaos.report import Result, table, write
from tests.gateway.support import auth, keys_env, start_private_mesh

RESULTS = Path("bench-results") / "chaos.md"


def _scenarios(gateway_env: dict[str, str]) -> dict[str, scenarios.Scenario]:
    """Name -> scenario, in the order they run (the gateway's SIGTERM last: it restarts the front door)."""
    return {
        "sigkill": scenarios.sigkill_replica,
        "sigstop": scenarios.sigstop_replica,
        "partition": scenarios.partition,
        "persona-down": scenarios.persona_down,
        "mid-stream": scenarios.killed_mid_stream,
        "index": scenarios.index_outage,
        "abi": scenarios.abi_outage,
        "gateway-sigterm": functools.partial(scenarios.gateway_sigterm, gateway_env=gateway_env),
    }


async def run(args: argparse.Namespace) -> list[Result]:
    gateway_env = {**keys_env(), **scenarios.GATEWAY_ENV}
    chosen = _scenarios(gateway_env)
    names = args.only.split(",") if args.only else list(chosen)
    unknown = set(names) - set(chosen)
    if unknown:
        raise SystemExit(f"unknown scenario(s) {sorted(unknown)}; known: {', '.join(chosen)}")
    tmp = Path(tempfile.mkdtemp(prefix="pm-chaos-"))
    print(f"starting a mesh (logs in {tmp / 'logs'}) ...", flush=True)
    mesh = await asyncio.to_thread(start_private_mesh, tmp, gateway_env=scenarios.GATEWAY_ENV)
    results: list[Result] = []
    try:
        async with httpx.AsyncClient(base_url=mesh.http_url, timeout=30, headers=auth("user")) as http:
            chaos = scenarios.Chaos(mesh, http, outage_s=args.outage_seconds, stop_s=args.stop_seconds)
            for name in names:
                print(f"-- {name}", flush=True)
                began = time.monotonic()
                result = await chosen[name](chaos)
                results.append(result)
                verdict = "pass" if result.passed else "FAIL " + "; ".join(result.failures)
                print(f"   {verdict} ({time.monotonic() - began:.0f} s)", flush=True)
    finally:
        await asyncio.to_thread(mesh.stop_all)
    return results


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--outage-seconds", type=float, default=120.0, help="how long Abi and the index stay down")
    parser.add_argument("--stop-seconds", type=float, default=30.0, help="how long a replica stays SIGSTOPped")
    parser.add_argument("--only", default="", help="comma-separated scenario names (default: all)")
    parser.add_argument("--out", type=Path, default=RESULTS, help="where the table is written")
    args = parser.parse_args(argv)
    results = asyncio.run(run(args))
    settings = (
        f"Outages of Abi and the index {args.outage_seconds:.0f} s, SIGSTOP {args.stop_seconds:.0f} s; "
        f"gateway settings: defaults except {scenarios.GATEWAY_ENV}."
    )
    print("\n" + table(results))
    write(results, args.out, settings)
    print(f"\nwritten to {args.out}")
    return 0 if all(r.passed for r in results) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
