"""The Python client and the `persona-mesh` command against the session's running mesh."""

from __future__ import annotations

import importlib
import io
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from gateway.sdk import AsyncClient, Client, PersonaMeshError
from gateway.sdk.cli import main
from tests.conftest import RunningMesh

ROOT = Path(__file__).resolve().parents[2]
TECH = "How do I reverse a list in Python?"


def test_chat_route_personas_metrics_and_feedback(mesh: RunningMesh) -> None:
    with Client(mesh.http_url) as client:
        answer = client.chat(TECH, session_id="sdk-1", user_id="sdk-user")
        assert answer.persona == "aviva" and answer.content and answer.request_id
        assert answer.routing is not None and answer.routing.persona == "aviva"
        forced = client.chat("I had a rough day at work", persona="abbey", user_id="sdk-user")
        assert forced.persona == "abbey" and forced.tone in ("warm", "supportive")
        decision = client.route("thank you so much!")
        assert decision.persona in ("abbey", "aviva") and decision.action != "block"
        assert "persona:" in decision.explain() and "moderation:" in decision.explain()
        names = {p.name for p in client.personas()}
        assert {"abbey", "aviva"} <= names
        assert all(p.replicas_healthy >= 1 for p in client.personas())
        assert "personas" in client.metrics()
        assert isinstance(client.feedback(answer.request_id, 0.9, "clear"), bool)


def test_stream_yields_the_answer_in_pieces(mesh: RunningMesh) -> None:
    with Client(mesh.http_url) as client:
        pieces = list(client.stream(TECH, persona="aviva"))
    assert len(pieces) >= 2 and "".join(pieces).strip()


async def test_async_client_does_the_same(mesh: RunningMesh) -> None:
    async with AsyncClient(mesh.http_url) as client:
        answer = await client.chat(TECH, user_id="sdk-async")
        pieces = [piece async for piece in client.stream(TECH)]
        decision = await client.route(TECH)
    assert answer.persona == decision.persona == "aviva"
    assert "".join(pieces).strip()


def test_errors_carry_the_servers_reason(mesh: RunningMesh) -> None:
    with Client(mesh.http_url) as client:
        with pytest.raises(PersonaMeshError) as unknown:
            client.chat("hello", persona="nobody")
        assert 400 <= unknown.value.status < 500 and unknown.value.reason and unknown.value.message
        with pytest.raises(PersonaMeshError) as empty:
            client.chat("")
        assert empty.value.status == 400 and empty.value.reason
        with pytest.raises(PersonaMeshError) as streamed:
            list(client.stream("hello", persona="nobody"))
        assert streamed.value.status == 404 and streamed.value.reason == "MODEL_NOT_FOUND"


def test_the_command_chats_routes_and_lists(mesh: RunningMesh) -> None:
    out = io.StringIO()
    assert main(["--url", mesh.http_url, "chat", "--no-stream", TECH], out) == 0
    assert out.getvalue().startswith("[aviva")
    out = io.StringIO()
    assert main(["--url", mesh.http_url, "route", "how do I kill a zombie process in linux"], out) == 0
    assert "persona: aviva" in out.getvalue()
    out = io.StringIO()
    assert main(["--url", mesh.http_url, "personas"], out) == 0
    assert "abbey" in out.getvalue() and "aviva" in out.getvalue()
    # Streamed chat, as a user runs it: a real process, text on stdout.
    done = subprocess.run(
        [sys.executable, "-m", "gateway.sdk.cli", "--url", mesh.http_url, "chat", TECH],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip()
    bad = subprocess.run(
        [sys.executable, "-m", "gateway.sdk.cli", "--url", mesh.http_url, "chat", "--persona", "nobody", "hi"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
    )
    assert bad.returncode == 1 and "MODEL_NOT_FOUND" in bad.stderr, bad.stderr


def test_pip_install_declares_the_command_and_the_dependencies() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    module, _, function = project["scripts"]["persona-mesh"].partition(":")
    assert callable(getattr(importlib.import_module(module), function))
    assert "dependencies" in project["dynamic"]
    declared = (ROOT / "requirements.in").read_text(encoding="utf-8")
    assert "httpx" in declared and "grpcio" in declared
