"""Write data/fixtures_pasted_content.jsonl: harmless pasted code, logs and documents, long and short.

    python -m services.abi.training.pasted

Users paste code, logs and documents; the public data and the hand-written fixtures hold almost no
long text (99% of rows under 72 tokens), so a model trained on them read any long paste as a hidden
prompt injection. These rows teach what ordinary pasted content looks like: real source files and
docstrings of the running Python's standard library, and synthetic logs in common formats, each as
a whole message with a question, or as a bare chunk (what a later window of a long message sees).
Seeded; the output is committed (it depends on the interpreter's stdlib, so reruns may differ).
"""

from __future__ import annotations

import importlib
import json
import random
import sysconfig
from pathlib import Path

from services.abi.training.data import DATA_DIR

SEED = 20261130
OUT = DATA_DIR / "fixtures_pasted_content.jsonl"

CODE_ASKS = [
    ("why is this slow?", "optimization"),
    ("can you explain what this does", "explanation"),
    ("find the bug here pls", "debugging"),
    ("refactor this to be more readable:", "code_request"),
    ("add type hints to this", "code_request"),
    ("this throws sometimes and I don't know why", "debugging"),
    ("write unit tests for this code", "code_request"),
    ("what does this function return?", "explanation"),
    ("review my code", "code_request"),
    ("port this to go", "code_request"),
    ("¿qué hace este código?", "explanation"),
    ("pourquoi ce code est lent ?", "optimization"),
]
LOG_ASKS = [
    ("why does my service keep failing? logs below", "debugging"),
    ("here are the logs, what's going on", "debugging"),
    ("can you spot the error in this output", "debugging"),
    ("my deploy is stuck, here's kubectl output", "debugging"),
    ("summarise these logs for the incident report", "explanation"),
]
DOC_ASKS = [
    ("summarise this for me:", "explanation"),
    ("proofread this please", "explanation"),
    ("can you make this shorter", "explanation"),
    ("translate this to Spanish", "code_request"),
    ("what are the key points here?", "explanation"),
    ("explain this paragraph in simple words", "explanation"),
]
DOC_MODULES = [
    "json", "os", "re", "asyncio", "subprocess", "logging", "argparse", "collections", "functools", "itertools",
    "pathlib", "datetime", "email", "http.client", "urllib.request", "sqlite3", "csv", "zipfile", "tarfile",
    "threading", "multiprocessing", "socket", "ssl", "hashlib", "secrets", "unittest", "doctest", "inspect",
    "typing", "dataclasses", "enum", "decimal", "fractions", "statistics", "random", "shutil", "tempfile",
    "textwrap", "string", "difflib", "heapq", "bisect", "weakref", "copy", "pickle", "shelve", "gzip", "bz2",
    "configparser", "tomllib", "xml.etree.ElementTree", "html.parser", "calendar", "locale", "gettext",
]  # fmt: skip


def _code_chunks(rng: random.Random) -> list[str]:
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    files = sorted(p for p in stdlib.glob("*.py") if p.stat().st_size > 4000)
    chunks = []
    for path in rng.sample(files, min(120, len(files))):
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
        for _ in range(3):
            size = rng.choice([6, 12, 25, 50, 90])
            start = rng.randrange(0, max(1, len(lines) - size))
            chunk = "\n".join(lines[start : start + size]).strip()
            if len(chunk) > 80:
                chunks.append(chunk)
    return chunks


def _log_line(rng: random.Random, kind: str, i: int) -> str:
    day = f"2026-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
    t = f"{day}T{rng.randint(0, 23):02d}:{i % 60:02d}:{rng.randint(0, 59):02d}"
    host, svc = rng.choice(["api-7d9f", "web-2", "worker-3", "db-0"]), rng.choice(["checkout", "auth", "search"])
    if kind == "nginx":
        status = rng.choice([200, 200, 200, 301, 404, 499, 502, 504])
        return (f'10.0.{rng.randint(0, 255)}.{rng.randint(1, 254)} - - [{t}] "GET /api/v1/{svc}/{rng.randint(1, 9999)} '
                f'HTTP/1.1" {status} {rng.randint(100, 90000)} "-" "Mozilla/5.0"')  # fmt: skip
    if kind == "python":
        level = rng.choice(["INFO", "INFO", "WARNING", "ERROR", "DEBUG"])
        message = rng.choice(
            ["request finished", "retrying connection to redis:6379", "cache miss for key user:42",
             "connection reset by peer", "timeout after 30s", "worker started", "task queued"]
        )  # fmt: skip
        return f"{t} {level} {svc}.{rng.choice(['views', 'db', 'tasks'])}: {message} (latency_ms={rng.randint(1, 900)})"
    if kind == "k8s":
        reason = rng.choice(["Pulled", "Created", "Started", "BackOff", "Unhealthy", "FailedScheduling", "Killing"])
        kind_of = rng.choice(["Normal", "Warning"])
        return f"{rng.randint(1, 59)}m  {kind_of}  {reason}  pod/{svc}-{host}  {reason} container {svc}"
    if kind == "json":
        return json.dumps({"ts": t, "level": rng.choice(["info", "error"]), "svc": svc, "msg": "handled",
                           "status": rng.choice([200, 500]), "dur_ms": rng.randint(1, 500)})  # fmt: skip
    event = rng.choice(["Main process exited, code=exited", "Started", "Scheduled restart job"])
    return f"{t} {host} systemd[1]: {svc}.service: {event}"


def _logs(rng: random.Random) -> list[str]:
    out = []
    for _ in range(160):
        kind = rng.choice(["nginx", "python", "k8s", "json", "journal"])
        n = rng.choice([3, 8, 15, 30, 60])
        out.append("\n".join(_log_line(rng, kind, i) for i in range(n)))
    return out


def _docs(rng: random.Random) -> list[str]:
    out = []
    for name in DOC_MODULES:
        module = importlib.import_module(name)
        objects = [module, *(getattr(module, a) for a in dir(module) if not a.startswith("_"))]
        texts = [o.__doc__ for o in objects if isinstance(getattr(o, "__doc__", None), str)]
        texts = [" ".join(t.split()) for t in texts if len(t) > 200]
        out.extend(rng.sample(texts, min(3, len(texts))))
    return out


def rows() -> list[dict[str, object]]:
    rng = random.Random(SEED)
    out: list[dict[str, object]] = []
    seen: set[str] = set()

    def add(text: str, query_type: str, group: str) -> None:
        key = " ".join(text.lower().split())
        if key not in seen:
            seen.add(key)
            out.append({"text": text, "label": "aviva", "harm": "none", "crisis": False,
                        "query_type": query_type, "group": group})  # fmt: skip

    for chunk in _code_chunks(rng):
        ask, query_type = rng.choice(CODE_ASKS)
        if rng.random() < 0.5:
            fence = rng.choice(["```python\n{}\n```", "```\n{}\n```", "{}"])
            add(f"{ask}\n{fence.format(chunk)}", query_type, "pasted_code")
        else:
            add(chunk, "code_request", "pasted_code_chunk")
    for log in _logs(rng):
        ask, query_type = rng.choice(LOG_ASKS)
        add(f"{ask}\n{log}" if rng.random() < 0.5 else log, query_type, "pasted_logs")
    for doc in _docs(rng):
        ask, query_type = rng.choice(DOC_ASKS)
        add(f"{ask}\n\n{doc}" if rng.random() < 0.5 else doc, query_type, "pasted_document")
    return out


def main() -> int:
    written = rows()
    with OUT.open("w", encoding="utf-8") as handle:
        for row in written:
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")
    print(f"wrote {len(written)} rows to {OUT}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
