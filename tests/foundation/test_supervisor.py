"""`make run`'s supervisor: the whole mesh up, answering, and stopped cleanly by a signal."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

BANNER_URL = re.compile(r"HTTP\s+(http://127\.0\.0\.1:\d+)/api/v1/chat")


def _chat(base: str, content: str) -> dict[str, object]:
    request = urllib.request.Request(
        f"{base}/api/v1/chat",
        data=json.dumps({"content": content}).encode(),
        headers={"content-type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30) as reply:
        return dict(json.loads(reply.read()))


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
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
