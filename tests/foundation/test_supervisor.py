"""`make run`'s supervisor: the whole mesh up, answering, a killed replica restarted while the gateway
fails over, a crash loop given up on, and everything stopped cleanly by a signal."""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from services.devmesh.processes import health_status
from services.devmesh.supervisor import CrashPolicy

BANNER_URL = re.compile(r"HTTP\s+(http://127\.0\.0\.1:\d+)/api/v1/chat")
STARTED = re.compile(r"starting (\S+)\s+(127\.0\.0\.1:\d+) \(pid (\d+)\)")
EVERY_PROCESS = {"gateway", "abi", "embeddings", "abbey-1", "abbey-2", "aviva-1", "aviva-2"}


def _chat(base: str, content: str) -> dict[str, object]:
    request = urllib.request.Request(
        f"{base}/api/v1/chat",
        data=json.dumps({"content": content}).encode(),
        headers={"content-type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30) as reply:
        return dict(json.loads(reply.read()))


def _stop_codes(text: str) -> dict[str, str]:
    stopped = re.search(r"stopped: (.*)", text)
    assert stopped, text
    return dict(item.split("=") for item in stopped.group(1).split(", "))


class _Supervised:
    """`python -m services.devmesh --free-ports` and what it printed."""

    def __init__(self, tmp_path: Path) -> None:
        self.out_path = tmp_path / "supervisor.out"
        self._out = self.out_path.open("w+")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "services.devmesh", "--data-dir", str(tmp_path / "data"), "--free-ports"],
            stdout=self._out,
            stderr=subprocess.STDOUT,
        )

    def text(self) -> str:
        return self.out_path.read_text()

    def wait_for(self, pattern: str, within: float) -> re.Match[str]:
        deadline = time.monotonic() + within
        while time.monotonic() < deadline and self.process.poll() is None:
            match = re.search(pattern, self.text())
            if match:
                return match
            time.sleep(0.2)
        raise AssertionError(f"{pattern!r} not printed within {within} s:\n{self.text()}")

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self._out.close()


@pytest.fixture
def supervised(tmp_path: Path) -> Iterator[_Supervised]:
    running = _Supervised(tmp_path)
    yield running
    running.close()


def test_a_crash_policy_backs_off_and_gives_up_on_a_crash_loop() -> None:
    policy = CrashPolicy(max_crashes=5, window_seconds=60.0, first_backoff_seconds=0.5, max_backoff_seconds=4.0)
    assert [policy.crashed("abbey-1", t) for t in (0, 1, 2, 3)] == [0.5, 1.0, 2.0, 4.0]
    assert policy.crashed("abbey-2", 3) == 0.5  # per service
    assert policy.crashed("abbey-1", 4) is None  # five in 60 s: keeps crashing
    spaced = CrashPolicy(max_crashes=5, window_seconds=60.0)
    assert [spaced.crashed("aviva-1", t) for t in (0, 1, 2, 3)][-1] == 4.0
    assert spaced.crashed("aviva-1", 100) == 0.5  # those four are forgotten


def test_a_killed_replica_is_restarted_while_eight_clients_lose_no_request(supervised: _Supervised) -> None:
    """kill -9 of one abbey replica under 8 concurrent clients: the gateway fails over, the supervisor logs
    the death and restarts it, it is SERVING again in the gateway's view; SIGTERM then stops every process."""
    base = supervised.wait_for(BANNER_URL.pattern, 180).group(1)
    started = {m.group(1): (m.group(2), int(m.group(3))) for m in STARTED.finditer(supervised.text())}
    target, pid = started["abbey-1"]

    async def load() -> tuple[list[int], float]:
        statuses: list[int] = []
        done = asyncio.Event()

        async def client(number: int, http: httpx.AsyncClient) -> None:
            turn = 0
            while not done.is_set():
                turn += 1
                content = f"I feel anxious about my exam tomorrow ({number}.{turn})"
                statuses.append((await http.post("/api/v1/chat/abbey", json={"content": content})).status_code)

        async with httpx.AsyncClient(base_url=base, timeout=30) as http:
            clients = [asyncio.create_task(client(n, http)) for n in range(8)]
            await asyncio.sleep(1.0)
            os.kill(pid, signal.SIGKILL)
            killed = time.monotonic()
            await asyncio.to_thread(supervised.wait_for, r"abbey-1 is SERVING again", 120)
            back = time.monotonic() - killed
            while True:  # the gateway sees it SERVING again (its watch reconnects within seconds)
                health = (await http.get("/api/v1/personas/health")).json()
                replica = next(r for r in health["personas"]["abbey"]["replicas"] if r["address"] == target)
                if replica["health"] == "SERVING":
                    break
                assert time.monotonic() - killed < back + 10, replica
                await asyncio.sleep(0.2)
            done.set()
            await asyncio.gather(*clients)
        return statuses, back

    statuses, back = asyncio.run(load())
    print(f"\nkill -9 abbey-1 under 8 clients: {len(statuses)} requests, SERVING again after {back:.1f} s")
    assert len(statuses) > 20 and set(statuses) == {200}, statuses
    text = supervised.text()
    assert re.search(r"abbey-1 exited with -9; restarting it in 0\.5 s", text), text
    assert health_status(target) == "SERVING"
    supervised.process.send_signal(signal.SIGTERM)
    assert supervised.process.wait(60) == 0
    codes = _stop_codes(supervised.text())
    assert set(codes) == EVERY_PROCESS and set(codes.values()) == {"0"}, codes


@pytest.mark.parametrize("signum", [signal.SIGINT])  # SIGTERM: the test above
def test_supervisor_serves_then_stops_every_process_on_a_signal(tmp_path: Path, signum: int) -> None:
    out = (tmp_path / "supervisor.out").open("w+")
    supervisor = subprocess.Popen(
        [sys.executable, "-m", "services.devmesh", "--data-dir", str(tmp_path / "data"), "--free-ports"],
        stdout=out,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 180
        base = None
        while base is None and time.monotonic() < deadline and supervisor.poll() is None:
            time.sleep(0.5)
            match = BANNER_URL.search((tmp_path / "supervisor.out").read_text())
            base = match.group(1) if match else None
        assert base, (tmp_path / "supervisor.out").read_text()
        answer = _chat(base, "I feel so anxious about my exam tomorrow")
        assert answer["persona"] == "abbey" and answer["content"]
        answer = _chat(base, "How do I sort a dict by value in Python?")
        assert answer["persona"] == "aviva" and answer["content"]

        supervisor.send_signal(signum)
        assert supervisor.wait(60) == 0
        text = (tmp_path / "supervisor.out").read_text()
        stopped = re.search(r"stopped: (.*)", text)
        assert stopped, text
        codes = dict(item.split("=") for item in stopped.group(1).split(", "))
        assert set(codes) == {"gateway", "abi", "embeddings", "abbey-1", "abbey-2", "aviva-1", "aviva-2"}
        assert set(codes.values()) == {"0"}, codes
    finally:
        if supervisor.poll() is None:
            supervisor.kill()
        out.close()


def test_a_signal_during_start_up_stops_without_waiting_for_the_rest(tmp_path: Path) -> None:
    out = (tmp_path / "supervisor.out").open("w+")
    data = tmp_path / "data"
    supervisor = subprocess.Popen(
        [sys.executable, "-m", "services.devmesh", "--data-dir", str(data), "--free-ports"],
        stdout=out,
        stderr=subprocess.STDOUT,
    )
    try:
        log = data / "logs" / "embeddings.log"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not (log.exists() and "listening" in log.read_text()):
            time.sleep(0.05)
        assert log.exists() and "listening" in log.read_text()  # its signal handlers are installed
        supervisor.send_signal(signal.SIGTERM)
        assert supervisor.wait(30) == 130
        text = (tmp_path / "supervisor.out").read_text()
        assert "persona-mesh is up" not in text
        stopped = re.search(r"stopped: (.*)", text)
        assert stopped and stopped.group(1) == "embeddings=0", text
    finally:
        if supervisor.poll() is None:
            supervisor.kill()
        out.close()
