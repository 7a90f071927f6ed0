"""A Node.js client (@grpc/grpc-js + @grpc/proto-loader from npm) calls GatewayService from the .proto files."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import RunningMesh

ROOT = Path(__file__).resolve().parents[2]
CLIENT = Path(__file__).resolve().parent / "node"
INSTALL = ROOT / "build" / "node-client"


@pytest.fixture(scope="module")
def node_client() -> Path:
    """The client with its pinned packages (`npm ci` into build/, again only when the lock file changes)."""
    assert shutil.which("node") and shutil.which("npm"), "Node.js and npm are needed (apt-get install nodejs npm)"
    lock = (CLIENT / "package-lock.json").read_bytes()
    stamp = INSTALL / ".lock.sha256"
    if not stamp.exists() or stamp.read_text() != hashlib.sha256(lock).hexdigest():
        INSTALL.mkdir(parents=True, exist_ok=True)
        for name in ("package.json", "package-lock.json"):
            shutil.copy(CLIENT / name, INSTALL / name)
        subprocess.run(
            ["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=INSTALL, check=True, timeout=300
        )
        stamp.write_text(hashlib.sha256(lock).hexdigest())
    shutil.copy(CLIENT / "chat.mjs", INSTALL / "chat.mjs")
    return INSTALL / "chat.mjs"


def _run(script: Path, target: str, message: str, persona: str = "") -> dict[str, object]:
    done = subprocess.run(
        ["node", str(script), str(ROOT / "protos"), target, message, persona],
        capture_output=True,
        text=True,
        timeout=90,
    )
    assert done.returncode == 0, done.stderr
    result: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def test_node_chat_and_chat_stream(node_client: Path, mesh: RunningMesh) -> None:
    routed = _run(node_client, mesh.gateway_target, "How do I reverse a list in Python?")
    assert routed["persona"] == routed["routed_to"] == "aviva"
    assert routed["content"]
    kinds = routed["stream"]
    assert isinstance(kinds, list) and kinds[0] == "routing" and kinds[-1] == "final" and "delta" in kinds
    assert routed["streamed_text"] == routed["final_content"]
    forced = _run(node_client, mesh.gateway_target, "I had a rough day at work", "abbey")
    assert forced["persona"] == "abbey"
