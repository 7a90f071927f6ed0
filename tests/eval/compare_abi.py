"""A candidate Abi model beside the shipped one, on the data that chooses between them (never a blind set).

    python -m tests.eval.compare_abi --candidate build/abi_v12 [--shipped services/abi/models]

Prints, for each model: the selection set's figures (tests/selection, `safety_report`), crisis false alarms
and blocks on the everyday emotional messages that may be read (the empathy set's dev half and the empathy
selection set; tests/eval/everyday.py), crises among messages asking for a means (tests/eval/method_seeking.py),
the figures at each model's own card thresholds on today's validation rows (`calibrate --measure`: a
candidate's data adds rows the shipped card never counted, so both are measured on the same rows), block recall
on those rows put inside a framing (calibrate.framed_rows: a list, a code comment, a claimed purpose), and the
GoEmotions dev Ekman F1 from each card, and the tuning sets Abi's rules bound a candidate with (`rule_sets`:
Aviva's documentation questions stopped, the warning-words, plans and casual selection sets, the empathy tuning
sets' crisis flags, technical questions flagged as crises). `--extra FILE` also measures both models on the
validation rows with that ingredient file's never-fitted fifth among them (a candidate's new data, which the shipped
model never saw). A rule written before training decides; this only puts the figures side by side. The blind sets
and test splits are for `make eval`, after the choice.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from services.abi.model import CARD_FILE, MODELS_DIR
from services.abi.training.calibrate import measure, measure_framed
from services.abi.training.data import Extra
from services.abi.training.fixtures import read_jsonl
from tests.eval.__main__ import SELECTION_SETS, safety_report
from tests.eval.backends import InProcessBackend
from tests.eval.docs import rows as docs_rows
from tests.eval.everyday import everyday_report, everyday_sets
from tests.eval.method_seeking import eval_method

SELECTION_FIGURES = ("accuracy", "block_recall", "benign_blocked_rate", "crisis_recall")
TUNING_EVERYDAY = ("empathy_v1 dev", "empathy selection (tuning)")  # the test half is reported by make eval
SELECTION = Path(__file__).resolve().parents[1] / "selection"
# The tuning sets Abi's rules have bounded a candidate with since 2026-12-05 (services/abi/training/RULES_*.md).
WARNING_WORDS = SELECTION / "abi_warning_words_selection_v1.jsonl"  # everyday words of warning signs, and crises
PLANS = SELECTION / "abi_plans_selection_v1.jsonl"  # harmless plans, and harmful ones in the same form
CASUAL = SELECTION / "abi_casual_selection_v1.jsonl"  # casual exasperation, and crises
EMPATHY_TUNING = tuple(SELECTION / f"empathy_selection_v{n}.jsonl" for n in (1, 2, 3))
DOCS_TUNING = ("dev", "styles_dev", "everyday_dev")  # Aviva's documentation questions that may be read
# The docs QA dev questions and Aviva's three training files of questions: technical asks, never a crisis.
AVIVA_QUESTIONS = Path(__file__).resolve().parents[2] / "services" / "aviva" / "training" / "data"
TECHNICAL_FILES = ("docs_qa_train.jsonl", "everyday_train.jsonl", "docs_qa_train_styles.jsonl")


async def figures(models_dir: Path, extra: Sequence[Extra] = ()) -> dict[str, Any]:
    backend = InProcessBackend(models_dir)
    out: dict[str, Any] = {}
    for name, path in SELECTION_SETS.items():
        rows = read_jsonl(path)
        report = safety_report(rows, await backend.predict([r["text"] for r in rows]))
        out[name] = {
            **{key: report[key] for key in SELECTION_FIGURES},
            "crisis": f"{report['crisis']['handled']}/{report['crisis']['n']}",
            "small_talk_blocked": report["small_talk"]["blocked"],
        }
    everyday = [row for name, rows in everyday_sets().items() if name in TUNING_EVERYDAY for row in rows]
    report = everyday_report(await backend.predict([row["text"] for row in everyday]))
    out["everyday (dev + selection)"] = {key: report[key] for key in ("n", "crisis_flagged", "blocked", "review")}
    method = await eval_method(backend)
    out["means asked for (tuning)"] = {
        "crisis_recall": method["crisis_recall"],
        **{
            f"{kind} crisis/blocked": f"{m['crisis']}/{m['blocked']} of {m['n']}"
            for kind, m in method["by_kind"].items()
        },
    }
    out["tuning sets of the rules"] = await rule_sets(backend)
    out["validation at the card's thresholds"] = await asyncio.to_thread(measure, models_dir)
    if extra:
        named = ", ".join(e.path.name for e in extra)
        out[f"validation with the never-fitted fifth of {named}"] = await asyncio.to_thread(measure, models_dir, extra)
    out["validation rows framed (card's block threshold)"] = await asyncio.to_thread(measure_framed, models_dir)
    card = json.loads((models_dir / CARD_FILE).read_text(encoding="utf-8"))
    out["GoEmotions dev Ekman F1 (card)"] = card["validation"]["goemotions_dev_ekman_macro_f1"]
    return out


async def rule_sets(backend: InProcessBackend) -> dict[str, str]:
    """Stopped, flagged and found on the tuning sets the rules name, as "k of n"."""

    async def tally(rows: list[dict[str, Any]], text: str, outcome: str) -> dict[bool | None, str]:
        """`outcome` ("stopped" or "crisis") among all rows (key None), and by each row's `crisis` or `harmful`
        label (keys False and True) where the set has one."""
        predictions = await backend.predict([row[text] for row in rows])
        pairs = list(zip(rows, predictions, strict=True))
        groups: dict[bool | None, list[bool]] = {None: [bool(getattr(p, outcome)) for _, p in pairs]}
        for row, p in pairs:
            label = row.get("crisis", row.get("harmful"))
            if label is not None:
                groups.setdefault(bool(label), []).append(bool(getattr(p, outcome)))
        return {key: f"{sum(hits)} of {len(hits)}" for key, hits in groups.items()}

    docs = [row for split in DOCS_TUNING for row in docs_rows(split)]
    technical = docs_rows("dev") + [row for name in TECHNICAL_FILES for row in read_jsonl(AVIVA_QUESTIONS / name)]
    empathy = [row for path in EMPATHY_TUNING for row in read_jsonl(path)]
    warning = await tally(read_jsonl(WARNING_WORDS), "text", "crisis")
    plans = await tally(read_jsonl(PLANS), "text", "stopped")
    casual = await tally(read_jsonl(CASUAL), "text", "crisis")
    return {
        "docs questions stopped": (await tally(docs, "question", "stopped"))[None],
        "warning-words everyday flagged": warning[False],
        "warning-words crises found": warning[True],
        "empathy tuning crisis-flagged": (await tally(empathy, "text", "crisis"))[None],
        "plans harmless stopped": plans[False],
        "plans harmful stopped": plans[True],
        "casual flagged": casual[False],
        "casual crises found": casual[True],
        "technical questions crisis-flagged": (await tally(technical, "question", "crisis"))[None],
    }


def side_by_side(shipped: dict[str, Any], candidate: dict[str, Any]) -> list[str]:
    """One line per figure: shipped, candidate."""
    lines = []
    for section, values in shipped.items():
        if isinstance(values, dict):
            lines.append(f"== {section}")
            for key, value in values.items():
                lines.append(f"  {key:<28} {value!s:<24} {candidate[section][key]!s}")
        else:
            lines.append(f"== {section}: {values} -> {candidate[section]}")
    return lines


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--candidate", type=Path, required=True)
    parser.add_argument("--shipped", type=Path, default=MODELS_DIR)
    parser.add_argument(
        "--extra",
        type=Path,
        action="append",
        default=[],
        help="an ingredient fixture file whose validation fifth is also measured, for both models (repeatable)",
    )
    args = parser.parse_args(argv)
    extra = [Extra(path) for path in args.extra]
    shipped, candidate = asyncio.run(figures(args.shipped, extra)), asyncio.run(figures(args.candidate, extra))
    print(f"{'':<30} {'shipped':<24} candidate ({args.candidate})")
    print("\n".join(side_by_side(shipped, candidate)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
