"""Chart sizing: each component's memory, CPU and start-up time under the chart's own configuration.

The mesh is booted from the rendered pod environments (tests/helm/chart_mesh.py,
chart defaults, knowledge seeding in the background as in a cluster), driven with
chat requests through the gateway, and each process's peak RSS is set against the
memory request and limit the chart gives that container; start-up time is set
against the startup probe's budget (periodSeconds x failureThreshold).
"""

from __future__ import annotations

import asyncio
import re
import signal
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import psutil

from tests.bench.stats import peak_rss_mib, print_table, run_concurrent
from tests.helm.chart_mesh import API_KEY, boot_chart_mesh
from tests.helm.manifests import main_container

REQUESTS = 300
CONCURRENCY = 8
MESSAGES = [
    "How do I reverse a list in Python?",
    "I'm so stressed about my exam tomorrow, I can't sleep.",
    "What is the difference between a process and a thread?",
    "My code keeps crashing with a KeyError and I'm frustrated.",
    "Can you explain how HTTP/2 multiplexing works?",
    "I feel a bit lonely since I moved to a new city.",
]
_UNITS = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "k": 10**3, "M": 10**6, "G": 10**9, "": 1}


def mib(quantity: str) -> float:
    """A Kubernetes memory quantity ('768Mi', '2Gi') in MiB."""
    match = re.fullmatch(r"([0-9.]+)([A-Za-z]*)", str(quantity))
    assert match, quantity
    return float(match.group(1)) * _UNITS[match.group(2)] / 2**20


async def _drive(http_url: str) -> dict[str, float]:
    async with httpx.AsyncClient(base_url=http_url, timeout=30, headers={"Authorization": f"Bearer {API_KEY}"}) as http:

        async def chat(i: int) -> None:
            reply = await http.post(
                "/api/v1/chat", json={"content": MESSAGES[i % len(MESSAGES)], "session_id": f"bench-{i % 16}"}
            )
            reply.raise_for_status()

        return await run_concurrent(chat, total=REQUESTS, concurrency=CONCURRENCY, warmup=6)


async def main() -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="bench-helm-") as tmp:
        # One benchmark user sends far more than a person would: lift its rate limit through the chart.
        mesh = boot_chart_mesh(Path(tmp), ("gateway.rateLimit.perMinute=1000000", "gateway.rateLimit.burst=10000"))
        try:
            latency = await _drive(mesh.http_url)
            rows: dict[str, dict[str, float]] = {}
            for name, process in mesh.processes.items():
                assert process.process is not None
                pid = process.process.pid
                container = main_container(mesh.chart.workload(name))
                probe = container["startupProbe"]
                cpu = psutil.Process(pid).cpu_times()
                rows[name] = {
                    "peak_rss_mib": peak_rss_mib(pid),
                    "request_mib": mib(container["resources"]["requests"]["memory"]),
                    "limit_mib": mib(container["resources"]["limits"]["memory"]),
                    "cpu_s": round(cpu.user + cpu.system, 1),
                    "startup_s": mesh.startup_seconds[name],
                    "startup_budget_s": float(probe["periodSeconds"] * probe["failureThreshold"]),
                }
            started = time.monotonic()
            for process in mesh.processes.values():
                process.signal(signal.SIGTERM)
            for process in mesh.processes.values():
                assert process.process is not None
                await asyncio.to_thread(process.process.wait, 60)
            drain_s = round(time.monotonic() - started, 2)
        finally:
            mesh.kill_all()
    print_table(f"chart mesh: {REQUESTS} chats at {CONCURRENCY} concurrent through the gateway", {"chat": latency})
    print_table("per component: peak memory vs the chart's request/limit, start-up vs the startup probe", rows)
    print(f"  drain of every component after SIGTERM: {drain_s}s")
    return {"chat": latency, "components": rows, "drain_s": drain_s}
