"""SIGKILL the vector store mid-write, reopen it, repeat: does it always come back, with every acknowledged row?

No model and no gRPC: a child process opens the service's VectorStore on one data dir and upserts
conversation rows as fast as it can, printing each id once the store has acknowledged it (flushed).
The parent kills it at a random moment, opens the same dir in a fresh child and checks that the store
opens and holds every acknowledged id. Not collected by pytest (it takes a minute or two); run it as

    PYTHONPATH=.:build/gen .venv/bin/python -m tests.embeddings.kill_repro --rounds 30
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from services.common.encoder import DIMENSION
from services.embeddings.metrics import STORE_TORN_INDEX_FILES
from services.embeddings.store import VectorStore
from tests.embeddings.rows import conversation_row


def _row(i: int, rng: random.Random) -> dict[str, object]:
    vector = [rng.uniform(-1.0, 1.0) for _ in range(DIMENSION)]
    norm = sum(v * v for v in vector) ** 0.5
    return conversation_row(i, "kill", [v / norm for v in vector])


def _store(data_dir: Path) -> VectorStore:
    return VectorStore(lite_dir=data_dir)


async def _write(data_dir: Path, start: int) -> None:
    store = _store(data_dir)
    await store.open()
    print("open", flush=True)
    rng = random.Random(start)
    i = start

    async def one(n: int) -> None:
        await store.upsert("conversations", [_row(n, rng)])
        print(f"ack kill-{n}", flush=True)

    while True:  # several in flight, as the service has: group commits
        await asyncio.gather(*(one(i + j) for j in range(4)))
        i += 4


async def _check(data_dir: Path) -> None:
    store = _store(data_dir)
    try:
        await store.open()
        ids = [row["id"] for row in await store.query_all("conversations", 'user_id == "kill"', ["id"])]
        repaired = sum(
            sample.value
            for metric in STORE_TORN_INDEX_FILES.collect()
            for sample in metric.samples
            if sample.name.endswith("_total")
        )
        print(json.dumps({"ok": True, "ids": ids, "repaired": repaired}), flush=True)
    except Exception as error:  # report the failure to the parent rather than die with it
        print(json.dumps({"ok": False, "error": f"{type(error).__name__}: {error}"}), flush=True)
    finally:
        await store.close()


def _child(mode: str, data_dir: Path, *extra: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.embeddings.kill_repro", mode, str(data_dir), *extra],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )


def _collect_acks(writer: subprocess.Popen[str], acknowledged: set[str]) -> None:
    assert writer.stdout is not None
    for line in writer.stdout:  # until the writer dies
        if line.startswith("ack "):
            acknowledged.add(line.split()[1])


def _torn_files(data_dir: Path) -> list[str]:
    return sorted(str(p.relative_to(data_dir)) for p in data_dir.rglob("*") if p.is_file() and p.stat().st_size == 0)


def run(rounds: int, seed: int, keep: bool) -> int:
    rng = random.Random(seed)
    data_dir = Path(tempfile.mkdtemp(prefix="kill-repro-")) / "lite"
    acknowledged: set[str] = set()
    failures = repaired = 0
    started = time.monotonic()
    for round_ in range(1, rounds + 1):
        writer = _child("write", data_dir, str(round_ * 100_000))
        assert writer.stdout is not None
        if writer.stdout.readline().strip() != "open":
            print(f"round {round_}: the writer did not open the store", flush=True)
            failures += 1
            writer.kill()
            break
        reader = threading.Thread(target=_collect_acks, args=(writer, acknowledged), daemon=True)
        reader.start()
        time.sleep(rng.uniform(0.05, 1.5))
        writer.send_signal(signal.SIGKILL)
        writer.wait()
        reader.join()
        checker = _child("check", data_dir)
        out, _ = checker.communicate(timeout=300)
        result: dict[str, Any] = (
            json.loads(out.strip().splitlines()[-1]) if out.strip() else {"ok": False, "error": "no output"}
        )
        if not result["ok"]:
            failures += 1
            print(f"round {round_}: reopen FAILED: {result['error']}; empty files: {_torn_files(data_dir)}", flush=True)
            break
        lost = acknowledged - set(result["ids"])
        if lost:
            failures += 1
            print(f"round {round_}: LOST {len(lost)} acknowledged rows, e.g. {sorted(lost)[:5]}", flush=True)
            break
        repaired += int(result["repaired"])
        note = f" (repaired {int(result['repaired'])} torn index file(s))" if result["repaired"] else ""
        print(f"round {round_}: ok, {len(acknowledged)} acknowledged rows all present{note}", flush=True)
    elapsed = time.monotonic() - started
    print(f"{failures} failure(s) in {round_} round(s), {repaired} torn index file(s) repaired, {elapsed:.0f} s")
    if keep or failures:
        print(f"data dir {data_dir}")
    if not keep and not failures:
        import shutil

        shutil.rmtree(data_dir.parent, ignore_errors=True)
    return 1 if failures else 0


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] in ("write", "check"):
        mode, data_dir = sys.argv[1], Path(sys.argv[2])
        if mode == "write":
            asyncio.run(_write(data_dir, int(sys.argv[3])))
        else:
            asyncio.run(_check(data_dir))
        return
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep", action="store_true", help="keep the data dir even when every round passed")
    args = parser.parse_args()
    sys.exit(run(args.rounds, args.seed, args.keep))


if __name__ == "__main__":
    main()
