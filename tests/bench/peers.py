"""`make bench-peers`: persona-mesh's OpenAI-compatible API side by side with the LiteLLM proxy.

One stand-in upstream (tests/fakes/openai_upstream.py, answering at once) serves three targets in one
run on this machine:

- the upstream alone (the floor every proxy adds to);
- the LiteLLM proxy (pinned in requirements-peers.lock, its own virtualenv, one worker, no database,
  no callbacks, no message logging: its cheapest plain proxying) in front of it;
- persona-mesh's gateway `/v1/chat/completions`, its personas using the same upstream as their LLM
  backend (`PM_LLM_BASE_URL`): `model=auto` (Abi moderates and routes) and `model=aviva` (forced).

Every request carries a distinct technical question, so no cache can answer it. Each cell (target x
concurrent clients x plain or streamed) warms up, then measures for `--seconds`: requests per second,
p50/p99 latency, the CPU time every process of the target spent (psutil, children included) per
answered request and per core, and the target's resident memory at the end. The load generator's own
CPU is reported too: on two cores it competes with the target, as it did for every peer.

Figures go to bench-results/peers-<time>.json (and peers-latest.json) and to the "Side by side"
block of docs/performance.md (kept there when `make bench` rewrites the rest of the page).
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import psutil

from services.devmesh.processes import free_port
from tests.bench.bench_gateway import GATEWAY_ENV
from tests.bench.report import PAGE, replace_block
from tests.bench.stats import summarize
from tests.gateway.support import auth, start_private_mesh
from tests.personas.support import upstream_process, wait_for_http

RESULTS = Path("bench-results")
UPSTREAM_MODEL = "echo-model"
BLOCK = "bench-peers"
TOPICS = (
    "reverse a list in Python",
    "undo the last git commit but keep the changes",
    "extract a tar archive into another directory",
    "find files changed in the last day",
    "read a CSV file with the csv module",
    "parse an ISO 8601 date string",
    "run tasks in a thread pool",
    "rename a git branch",
    "count lines in a file from the shell",
    "sort a dict by value",
    "retry a failed HTTP request with backoff",
    "compare two directories recursively",
)


def question(i: int) -> str:
    """A distinct technical question per request (the number keeps every text new)."""
    return f"How do I {TOPICS[i % len(TOPICS)]}? (ticket {i})"


@dataclass
class Target:
    """One thing the load is sent to: an OpenAI-compatible base URL and the processes that serve it."""

    name: str
    base_url: str  # ends in /v1
    model: str
    pids: list[int]
    headers: dict[str, str] = field(default_factory=dict)


def process_tree(pids: list[int]) -> list[psutil.Process]:
    """The processes and all their children (milvus-lite's server, uvicorn workers)."""
    found: dict[int, psutil.Process] = {}
    for pid in pids:
        try:
            root = psutil.Process(pid)
            for proc in (root, *root.children(recursive=True)):
                found[proc.pid] = proc
        except psutil.NoSuchProcess:
            continue
    return list(found.values())


def cpu_seconds(processes: list[psutil.Process]) -> float:
    total = 0.0
    for proc in processes:
        try:
            times = proc.cpu_times()
            total += times.user + times.system
        except psutil.NoSuchProcess:
            continue
    return total


def memory_mib(processes: list[psutil.Process]) -> dict[str, float]:
    """Resident memory summed over the processes, as RSS and as PSS (Linux; 0 elsewhere).

    RSS counts a page of a shared library once per process; PSS divides each shared page among the processes
    that map it, so its sum is what they hold together. Both, because the mesh is seven Python processes that
    load the same interpreter and libraries (grpc, numpy, onnxruntime), which RSS counts seven times.
    """
    rss = pss = 0
    for proc in processes:
        try:
            info = proc.memory_full_info()
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
        rss += info.rss
        pss += getattr(info, "pss", 0)
    return {"rss": round(rss / 2**20, 1), "pss": round(pss / 2**20, 1)}


async def one_request(client: httpx.AsyncClient, target: Target, i: int, stream: bool) -> bool:
    """One chat completion, read to its end; whether it succeeded."""
    body = {"model": target.model, "messages": [{"role": "user", "content": question(i)}], "stream": stream}
    url = f"{target.base_url}/chat/completions"
    if not stream:
        response = await client.post(url, json=body, headers=target.headers)
        return response.status_code == 200 and bool(response.json().get("choices"))
    async with client.stream("POST", url, json=body, headers=target.headers) as response:
        if response.status_code != 200:
            await response.aread()
            return False
        async for line in response.aiter_lines():
            if line.strip() == "data: [DONE]":
                return True
    return False


async def cell(
    target: Target,
    clients: int,
    stream: bool,
    seconds: float,
    warmup: float,
    split: dict[str, list[psutil.Process]] | None = None,
) -> dict[str, float]:
    """Warm up, then measure `seconds` of `clients` concurrent callers against one target. `split` names
    groups of the target's processes whose CPU per request is reported too (same window, same requests)."""
    numbers = itertools.count()
    processes = process_tree(target.pids)
    groups = split or {}
    me = [psutil.Process()]
    latencies: list[float] = []
    errors = 0
    phase = {"measure": False, "stop": False}

    async def caller(client: httpx.AsyncClient) -> None:
        nonlocal errors
        while not phase["stop"]:
            start = time.perf_counter()
            try:
                ok = await one_request(client, target, next(numbers), stream)
            except httpx.HTTPError:
                ok = False
            if phase["measure"] and not phase["stop"]:
                if ok:
                    latencies.append(time.perf_counter() - start)
                else:
                    errors += 1

    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(timeout=60, limits=limits) as client:
        tasks = [asyncio.create_task(caller(client)) for _ in range(clients)]
        await asyncio.sleep(warmup)
        measured = {"all": processes, "me": me, **groups}
        before = {name: cpu_seconds(procs) for name, procs in measured.items()}
        phase["measure"] = True
        started = time.perf_counter()
        await asyncio.sleep(seconds)
        phase["stop"] = True
        wall = time.perf_counter() - started
        spent = {name: cpu_seconds(procs) - before[name] for name, procs in measured.items()}
        cpu, own = spent["all"], spent["me"]
        memory = memory_mib(processes)
        await asyncio.gather(*tasks)
    answered = max(1, len(latencies))
    figures = summarize(latencies, wall) if latencies else {"n": 0.0}
    cores = cpu / wall
    return {
        "clients": float(clients),
        "req_per_s": figures.get("throughput_per_s", 0.0),
        "p50_ms": figures.get("p50_ms", 0.0),
        "p99_ms": figures.get("p99_ms", 0.0),
        "errors": float(errors),
        "cores_used": round(cores, 2),
        "req_per_s_per_core": round(figures.get("throughput_per_s", 0.0) / max(cores, 1e-6), 1),
        "cpu_ms_per_req": round(1000.0 * cpu / answered, 2),
        "loadgen_cpu_ms_per_req": round(1000.0 * own / answered, 2),
        "rss_mib": memory["rss"],
        "pss_mib": memory["pss"],
    } | {f"cpu_ms_per_req {name}": round(1000.0 * spent[name] / answered, 2) for name in groups}


@contextmanager
def litellm_proxy(executable: Path, upstream_port: int, log_dir: Path) -> Iterator[Target]:
    """The LiteLLM proxy, one worker, in front of the upstream, configured for its cheapest proxying."""
    port = free_port()
    config = log_dir / "litellm.yaml"
    config.write_text(
        "model_list:\n"
        f"  - model_name: {UPSTREAM_MODEL}\n"
        "    litellm_params:\n"
        f"      model: openai/{UPSTREAM_MODEL}\n"
        f"      api_base: http://127.0.0.1:{upstream_port}/v1\n"
        "      api_key: sk-bench\n"
        "litellm_settings:\n"
        "  set_verbose: false\n"
        "  turn_off_message_logging: true\n"
        "  drop_params: true\n"
        "  telemetry: false\n"
        "general_settings:\n"
        "  disable_spend_logs: true\n"
        "  disable_error_logs: true\n",
        encoding="utf-8",
    )
    env = {
        **os.environ,
        "LITELLM_LOG": "ERROR",
        "LITELLM_LOCAL_MODEL_COST_MAP": "True",  # no network fetch of the price list at start
        "LITELLM_TELEMETRY": "False",
    }
    command = [str(executable), "--config", str(config), "--host", "127.0.0.1", "--port", str(port)]
    with (log_dir / "litellm.log").open("ab") as log:
        process = subprocess.Popen(
            [*command, "--num_workers", "1"],
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
        )
    try:
        wait_for_http(f"http://127.0.0.1:{port}/health/liveliness", process, 120, log_dir / "litellm.log")
        yield Target("LiteLLM proxy", f"http://127.0.0.1:{port}/v1", UPSTREAM_MODEL, [process.pid])
    finally:
        process.terminate()
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()


async def run_cells(
    targets: list[Target], clients: list[int], modes: list[bool], seconds: float, warmup: float
) -> dict[str, dict[str, float]]:
    rows: dict[str, dict[str, float]] = {}
    for stream in modes:
        for count in clients:
            for target in targets:
                name = f"{target.name}, {'streamed' if stream else 'plain'}, {count} clients"
                rows[name] = await cell(target, count, stream, seconds, warmup)
                print(f"  {name:<52} " + "  ".join(f"{k}={v:g}" for k, v in rows[name].items()), flush=True)
    return rows


async def mesh_split(mesh_target: Target, names: dict[str, int], seconds: float, clients: int) -> dict[str, float]:
    """CPU ms per routed request of each mesh process (children counted with their parent)."""
    groups = {name: process_tree([pid]) for name, pid in names.items()}
    figures = await cell(mesh_target, clients, False, seconds, 1.0, split=groups)
    return {name: figures[f"cpu_ms_per_req {name}"] for name in groups}


def page_block(report: dict[str, Any]) -> str:
    """The markdown block for docs/performance.md."""
    lines = [
        "## Side by side with LiteLLM (`make bench-peers`)",
        "",
        f"Measured by `make bench-peers` on {report['started']} ({report['machine']}): one stand-in upstream, "
        f"LiteLLM {report['litellm']} (one worker, no database or callbacks) and the mesh's gateway in front of it, "
        f"a distinct question per request, {report['seconds']:g} s measured after {report['warmup']:g} s warm-up "
        "per cell. CPU is every process of the target (children included), per answered request; the load "
        "generator shares the two cores. Memory at the end of each cell, summed over the target's processes: "
        "RSS counts a shared library's pages once per process, PSS divides them among the processes.",
        "",
        "| target | req/s | p50 ms | p99 ms | errors | cores used | req/s per core | CPU ms per request | RSS MiB "
        "| PSS MiB |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name, row in report["cells"].items():
        lines.append(
            f"| {name} | {row['req_per_s']:g} | {row['p50_ms']:g} | {row['p99_ms']:g} | {row['errors']:g} | "
            f"{row['cores_used']:g} | {row['req_per_s_per_core']:g} | {row['cpu_ms_per_req']:g} | {row['rss_mib']:g} "
            f"| {row.get('pss_mib', 0):g} |"
        )
    split = report.get("mesh_cpu_ms_per_routed_request") or {}
    if split:
        label = f"CPU ms per routed request by mesh process (plain, {report['split_clients']} clients)"
        lines += _by_process(label, {name: f"{value:g}" for name, value in split.items()}, f"{sum(split.values()):.2f}")
    memory = report.get("mesh_memory_mib") or {}
    if memory:
        total = f"{sum(m['rss'] for m in memory.values()):.0f} / {sum(m['pss'] for m in memory.values()):.0f}"
        values = {name: f"{m['rss']:g} / {m['pss']:g}" for name, m in memory.items()}
        lines += _by_process("Memory by mesh process after that run, RSS / PSS MiB", values, total)
    return "\n".join(lines) + "\n"


def _by_process(label: str, values: dict[str, str], total: str) -> list[str]:
    """A paragraph of one figure per mesh process and their sum."""
    return ["", f"{label}: {', '.join(f'{name} {value}' for name, value in values.items())}; sum {total}."]


def litellm_version(executable: Path) -> str:
    python = executable.with_name("python")
    found = subprocess.run(
        [str(python), "-c", "import importlib.metadata as m; print(m.version('litellm'))"],
        capture_output=True,
        text=True,
        check=False,
    )
    return found.stdout.strip() or "?"


async def run(args: argparse.Namespace) -> dict[str, Any]:
    clients = [int(c) for c in args.clients.split(",")]
    modes = {"plain": [False], "streamed": [True], "both": [False, True]}[args.modes]
    report: dict[str, Any] = {
        "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "machine": f"{psutil.cpu_count()} CPUs, Python {sys.version.split()[0]}",
        "litellm": litellm_version(args.litellm),
        "seconds": args.seconds,
        "warmup": args.warmup,
    }
    with tempfile.TemporaryDirectory(prefix="bench-peers-") as tmp_name:
        tmp = Path(tmp_name)
        with upstream_process(tmp / "logs", slow_seconds=0.0) as upstream:
            base = f"http://127.0.0.1:{upstream.port}/v1"
            floor = Target("upstream alone", base, UPSTREAM_MODEL, [upstream.process.pid])
            mesh_env = {"PM_LLM_BASE_URL": base, "PM_LLM_MODEL": UPSTREAM_MODEL, "PM_LOG_LEVEL": "WARNING"}
            mesh = start_private_mesh(tmp, extra_env=mesh_env, gateway_env=GATEWAY_ENV)
            try:
                pids = {name: p.process.pid for name, p in mesh.processes.items() if p.process is not None}
                api = f"{mesh.http_url}/v1"
                routed = Target("mesh, model=auto (routed)", api, "auto", list(pids.values()), auth())
                forced = Target("mesh, model=aviva (forced)", api, "aviva", list(pids.values()), auth())
                with litellm_proxy(args.litellm, upstream.port, tmp / "logs") as litellm:
                    print("== side by side (plain/streamed x clients x target)", flush=True)
                    report["cells"] = await run_cells(
                        [floor, litellm, forced, routed], clients, modes, args.seconds, args.warmup
                    )
                report["split_clients"] = 16
                report["mesh_cpu_ms_per_routed_request"] = await mesh_split(routed, pids, args.seconds, 16)
                print(f"  mesh CPU ms per routed request by process: {report['mesh_cpu_ms_per_routed_request']}")
                report["mesh_memory_mib"] = {name: memory_mib(process_tree([pid])) for name, pid in pids.items()}
                print(f"  mesh memory by process (MiB): {report['mesh_memory_mib']}")
            finally:
                mesh.stop_all()
    return report


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--litellm", type=Path, default=Path(".venv-peers/bin/litellm"), help="the proxy's CLI")
    parser.add_argument("--clients", default="1,16,64", help="comma-separated concurrency levels")
    parser.add_argument("--modes", choices=("plain", "streamed", "both"), default="both")
    parser.add_argument("--seconds", type=float, default=15.0, help="measured seconds per cell")
    parser.add_argument("--warmup", type=float, default=5.0, help="unmeasured seconds before each cell")
    args = parser.parse_args()
    if not args.litellm.exists():
        raise SystemExit(f"{args.litellm} not found: `make bench-peers` installs LiteLLM in .venv-peers")
    report = asyncio.run(run(args))
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"peers-{time.strftime('%Y%m%dT%H%M%S')}.json"
    text = json.dumps(report, indent=2)
    out.write_text(text)
    (RESULTS / "peers-latest.json").write_text(text)
    PAGE.write_text(replace_block(PAGE.read_text(encoding="utf-8") if PAGE.exists() else "", BLOCK, page_block(report)))
    print(f"figures written to {out}; table in {PAGE}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
