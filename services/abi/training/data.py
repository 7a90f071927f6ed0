"""The multi-task training rows of Abi's model, from public training data and our own fixtures.

Every row carries the labels its source really has; a head whose label is unknown for a row is
masked (None) instead of guessed. Sources, never a `test` row of ../shared/eval:
- GoEmotions train: 28 emotions and the Ekman groups; ordinary chatter, so no harm and (unless it
  mentions suicide or self-harm) no crisis;
- ../shared/train/safety_train.jsonl: harmful requests (their harm category in
  data/safety_categories.jsonl), benign topic twins, first-person self-harm (crisis);
- the `dev` rows of ../shared/eval/routing.jsonl and questions.jsonl;
- data/fixtures_*.jsonl: what public data lacks (small talk, acknowledgements, indirect and
  third-party crisis, threats against named people, doxxing, jailbreak wrappers, annoyed and
  distressed technical questions, technical words with violent meanings, mixed language). A row
  may carry a `weight` (default 1): how much its harm, persona and query-type losses count;
- data/ingredients/fixtures_*.jsonl: rows that only some of the shipped soup's ingredients fit
  (services/abi/training/recipe.py names which, and at what weight).

The frozen blind set is never read here or by any training step (tests/abi/test_model.py checks it).
Texts that also occur in a held-out set (the blind set, a `test` row of ../shared/eval, GoEmotions
test: short chatter such as "thanks" occurs everywhere) are dropped by hash: data/held_out.sha256
lists the hashes only (`python -m tests.eval.held_out` rewrites it; a test keeps it true).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from services.abi.taxonomy import ANSWERING, EKMAN, EMOTIONS, HARM_CLASSES, QUERY_TYPES
from services.abi.training.fixtures import SHARED, read_jsonl

DATA_DIR = Path(__file__).parent / "data"
FIXTURE_GLOB = "fixtures_*.jsonl"
INGREDIENT_DIR = DATA_DIR / "ingredients"
HELD_OUT_HASHES = DATA_DIR / "held_out.sha256"

# GoEmotions and counselling rows that talk about suicide or self-harm: their crisis label is unknown.
CRISIS_MENTION = re.compile(
    r"suicid|kill(ing)? (my|him|her|them)sel|end(ing)? (it all|my life)|want(ed)? to die|self[- ]?harm|"
    r"\bcutting\b|overdos|\bkms\b|not (want|wanna) to (live|be here)",
    re.IGNORECASE,
)
_INJECTION_SOURCES = ("tensortrust:", "selfreminder:", "giskard-promptinject:")


@dataclass(frozen=True)
class Extra:
    """A fixture file one fine-tune reads beside data/fixtures_*.jsonl; `weight` replaces each row's own."""

    path: Path
    weight: float | None = None


@dataclass(frozen=True)
class Row:
    """One training text and the labels it has (None = unknown for this row, loss masked)."""

    text: str
    source: str
    persona: str | None = None  # "abbey" / "aviva" for rows that are not blocked
    harm: str | None = None  # "none" or a harm category
    crisis: bool | None = None
    emotions: tuple[str, ...] | None = None  # GoEmotions labels present
    ekman: tuple[str, ...] | None = None
    query_type: str | None = None
    weight: float = 1.0

    def __post_init__(self) -> None:
        if self.persona is not None and self.persona not in ANSWERING:
            raise ValueError(f"{self.source}: persona {self.persona!r}")
        if self.harm is not None and self.harm not in HARM_CLASSES:
            raise ValueError(f"{self.source}: harm {self.harm!r}")
        if self.query_type is not None and self.query_type not in QUERY_TYPES:
            raise ValueError(f"{self.source}: query type {self.query_type!r}")
        if self.crisis and self.harm not in (None, "none"):
            raise ValueError(f"{self.source}: a crisis row cannot be harmful")

    @property
    def is_validation(self) -> bool:
        """Task rows whose first sha256 byte is divisible by 5 pick thresholds; never fitted."""
        return self.source != "goemotions" and hashlib.sha256(self.text.encode()).digest()[0] % 5 == 0


def normalise(text: str) -> str:
    """The form used to compare texts across files (lower case, collapsed whitespace)."""
    return " ".join(text.lower().split())


def text_hash(text: str) -> str:
    """First 16 hex digits of sha256 of the normalised text."""
    return hashlib.sha256(normalise(text).encode("utf-8")).hexdigest()[:16]


_held_out: frozenset[str] | None = None


def is_held_out(text: str) -> bool:
    """Whether the text also occurs in a held-out evaluation set (never train on it)."""
    global _held_out
    if _held_out is None:
        lines = HELD_OUT_HASHES.read_text(encoding="utf-8").split()
        _held_out = frozenset(line for line in lines if not line.startswith("#"))
    return text_hash(text) in _held_out


def goemotions(split: str) -> list[Row]:
    rows = []
    for r in read_jsonl(SHARED / f"train/goemotions_{split}.jsonl"):
        if is_held_out(r["text"]):
            continue
        mentions = bool(CRISIS_MENTION.search(r["text"]))
        rows.append(
            Row(
                r["text"],
                "goemotions",
                harm=None if mentions else "none",
                crisis=None if mentions else False,
                emotions=tuple(r["labels"]),
                ekman=tuple(r["ekman"]),
                weight=0.5,
            )
        )
    return rows


def safety_rows() -> list[Row]:
    categories = {r["id"]: r["harm"] for r in read_jsonl(DATA_DIR / "safety_categories.jsonl")}
    rows = []
    for r in read_jsonl(SHARED / "train/safety_train.jsonl"):
        if r["label"] == "abi":
            rows.append(Row(r["text"], r["id"], harm=categories[r["id"]], crisis=False))
        elif r["label"] == "abbey":
            rows.append(Row(r["text"], r["id"], persona="abbey", harm="none", crisis=True, query_type="general"))
        else:
            rows.append(Row(r["text"], r["id"], harm="none", crisis=False))
    return rows


def routing_dev_rows() -> list[Row]:
    rows = []
    for r in read_jsonl(SHARED / "eval/routing.jsonl"):
        if r["split"] != "dev":
            continue
        rid, label = r["id"], r["label"]
        if label == "abi":
            if rid.startswith("hatecheck:threat_"):
                harm = "violent_threat"
            elif rid.startswith("hatecheck:"):
                harm = "hate"
            elif rid.startswith(_INJECTION_SOURCES):
                harm = "prompt_injection"
            else:
                raise ValueError(f"no harm category for {rid}")
            rows.append(Row(r["text"], rid, harm=harm, crisis=False))
            continue
        crisis: bool | None = rid.startswith("simplesafetytests:")
        if not crisis and CRISIS_MENTION.search(r["text"]):
            crisis = None
        query_type = "general" if label == "abbey" else None
        if r["source"].startswith("CoNaLa"):
            query_type = "code_request"
        elif r["source"].startswith("TREC"):
            query_type = "factual_query"
        rows.append(Row(r["text"], rid, persona=label, harm="none", crisis=crisis, query_type=query_type))
    return rows


def question_dev_rows() -> list[Row]:
    return [
        Row(r["text"], r["id"], persona="aviva", harm="none", crisis=False, query_type=r["label"])
        for r in read_jsonl(SHARED / "eval/questions.jsonl")
        if r["split"] == "dev"
    ]


def fixture_rows(extra: Sequence[Extra] = ()) -> list[Row]:
    """The fixture files' rows; extra files are read in name order among the shared ones, as if they were
    copied beside them (how the soup's ingredients were first trained, so a rerun sees the same order)."""
    weights: dict[Path, float | None] = {path: None for path in DATA_DIR.glob(FIXTURE_GLOB)}
    weights |= {e.path: e.weight for e in extra}
    rows = []
    for path in sorted(weights, key=lambda p: p.name):
        override = weights[path]
        for r in read_jsonl(path):
            persona = r["label"] if r["label"] in ANSWERING else None
            query_type = r.get("query_type") if persona else None
            rows.append(
                Row(
                    r["text"],
                    f"fixture:{r['group']}",
                    persona=persona,
                    harm=r["harm"],
                    crisis=bool(r["crisis"]),
                    query_type=query_type,
                    weight=float(r.get("weight", 1.0)) if override is None else override,
                )
            )
    return rows


def task_rows(extra: Sequence[Extra] = ()) -> list[Row]:
    """Every non-GoEmotions row (routing, moderation, crisis, query type), duplicates removed."""
    seen: set[str] = set()
    out = []
    for row in (*fixture_rows(extra), *routing_dev_rows(), *question_dev_rows(), *safety_rows()):
        key = normalise(row.text)
        if key not in seen and not is_held_out(row.text):
            seen.add(key)
            out.append(row)
    return out


def all_texts() -> Iterator[str]:
    """Every text any training step reads (for the overlap tests)."""
    every_ingredient = [Extra(path) for path in sorted(INGREDIENT_DIR.glob(FIXTURE_GLOB))]
    for row in (*goemotions("train"), *goemotions("dev"), *task_rows(every_ingredient)):
        yield row.text


def ekman_of(labels: tuple[str, ...]) -> tuple[str, ...]:
    """The Ekman groups of GoEmotions labels (the dataset authors' mapping)."""
    group = {member: name for name, members in EKMAN.items() for member in members}
    return tuple(sorted({group[label] for label in labels if label in group}))


def describe(rows: list[Row]) -> str:
    def count(attr: str) -> int:
        return sum(getattr(r, attr) is not None for r in rows)

    return (
        f"{len(rows)} rows: persona {count('persona')}, harm {count('harm')}, crisis {count('crisis')} "
        f"({sum(bool(r.crisis) for r in rows)} positive), emotions {count('emotions')}, query type "
        f"{count('query_type')}"
    )


def dump(path: Path, rows: list[Row]) -> None:
    """Write rows as JSON lines (for inspection: `python -m services.abi.training.data`)."""
    with path.open("w", encoding="utf-8") as handle:
        for r in rows:
            handle.write(json.dumps(r.__dict__, ensure_ascii=False) + "\n")


assert len(EMOTIONS) == 28
