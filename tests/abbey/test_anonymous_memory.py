"""Anonymous local callers who name no user share no memory, through the whole mesh (`make run`'s mode).

A local run lets callers in without a key. One who names a `user_id` is that user, and Abbey recalls the facts
it told her in a later session; one who names none is nobody: what it tells Abbey is not kept for anyone, so
another unnamed caller (another person at the same demo) is never told it. Before, every unnamed caller acted
for one shared user, "anonymous", and was told the others' facts ("I remember you told me that your cat died").
"""

from __future__ import annotations

import time
import uuid

import httpx

from services.abbey.memory import NOBODY_TO_REMEMBER
from tests.conftest import RunningMesh


def _chat(client: httpx.Client, body: dict[str, str]) -> str:
    response = client.post("/api/v1/chat/abbey", json=body)
    assert response.status_code == 200, response.text
    return str(response.json()["content"])


def _recalled(client: httpx.Client, body: dict[str, str], name: str, seconds: float = 20.0) -> str:
    """Abbey's answer to `body` once it names `name`, or the last answer (the fact is written after the reply)."""
    deadline = time.monotonic() + seconds
    answer = _chat(client, body)
    while name not in answer and time.monotonic() < deadline:
        time.sleep(0.5)
        answer = _chat(client, body)
    return answer


def test_an_unnamed_anonymous_caller_is_never_told_another_callers_facts(mesh: RunningMesh) -> None:
    tag = uuid.uuid4().hex[:6]
    named, unnamed = "Biscotti", "Pernod"
    with httpx.Client(base_url=mesh.http_url, timeout=30) as client:
        user = f"anon-{tag}"
        _chat(client, {"content": f"My old dog {named} died last week.", "user_id": user, "session_id": f"a-{tag}"})
        # The control: a caller who names its user is recalled in a new session, so recall works here.
        asked = {"content": "What's my dog's name?", "user_id": user, "session_id": f"b-{tag}"}
        started = time.monotonic()
        assert named in _recalled(client, asked, named)
        took = time.monotonic() - started

        _chat(client, {"content": f"My old dog {unnamed} died last week.", "session_id": f"c-{tag}"})
        time.sleep(max(2.0, 2 * took))  # longer than the control's fact took to be written and found
        for body in (
            {"content": "What's my dog's name?", "session_id": f"d-{tag}"},
            {"content": "What's my dog's name?"},
        ):
            answer = _chat(client, body)
            assert unnamed not in answer and named not in answer, (body, answer)
            assert answer.startswith(NOBODY_TO_REMEMBER), answer  # said so, not "no trustworthy source"
        # In its own conversation it is told what it said there: the gateway sends the conversation's turns with
        # the request (nothing is stored for nobody), so "what's my dog's name?" there is answered.
        answer = _chat(client, {"content": "What's my dog's name?", "session_id": f"c-{tag}"})
        assert unnamed in answer and named not in answer, answer
