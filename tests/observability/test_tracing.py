"""OpenTelemetry across processes: one chat request through a real mesh is one trace, with spans from the
gateway, Abi, the embedding index and the persona that answered, each linked to its parent.

Every process exports its spans as JSON lines (PM_TRACING=jsonl: the SDK's span processor with a file
exporter, one file per process) so that the test can read what each process recorded.
"""

from __future__ import annotations

import json
from pathlib import Path

import httpx

from services.common.tracing import TracingSettings, setup_tracing
from tests.conftest import start_mesh


def _spans(directory: Path) -> list[dict]:
    return [json.loads(line) for path in directory.glob("*.jsonl") for line in path.read_text().splitlines() if line]


def test_tracing_is_off_by_default() -> None:
    assert TracingSettings().tracing == "off"
    assert setup_tracing("test", TracingSettings(tracing="off")) is False


def test_one_chat_request_is_one_trace_across_every_process(tmp_path: Path) -> None:
    traces = tmp_path / "traces"
    mesh = start_mesh(tmp_path, {"PM_ALLOW_ANONYMOUS": "true", "PM_TRACING": "jsonl", "PM_TRACE_DIR": str(traces)})
    try:
        reply = httpx.post(
            f"{mesh.http_url}/api/v1/chat",
            json={"content": "How do I reverse a list in Python? I'm a bit stressed about it."},
            timeout=60,
        )
        assert reply.status_code == 200, reply.text
        answered_by = reply.json()["persona"]
        # Spans are written as they end. A persona's server span of a stream the gateway cancels after the
        # final event ends only when the process lets go of the call (at the latest when it stops): stop the
        # mesh (a clean SIGTERM drain flushes every exporter) before reading what each process recorded.
        mesh.stop_all()
        spans = _spans(traces)
        roots = [s for s in spans if s["service"] == "gateway" and s["name"] == "HTTP POST /api/v1/chat"]
        mine = [s for s in spans if roots and s["trace_id"] == roots[0]["trace_id"]]
        ids = {s["span_id"] for s in mine}
        orphans = [s for s in mine if s["parent_id"] and s["parent_id"] not in ids]
        assert len(roots) == 1, roots
        services = {s["service"] for s in mine}
        assert {"gateway", "abi", "embeddings", answered_by} <= services, (services, [s["name"] for s in mine])
        # One tree: every span but the root has its parent in the same trace.
        assert not orphans, orphans
        # The trace starts at the gateway's HTTP server (FastAPI's own span when its instrumentation is present).
        (root,) = [s for s in mine if not s["parent_id"]]
        assert root["service"] == "gateway" and root["kind"] == "SERVER"
        # The persona's work hangs under the gateway's call to it, across the process boundary.
        persona_server = [s for s in mine if s["service"] == answered_by and s["kind"] == "SERVER"]
        assert persona_server
        by_id = {s["span_id"]: s for s in mine}
        assert all(by_id[s["parent_id"]]["service"] == "gateway" for s in persona_server)
    finally:
        mesh.stop_all()
