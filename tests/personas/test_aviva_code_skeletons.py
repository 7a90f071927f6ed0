"""Aviva's code skeletons on eval/questions.jsonl: every skeleton for a code question must parse."""

from __future__ import annotations

import json

from services.abi.training.fixtures import SHARED
from services.aviva.code import detect_request_language, skeleton
from services.common.generation.codeblocks import check_syntax

QUESTIONS = SHARED / "eval" / "questions.jsonl"


def _rows(split: str) -> list[dict[str, str]]:
    rows = [json.loads(line) for line in QUESTIONS.read_text(encoding="utf-8").split("\n") if line.strip()]
    return [row for row in rows if row["split"] == split]


def test_every_code_skeleton_parses() -> None:
    rows = [row for split in ("dev", "test") for row in _rows(split) if row["label"] == "code_request"]
    for row in rows:
        answer = skeleton(row["text"], detect_request_language(row["text"]), comments=True)
        assert check_syntax(answer.language, answer.code), (row["text"], answer.code)
