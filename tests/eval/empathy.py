"""Abbey's empathy on emotional messages: is the feeling she acknowledges the one the writer labelled, and
does her tone fit how strongly it was felt?

The set is tests/blind/empathy_v1.jsonl: 210 messages, one dominant Ekman group and an intensity (low/high)
each, written by a helper that never saw Abbey, Abi or their data, frozen (sha256 in tests/blind/README.md).
Rows with an odd number are `dev` (they may be read to improve Abbey), rows with an even number are `test`
(reported only; their mistakes are never printed).

Each message goes to POST /api/v1/chat/abbey of a running mesh, in a fresh session (through Abi's routing
decision, the path users take). A row passes when both hold:
- acknowledged: the emotion Abbey answers to (`emotional_state.primary`) is one that a member of the labelled
  Ekman group folds into (services/common/emotions.py), e.g. sadness -> sad or disappointed;
- tone fits the intensity (TONE_FIT): no sympathy for a neutral message; a strong negative feeling gets a
  supportive tone and a mild one a warm tone (heavy sympathy for "a bit annoyed" does not fit either);
  joy gets warmth; surprise, which can be good or bad news, warmth or support.
"""

from __future__ import annotations

import asyncio
import json
import re
import uuid
from collections import defaultdict
from pathlib import Path
from typing import Any

import httpx

from services.common.emotions import EKMAN, TO_PERSONA

EMPATHY_SET = Path(__file__).resolve().parents[1] / "blind" / "empathy_v1.jsonl"
# 280 more emotional messages in other styles, for tuning (tests/selection/README_empathy_selection.md): the
# `selection` split. With the dev half it is the figure every Abbey change is judged by before the test half.
EMPATHY_SELECTION = Path(__file__).resolve().parents[1] / "selection" / "empathy_selection_v1.jsonl"
# Written later, in other styles (sarcasm, slang, no feeling word, negations, fragments ...), all of it held out:
# reported first, never read (tests/blind/README_empathy_v2.md).
EMPATHY_BLIND_V2 = Path(__file__).resolve().parents[1] / "blind" / "empathy_v2.jsonl"
# A tuning set in such styles, written apart from it: its rows may be read and its mistakes studied.
EMPATHY_SELECTION_V2 = Path(__file__).resolve().parents[1] / "selection" / "empathy_selection_v2.jsonl"
# A third tuning set, written by another helper before any candidate was run on it (tests/selection/
# README_empathy_selection_v3.md): shaped by nothing before it, so it is what a change is chosen on first.
EMPATHY_SELECTION_V3 = Path(__file__).resolve().parents[1] / "selection" / "empathy_selection_v3.jsonl"
SPLITS = ("blind", "test", "dev", "selection", "selection_v2", "selection_v3")
SOURCES = {
    "blind": EMPATHY_BLIND_V2.name,
    "selection": EMPATHY_SELECTION.name,
    "selection_v2": EMPATHY_SELECTION_V2.name,
    "selection_v3": EMPATHY_SELECTION_V3.name,
}
TARGET = 0.85  # the Abbey issue's bar

NEGATIVE_GROUPS = ("anger", "disgust", "fear", "sadness")
# (group, intensity) -> the tones that fit; a group not listed fits the same tones at both intensities.
TONE_FIT: dict[tuple[str, str], frozenset[str]] = {
    **{(group, "high"): frozenset({"supportive"}) for group in NEGATIVE_GROUPS},
    **{(group, "low"): frozenset({"warm"}) for group in NEGATIVE_GROUPS},
    **{("neutral", level): frozenset({"neutral"}) for level in ("low", "high")},
    **{("joy", level): frozenset({"warm"}) for level in ("low", "high")},
    **{("surprise", level): frozenset({"warm", "supportive"}) for level in ("low", "high")},
}
# Abbey's own reading of thanks ("grateful") is a member of joy.
_EXTRA_MEMBERS = {"joy": ("grateful",)}


def acknowledged_emotions(group: str) -> frozenset[str]:
    """The persona emotions that acknowledge an Ekman group: where each of its GoEmotions members folds."""
    return frozenset(TO_PERSONA[member] for member in EKMAN[group]) | frozenset(_EXTRA_MEMBERS.get(group, ()))


def split_of(row: dict[str, Any]) -> str:
    if row["id"].startswith("esel-"):
        return "selection"
    if row["id"].startswith("esel2-"):
        return "selection_v2"
    if row["id"].startswith("esel3-"):
        return "selection_v3"
    if row["id"].startswith("emp2-"):
        return "blind"
    number = int(re.sub(r"\D", "", row["id"]) or 0)
    return "dev" if number % 2 else "test"


def judge(row: dict[str, Any], answer: dict[str, Any]) -> dict[str, bool]:
    state = answer.get("emotional_state") or {}
    acknowledged = state.get("primary", "") in acknowledged_emotions(row["emotion"])
    tone_fits = (answer.get("tone") or "") in TONE_FIT[(row["emotion"], row["intensity"])]
    return {"acknowledged": acknowledged, "tone_fits": tone_fits, "passed": acknowledged and tone_fits}


def read_rows(path: Path = EMPATHY_SET) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


async def ask_abbey(
    url: str,
    rows: list[dict[str, Any]],
    prefix: str,
    api_key: str = "",
    concurrency: int = 4,
    path: str = "/api/v1/chat/abbey",
) -> list[dict[str, Any] | None]:
    """Each row's text (or its `turns`, in order, in one session) to POST `path` (Abbey's own; "/api/v1/chat" to be
    routed) in a fresh session and user of its own (`prefix`-run-id), retried on 429; the (last) answers in row
    order (None for any other failed call)."""
    headers = {"authorization": f"Bearer {api_key}"} if api_key else {}
    gate = asyncio.Semaphore(concurrency)
    # New sessions and users every run: the gateway keeps a session's history and Abbey its mood, so a row sent
    # again under the same ids would arrive after its own earlier run.
    run = uuid.uuid4().hex[:8]
    async with httpx.AsyncClient(base_url=url.rstrip("/"), headers=headers, timeout=60.0) as client:

        async def say(body: dict[str, str]) -> httpx.Response:
            for attempt in range(20):
                response = await client.post(path, json=body)
                if response.status_code != 429:
                    break
                await asyncio.sleep(float(response.headers.get("retry-after", "1") or 1) + 0.1 * attempt)
            return response

        async def one(row: dict[str, Any]) -> dict[str, Any] | None:
            name = f"{prefix}-{run}-{row['id']}"
            session = {"session_id": name, "user_id": name}
            async with gate:
                for content in row.get("turns") or [row["text"]]:
                    response = await say({"content": content, **session})
                    if response.status_code != 200:
                        return None
            return dict(response.json())

        return list(await asyncio.gather(*(one(row) for row in rows)))


async def eval_empathy(url: str, api_key: str = "", concurrency: int = 4) -> dict[str, Any]:
    """Per split: the pass share, and per Ekman group and intensity, through a running gateway."""
    rows = [
        *read_rows(EMPATHY_BLIND_V2),
        *read_rows(),
        *read_rows(EMPATHY_SELECTION),
        *read_rows(EMPATHY_SELECTION_V2),
        *read_rows(EMPATHY_SELECTION_V3),
    ]
    answers = await ask_abbey(url, rows, "empathy", api_key, concurrency)
    verdicts = [judge(row, answer) if answer is not None else None for row, answer in zip(rows, answers, strict=True)]
    report: dict[str, Any] = {"target": TARGET}
    for split in SPLITS:
        totals: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0])  # n, passed, acknowledged, tone fits
        errors = 0
        for row, verdict in zip(rows, verdicts, strict=True):
            if split_of(row) != split:
                continue
            if verdict is None:
                errors += 1
                continue
            for key in ("all", row["emotion"], f"{row['emotion']}/{row['intensity']}"):
                counts = totals[key]
                counts[0] += 1
                counts[1] += verdict["passed"]
                counts[2] += verdict["acknowledged"]
                counts[3] += verdict["tone_fits"]
        report[split] = {
            "errors": errors,
            **{
                key: {
                    "n": n,
                    "passed": round(passed / n, 4),
                    "acknowledged": round(ack / n, 4),
                    "tone_fits": round(tone / n, 4),
                }
                for key, (n, passed, ack, tone) in sorted(totals.items())
            },
        }
    return report


def print_empathy(report: dict[str, Any]) -> None:
    for split in SPLITS:
        figures = report.get(split, {"errors": 0})
        overall = figures.get("all", {"n": 0, "passed": 0.0, "acknowledged": 0.0, "tone_fits": 0.0})
        source = SOURCES.get(split, EMPATHY_SET.name)
        print(
            f"\n== empathy ({source}, {split} split, n={overall['n']}, errors {figures['errors']}): "
            f"passed {overall['passed']:.3f} (target > {TARGET})   acknowledged {overall['acknowledged']:.3f}   "
            f"tone fits {overall['tone_fits']:.3f}"
        )
        for key, m in figures.items():
            if key not in ("all", "errors") and "/" in key:
                print(f"  {key:<16} passed {m['passed']:.3f} ack {m['acknowledged']:.3f} tone {m['tone_fits']:.3f} "
                      f"(n={m['n']})")  # fmt: skip
