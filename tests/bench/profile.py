"""`make profile`: where each service spends its CPU under the benchmark's routed load.

Starts a private mesh, sends routed HTTP chats (the path users take, as `make bench` does) from
`--clients` callers for `--seconds`, and meanwhile samples every service process with py-spy.
With `--upstream` the load is `make bench-peers`' instead: the personas answer through the stand-in
OpenAI-compatible upstream, and every request is a distinct question to `/v1/chat/completions`
(`model=auto`), so the profile shows the per-request costs that benchmark counts. Sampling uses py-spy
(pinned in requirements.lock; it reads the process from outside, so nothing in the services
changes). Writes to bench-results/profile/:

- `<service>.svg`: py-spy's flame graph (open it in a browser; click to zoom);
- `<service>.collapsed`: the same samples as collapsed stacks (flamegraph.pl, speedscope, inferno);
- `summary.md`: CPU milliseconds per request of every process (psutil CPU time over the run, divided
  by the requests answered) and the functions with the most samples of their own, per service.

The per-process table also goes to the "profile" block of docs/performance.md (kept there when `make
bench` rewrites the rest of the page), with the date and the load it was measured under.

py-spy needs ptrace of the services: as root, or with `kernel.yama.ptrace_scope=0`.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import httpx
import psutil

from tests.bench.bench_gateway import GATEWAY_ENV, QUESTION, ROUTED, user
from tests.bench.peers import UPSTREAM_MODEL, question
from tests.bench.report import PAGE, replace_block
from tests.conftest import RunningMesh
from tests.gateway.support import auth, start_private_mesh
from tests.personas.support import upstream_process

OUT = Path("bench-results/profile")
TOP_FRAMES = 12
IDLE = b"No stack counts found"  # py-spy's error for a process that never ran Python code while sampled


def py_spy() -> str:
    """The py-spy next to this interpreter (the project's virtualenv), else on PATH."""
    beside = Path(sys.executable).with_name("py-spy")
    found = str(beside) if beside.exists() else shutil.which("py-spy")
    if not found:
        raise SystemExit("py-spy is not installed: `make install` installs the pinned version")
    return found


def record(pid: int, seconds: float, rate: int, out: Path, fmt: str, gil: bool = False) -> subprocess.Popen[bytes]:
    """A py-spy recorder of one process; --nonblocking samples without pausing it. With `gil`, only the thread
    holding the GIL is sampled: what the Python code itself costs (a model's run releases the GIL and vanishes,
    a thread waiting for the GIL is no longer counted as running)."""
    command = [py_spy(), "record", "--pid", str(pid), "--duration", str(int(seconds)), "--rate", str(rate)]
    command += ["--nonblocking", "--format", fmt, "--output", str(out), *(["--gil"] if gil else [])]
    return subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def own_time(collapsed: Path) -> tuple[Counter[str], int]:
    """Samples per innermost frame (the function that was running), and the total, from collapsed stacks."""
    frames: Counter[str] = Counter()
    total = 0
    if not collapsed.exists():
        return frames, total
    for line in collapsed.read_text(encoding="utf-8", errors="replace").splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        frames[stack.split(";")[-1]] += int(count)
        total += int(count)
    return frames, total


async def send(client: httpx.AsyncClient, i: int, openai: bool) -> None:
    """One routed chat: the native API (make bench's load) or the OpenAI-compatible one (bench-peers')."""
    if openai:
        body = {"model": "auto", "messages": [{"role": "user", "content": question(i)}]}
        (await client.post("/v1/chat/completions", json=body, headers=auth())).raise_for_status()
        return
    body = {"content": (ROUTED if i % 2 else QUESTION) + f" (#{i})", "user_id": user(i)}
    (await client.post("/api/v1/chat", json=body)).raise_for_status()


async def load(mesh: RunningMesh, seconds: float, clients: int, openai: bool = False, start: int = 0) -> int:
    """Routed chats from `clients` callers for `seconds`; returns how many were answered."""
    done = 0
    deadline = time.monotonic() + seconds
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=mesh.http_url, timeout=60, limits=limits) as client:

        async def caller(number: int) -> None:
            nonlocal done
            i = start + number
            while time.monotonic() < deadline:
                await send(client, i, openai)
                done += 1
                i += clients

        await asyncio.gather(*(caller(n) for n in range(clients)))
    return done


def summary(cpu_ms: dict[str, float], requests: int, seconds: float, clients: int, upstream: bool) -> str:
    what = "distinct OpenAI-compatible chats answered through the stand-in upstream" if upstream else "HTTP chats"
    lines = [
        "# Profile of the mesh under routed load (`make profile`)",
        "",
        f"{requests} routed {what} in {seconds:.0f} s from {clients} callers ({requests / seconds:.1f}/s).",
        "",
        "| process | CPU ms per request |",
        "|---|---|",
    ]
    lines += [f"| {name} | {ms:.2f} |" for name, ms in sorted(cpu_ms.items(), key=lambda kv: -kv[1])]
    lines.append(f"| **all** | **{sum(cpu_ms.values()):.2f}** |")
    for name in sorted(cpu_ms):
        frames, total = own_time(OUT / f"{name}.collapsed")
        lines += ["", f"## {name}: own samples ({total} in all; flame graph `{name}.svg`)", ""]
        lines += ["| share | function (file:line) |", "|---|---|"]
        lines += [f"| {n / max(1, total):.1%} | `{frame}` |" for frame, n in frames.most_common(TOP_FRAMES)]
    return "\n".join(lines) + "\n"


async def run(seconds: float, clients: int, rate: int, upstream: bool, gil: bool = False) -> Path:
    with tempfile.TemporaryDirectory(prefix="profile-") as tmp, contextlib.ExitStack() as stack:
        extra_env: dict[str, str] = {}
        if upstream:
            port = stack.enter_context(upstream_process(Path(tmp) / "logs", slow_seconds=0.0)).port
            extra_env = {"PM_LLM_BASE_URL": f"http://127.0.0.1:{port}/v1", "PM_LLM_MODEL": UPSTREAM_MODEL}
        mesh = start_private_mesh(Path(tmp), extra_env=extra_env, gateway_env=GATEWAY_ENV)
        try:
            await load(mesh, 5.0, clients, upstream)  # warm-up: caches, first-call paths
            pids = {name: proc.process.pid for name, proc in mesh.processes.items() if proc.process is not None}
            handles = {name: psutil.Process(pid) for name, pid in pids.items()}
            before = {name: sum(h.cpu_times()[:2]) for name, h in handles.items()}
            recorders = [
                record(pid, seconds + 1, rate, OUT / f"{name}.{suffix}", fmt, gil)
                for name, pid in pids.items()
                for suffix, fmt in (("svg", "flamegraph"), ("collapsed", "raw"))
            ]
            requests = await load(mesh, seconds, clients, upstream, start=1_000_000)
            cpu_ms = {
                name: (sum(h.cpu_times()[:2]) - before[name]) * 1000.0 / max(1, requests) for name, h in handles.items()
            }
            for recorder in recorders:
                _, err = await asyncio.to_thread(recorder.communicate)
                if recorder.returncode and IDLE not in err:  # a process the load never reached has no samples
                    raise SystemExit(f"py-spy failed: {err.decode(errors='replace')[-500:]}")
        finally:
            mesh.stop_all()
    page = summary(cpu_ms, requests, seconds, clients, upstream)
    (OUT / "summary.md").write_text(page, encoding="utf-8")
    print(page)
    body = page_block(cpu_ms, requests, seconds, clients, upstream)
    PAGE.write_text(replace_block(PAGE.read_text(encoding="utf-8") if PAGE.exists() else "", "profile", body))
    return OUT / "summary.md"


def page_block(cpu_ms: dict[str, float], requests: int, seconds: float, clients: int, upstream: bool) -> str:
    """The docs/performance.md block: CPU per request by process, with how it was measured."""
    command = "make profile PROFILE_ARGS=--upstream" if upstream else "make profile"
    load = (
        "distinct questions to `/v1/chat/completions` (`model=auto`), the personas answering through the "
        "stand-in upstream (bench-peers' load)"
        if upstream
        else "routed chats to `/api/v1/chat`, the composer answering"
    )
    started = time.strftime("%Y-%m-%dT%H:%MZ", time.gmtime())
    lines = [
        f"## CPU per request by process (`{command}`)",
        "",
        f"Measured {started} ({psutil.cpu_count()} CPUs): {load}; {clients} clients for {seconds:.0f} s after 5 s of "
        f"warm-up, {requests / seconds:.1f} requests/s. CPU is psutil's user + system time of each process over the "
        "run, divided by the requests answered; flame graphs in bench-results/profile/.",
        "",
        "| process | CPU ms per request |",
        "|---|---|",
    ]
    lines += [f"| {name} | {ms:.2f} |" for name, ms in sorted(cpu_ms.items(), key=lambda kv: -kv[1])]
    lines.append(f"| **all** | **{sum(cpu_ms.values()):.2f}** |")
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=20.0, help="length of the sampled load")
    parser.add_argument("--clients", type=int, default=8, help="concurrent callers")
    parser.add_argument("--rate", type=int, default=100, help="py-spy samples per second")
    parser.add_argument("--upstream", action="store_true", help="make bench-peers' load: LLM backend, distinct chats")
    parser.add_argument("--gil", action="store_true", help="sample only the thread holding the GIL (Python's own cost)")
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    print(f"written: {asyncio.run(run(args.seconds, args.clients, args.rate, args.upstream, args.gil))}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
