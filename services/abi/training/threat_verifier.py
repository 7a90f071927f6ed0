"""Build the threat verifier (services/abi/verifier.py): `make train-threat-verifier`.

    python -m services.abi.training.threat_verifier train   # in .venv-train: the v23 fine-tune (~1 h on 2 cores)
    python -m services.abi.training.threat_verifier pick    # in the service's venv: the veto line, then install

`train` fine-tunes recipe.PLANS from MiniLM into build/abi_ingredients/v23 (reused when finished; a cut-short run
resumes). `pick` chooses the veto line as every threshold of Abi is chosen, on the validation rows (never fitted by
the soup or the verifier): the largest of 0.05, 0.10, ..., 0.40 at which, with the v23 file's never-fitted fifth
among them and without it, the messages Route stops keep at least the soup's share of harmful rows - 0.005 and stop
no more benign ones (the rule of candidate AA2, training/RULES_2026-12-06.md). It writes the fine-tune's int8 model
and its card, with `decision.veto` and how it was picked, to services/abi/models/threat_verifier.
"""

from __future__ import annotations

import argparse
import json
import shutil
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from services.abi.model import CARD_FILE, MODEL_FILE, MODELS_DIR
from services.abi.training import data
from services.abi.training.recipe import PLANS, PLANS_AND_THREATS, train

if TYPE_CHECKING:
    from services.abi.router import PersonaRouter, Reading

    ReadRow = tuple[Reading, str]  # a row's reading by both models, and its text

WORK = Path("build/abi_ingredients/v23")
VETO_LINES = tuple(round(0.05 * k, 2) for k in range(1, 9))
MAX_RECALL_LOSS = 0.005


def stopped(router: PersonaRouter, readings: list[ReadRow]) -> list[bool]:
    """Whether Route stops each message (blocked, or held for a person) on its reading, as the service decides it."""
    from services.abi.router import Evidence, RouteInput
    from services.abi.rules.store import DEFAULT_RULES_PATH, RuleStore

    rules = RuleStore(DEFAULT_RULES_PATH, router.base_policy, persist=False).active
    out = []
    for reading, text in readings:
        decision = router.decide(RouteInput(text), reading, Evidence(), rules)
        out.append(
            decision.persona == router.registry.moderator or decision.moderation.action == "require_human_review"
        )
    return out


def pick_veto(verifier_dir: Path, lines: tuple[float, ...] = VETO_LINES) -> tuple[float | None, list[str]]:
    """The largest veto line that holds the bounds on both row sets (None if none does), and a line per try. Each
    row is read once by both models; only the line moves. The service's modules are imported here: `train` runs in
    the training virtualenv, which has none of them."""
    from services.abi.model import AbiModel
    from services.abi.policy import SecondReading
    from services.abi.router import PersonaRouter, RouteInput
    from services.abi.rules.store import DEFAULT_RULES_PATH, RuleStore
    from services.abi.verifier import ThreatVerifier

    router = PersonaRouter(AbiModel(threads=2), verifier=ThreatVerifier(verifier_dir, threads=2))
    policy = RuleStore(DEFAULT_RULES_PATH, router.base_policy, persist=False).active.policy
    row_sets = {
        "validation": [r for r in data.task_rows() if r.is_validation],
        "validation + v23's fifth": [r for r in data.task_rows((data.Extra(PLANS_AND_THREATS),)) if r.is_validation],
    }
    read = {name: [(router.read(RouteInput(r.text), policy), r.text) for r in rows] for name, rows in row_sets.items()}

    def at(line: float | None, readings: list[ReadRow]) -> list[ReadRow]:
        """The readings with the verifier's line at `line` (None: no second reading, the soup alone)."""
        return [
            (
                replace(reading, second_reading=None if line is None else SecondReading(second.harm, line))
                if (second := reading.second_reading) is not None
                else reading,
                text,
            )
            for reading, text in readings
        ]

    reference = {name: _shares(row_sets[name], stopped(router, at(None, read[name]))) for name in row_sets}
    log, holding = [], []
    for line in lines:
        holds, parts = True, []
        for name, rows in row_sets.items():
            harmful, benign = _shares(rows, stopped(router, at(line, read[name])))
            ok = harmful >= reference[name][0] - MAX_RECALL_LOSS and benign <= reference[name][1]
            holds &= ok
            parts.append(f"{name}: harmful stopped {harmful:.4f} (soup {reference[name][0]:.4f}), benign {benign}")
        log.append(f"veto {line}: {'; '.join(parts)}: {'holds' if holds else 'fails'}")
        if holds:
            holding.append(line)
    return (max(holding) if holding else None), log


def _shares(rows: list[data.Row], stops: list[bool]) -> tuple[float, int]:
    """Share of harmful rows stopped, and the number of benign rows stopped."""
    harmful = [s for r, s in zip(rows, stops, strict=True) if r.harm not in (None, "none")]
    benign = [s for r, s in zip(rows, stops, strict=True) if r.harm in (None, "none")]
    return round(sum(harmful) / max(1, len(harmful)), 4), sum(benign)


def install(verifier_dir: Path, veto: float, log: list[str], out: Path = MODELS_DIR / "threat_verifier") -> None:
    """The fine-tune's model and card into `out`, the card naming its role and its veto line."""
    card = json.loads((verifier_dir / CARD_FILE).read_text(encoding="utf-8"))
    card["decision"]["veto"] = veto
    card = {
        "name": "abi-threat-verifier-minilm-int8",
        "role": "a second reading of a message the shipped soup would stop as a threat, harassment or exposure of "
        "someone (services/abi/verifier.py); only its P(harm) is read, against decision.veto",
        "recipe": "services/abi/training/recipe.py PLANS (the v23 ingredient): `make train-threat-verifier`",
        **{key: value for key, value in card.items() if key not in ("name", "role", "recipe")},
        "veto_picked": log,
    }
    out.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(verifier_dir / MODEL_FILE, out / MODEL_FILE)
    (out / CARD_FILE).write_text(json.dumps(card, indent=1) + "\n", encoding="utf-8")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("step", choices=("train", "pick"))
    parser.add_argument("--work", type=Path, default=WORK)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    if args.step == "train":
        train("v23", PLANS.args(), args.work, args.threads)
        return 0
    veto, log = pick_veto(args.work)
    print("\n".join(log))
    if veto is None:
        print("no veto line holds the bounds: the threat verifier is not installed")
        return 1
    install(args.work, veto, log)
    print(f"veto {veto}: wrote {MODELS_DIR / 'threat_verifier'} (the soup beside it is unchanged)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
