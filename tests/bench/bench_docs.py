"""Aviva on the documentation corpus: ingestion time and store size, and Chat latency with the composer.

Ingests a fixed real subset of the corpus (8 pages: Python's datetime, pathlib, re and subprocess, the man
pages of tar, find, git-reset and git-log) into a fresh milvus-lite dir with the corpus tool (direct mode,
as `make run` does), then asks Aviva, one client at a time and 8 at once, the documentation QA set's dev
questions. When `make run`'s data dir holds the whole corpus, its figures (pages, store size) are reported
too. Alone: `.venv/bin/python -m tests.bench docs`.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import grpc

from personamesh.v1 import persona_pb2, persona_service_pb2_grpc
from services.devmesh.processes import ServiceProcess, free_port
from tests.bench import stats
from tests.eval.docs import rows
from tests.personas.support import persona_process, running

PYTHON_PAGES = ("library/datetime.html", "library/pathlib.html", "library/re.html", "library/subprocess.html")
MAN_PAGES = ("tar", "find", "git-reset", "git-log")
FULL_DATA_DIR = Path("var")


def _ingest(data_dir: Path) -> dict[str, float]:
    command = [sys.executable, "-m", "services.embeddings.corpus", "--data-dir", str(data_dir)]
    for page in PYTHON_PAGES:
        command += ["--python", page]
    for name in MAN_PAGES:
        command += ["--man", name]
    started = time.perf_counter()
    result = subprocess.run(command, capture_output=True, text=True, check=True, timeout=1800, env=dict(os.environ))
    figures = {key: float(value) for key, value in re.findall(r"(\w+) ([\d.]+)", result.stdout.splitlines()[-1])}
    figures["wall_seconds"] = round(time.perf_counter() - started, 1)
    return figures


def _full_corpus() -> dict[str, Any]:
    manifest = FULL_DATA_DIR / "docs-corpus.json"
    if not manifest.exists():
        return {}
    store = FULL_DATA_DIR / "embeddings"
    size = sum(path.stat().st_size for path in store.rglob("*") if path.is_file())
    return {"pages": len(json.loads(manifest.read_text())), "store_mb": round(size / 2**20, 1)}


async def _measure(target: str, questions: list[str], *, total: int, concurrency: int) -> dict[str, float]:
    async with grpc.aio.insecure_channel(target) as channel:
        stub = persona_service_pb2_grpc.PersonaServiceStub(channel)

        async def call(i: int) -> None:
            await stub.Chat(persona_pb2.PersonaRequest(content=questions[i % len(questions)]), timeout=60)

        return await stats.run_concurrent(call, total=total, concurrency=concurrency)


async def main() -> dict[str, Any]:
    questions = [row["question"] for row in rows("dev")]
    with tempfile.TemporaryDirectory(prefix="pm-bench-docs-") as tmp:
        data_dir = Path(tmp) / "data"
        ingestion = _ingest(data_dir)
        print(f"ingested {len(PYTHON_PAGES) + len(MAN_PAGES)} pages: {ingestion}")
        index = ServiceProcess(
            "embeddings",
            "services.embeddings",
            free_port(),
            {"PM_DATA_DIR": str(data_dir), "PM_METRICS_PORT": "-1", "PM_KNOWLEDGE_SEED": "off"},
            Path(tmp) / "logs",
        )
        aviva = persona_process(
            "aviva", "services.aviva", Path(tmp) / "logs", index.target, {"PM_LOG_LEVEL": "WARNING"}
        )
        with running(index, aviva, timeout=300):
            await _measure(aviva.target, questions, total=20, concurrency=1)  # warm-up
            latency = {
                "aviva Chat on docs, composer, 1 client": await _measure(
                    aviva.target, questions, total=len(questions), concurrency=1
                ),
                "aviva Chat on docs, composer, 8 clients": await _measure(
                    aviva.target, questions, total=2 * len(questions), concurrency=8
                ),
            }
    stats.print_table("Aviva on the documentation corpus", latency)
    full = _full_corpus()
    if full:
        print(f"whole corpus in {FULL_DATA_DIR}: {full}")
    return {"ingestion_subset": ingestion, "latency": latency, "full_corpus": full}
