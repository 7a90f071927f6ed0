"""`make e2e-llm` / `python -m tests.e2e_llm --llm-python .venv-llm/bin/python`.

Starts llama.cpp's server with the Gemma 3 270M GGUF, a recording tap in front of it, and a whole mesh
whose personas use the tap as their OpenAI-compatible backend (PM_LLM_BASE_URL). Then, through the
gateway: a plain chat and a streamed chat answered by the model, the prompt the model received
(the answering persona's system prompt and the user's words), and, with the model server stopped,
an answer from the composer marked degraded. Prints one line per check and exits 1 if any failed.
The model is a 270M base model: its words are not judged, only that they came from it.
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gateway.sdk.client import Client
from services.devmesh.processes import free_port
from tests.bench.__main__ import RESULTS
from tests.conftest import start_mesh
from tests.e2e_llm.llama import MODEL_ALIAS, LlamaServer, find_model
from tests.e2e_llm.tap import Tap

FEELING = "I feel overwhelmed by my exams and I can't sleep. What can I do tonight?"
TECHNICAL = "How do I reverse a list in Python?"
# A CPU-only model answers in seconds, not milliseconds: deadlines for that (docs/operations.md).
PERSONA_ENV = {"PM_LLM_TIMEOUT_SECONDS": "60", "PM_LLM_FIRST_TOKEN_TIMEOUT_SECONDS": "45"}
GATEWAY_ENV = {"PM_REQUEST_TIMEOUT_SECONDS": "90", "PM_ATTEMPT_TIMEOUT_SECONDS": "75"}
MAX_TOKENS = 48


@dataclass
class Check:
    name: str
    ok: bool
    detail: str


def system_prompt(request: dict[str, Any]) -> str:
    return "\n".join(str(m.get("content", "")) for m in request.get("messages", []) if m.get("role") == "system")


def user_text(request: dict[str, Any]) -> str:
    return "\n".join(str(m.get("content", "")) for m in request.get("messages", []) if m.get("role") == "user")


def prompt_check(tap: Tap, since: int, persona: str, content: str, streamed: bool) -> Check:
    """The model got the answering persona's system prompt and the user's words.

    Personas always stream from the model (a first-token deadline needs a stream), for plain chats too.
    """
    sent = tap.seen[since:]
    if not sent:
        return Check(f"prompt received ({persona})", False, "the model server received no request")
    request = sent[-1]
    system, said = system_prompt(request), user_text(request)
    identity = f"You are {persona.capitalize()}"
    ok = identity in system and content in said
    detail = (
        f"{len(sent)} request(s); system prompt {len(system)} chars, starts {system[:60]!r}; "
        f"user text contains the question: {content in said}; stream={request.get('stream', False)}"
    )
    return Check(f"prompt received ({persona}, {'streamed' if streamed else 'plain'})", ok, detail)


def plain_chat(client: Client, tap: Tap) -> list[Check]:
    since = len(tap.seen)
    started = time.monotonic()
    answer = client.chat(FEELING, user_id="e2e-llm", max_tokens=MAX_TOKENS)
    backend = str(answer.raw.get("backend", ""))
    ok = bool(answer.content.strip()) and backend == f"openai:{MODEL_ALIAS}" and not answer.degraded
    detail = (
        f"persona={answer.persona} backend={backend} degraded={answer.degraded} "
        f"{time.monotonic() - started:.1f}s: {answer.content[:160]!r}"
    )
    return [
        Check("plain chat answered by the model", ok, detail),
        prompt_check(tap, since, answer.persona, FEELING, False),
    ]


def streamed_chat(client: Client, tap: Tap) -> list[Check]:
    """The OpenAI-style stream says nothing of the backend: the model's own answer must have reached the persona
    whole (the tap saw it end with `[DONE]`), else the composer may have stood in."""
    since, answered = len(tap.seen), len(tap.answered)
    started = time.monotonic()
    deltas = list(client.stream(TECHNICAL, persona="aviva", user_id="e2e-llm", max_tokens=MAX_TOKENS))
    text = "".join(deltas)
    whole = any(b"[DONE]" in body for body in tap.answered[answered:])
    detail = (
        f"model stream complete: {whole}; {len(deltas)} deltas in {time.monotonic() - started:.1f}s: {text[:160]!r}"
    )
    return [
        Check("streamed chat answered by the model", whole and bool(text.strip()), detail),
        prompt_check(tap, since, "aviva", TECHNICAL, True),
    ]


def fallback_chat(client: Client) -> list[Check]:
    started = time.monotonic()
    answer = client.chat(TECHNICAL, persona="aviva", user_id="e2e-llm", max_tokens=MAX_TOKENS)
    backend = str(answer.raw.get("backend", ""))
    ok = bool(answer.content.strip()) and backend == "composer" and answer.degraded
    detail = f"backend={backend} degraded={answer.degraded} {time.monotonic() - started:.1f}s: {answer.content[:120]!r}"
    return [Check("model server stopped: composer answers, marked degraded", ok, detail)]


def run(llm_python: Path, logs: Path) -> list[Check]:
    model = find_model(llm_python)
    print(f"model: {model} ({model.stat().st_size / 2**20:.0f} MiB)", flush=True)
    started = time.monotonic()
    server = LlamaServer(llm_python, model, free_port(), logs / "llama-server.log").start()
    print(f"llama.cpp server ready in {time.monotonic() - started:.1f}s at {server.base_url}", flush=True)
    tap = Tap(server.base_url, free_port()).start()
    checks: list[Check] = []
    try:
        env = {"PM_ALLOW_ANONYMOUS": "true", "PM_LLM_BASE_URL": tap.base_url, "PM_LLM_MODEL": MODEL_ALIAS}
        mesh = start_mesh(logs, {**env, **PERSONA_ENV}, GATEWAY_ENV)  # data and logs kept beside the server's
        try:
            with Client(mesh.http_url, timeout=120) as client:
                checks += plain_chat(client, tap)
                checks += streamed_chat(client, tap)
                server.stop()
                tap.stop()
                checks += fallback_chat(client)
        finally:
            mesh.stop_all()
    finally:
        server.stop()
        tap.stop()
    return checks


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--llm-python", type=Path, required=True, help="Python of the virtualenv with llama_cpp")
    args = parser.parse_args()
    logs = RESULTS / f"e2e-llm-{time.strftime('%Y%m%dT%H%M%S')}"
    checks = run(args.llm_python, logs)
    print()
    for check in checks:
        print(f"{'PASS' if check.ok else 'FAIL'}  {check.name}\n      {check.detail}")
    failed = [c for c in checks if not c.ok]
    print(f"\n{len(checks) - len(failed)} passed, {len(failed)} failed (logs in {logs})")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
