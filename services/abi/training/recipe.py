"""How the shipped Abi model is made (`make train`): four fine-tunes, then their weight soup.

    .venv-train/bin/python -m services.abi.training [--recipe NAME] [--out DIR] [--work DIR]

Each ingredient is `finetune` with the same seed, schedule and base, differing only in extra fixture files
(`data/ingredients/`); each is trained once into `--work/NAME` (~70 minutes on 2 cores, so the whole recipe
takes ~5 hours; an ingredient already there is reused and one cut short resumes from its last
checkpoint, so an interrupted run loses at most a few minutes). Then `soup` averages
their weights and `calibrate` picks the soup's thresholds on the validation rows none of them fitted.
A recipe may then continue the soup for one epoch (`Continuation`: `finetune --init` the soup, rows shown framed,
kept close to the soup by distillation; ~20 minutes): candidate M, `--recipe continued`, which passed its rule on
the tuning sets and failed the blind-set gate of the tests (services/abi/README.md), so it does not ship.

The soup was chosen by a rule written before it was built (services/abi/README.md, "How the soup was
chosen"): a greedy soup (Wortsman et al. 2022) that starts from v9 and keeps each next fine-tune only if the
validation block recall plus crisis recall do not fall; v15 (Aviva's questions as benign rows) was dropped
by that step, so it is not here.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from services.abi.model import CARD_FILE, MODEL_FILE, MODELS_DIR
from services.abi.training.data import INGREDIENT_DIR, Extra
from services.abi.training.soup import soup_and_calibrate

EVERYDAY_CONTRASTS = INGREDIENT_DIR / "fixtures_v12_everyday_contrasts.jsonl"
MEANS_CONTRASTS = INGREDIENT_DIR / "fixtures_v14_means_contrasts.jsonl"
LETTERS_AND_CHORES = INGREDIENT_DIR / "fixtures_v18_letters_and_chores.jsonl"
BENCHMARK_TWINS = INGREDIENT_DIR / "fixtures_v19_benchmark_twins.jsonl"
IMPLICIT_CRISIS_AND_PLAIN_HARM = INGREDIENT_DIR / "fixtures_v20_implicit_crisis_and_plain_harm.jsonl"
TECHNICAL_DOUBLE_MEANINGS = INGREDIENT_DIR / "fixtures_v21_technical_double_meanings.jsonl"
CASUAL_EXASPERATION = INGREDIENT_DIR / "fixtures_v22_casual_exasperation.jsonl"
PLANS_AND_THREATS = INGREDIENT_DIR / "fixtures_v23_plans_and_threats.jsonl"
WARNING_SIGN_WORDS = INGREDIENT_DIR / "fixtures_v24_warning_sign_words.jsonl"
MORE_PLANS_AND_THREATS = INGREDIENT_DIR / "fixtures_v25_plans_and_threats_more.jsonl"
HOWTO_FORM_TWINS = INGREDIENT_DIR / "fixtures_v26_howto_form_twins.jsonl"


@dataclass(frozen=True)
class Ingredient:
    """What sets one fine-tune apart: extra fixture files, and the chance a row is shown framed (`--frame`)."""

    extras: tuple[Extra, ...] = ()
    frame: float = 0.0

    def args(self) -> list[str]:
        """`finetune` arguments for this ingredient."""
        extras = [
            arg for e in self.extras for arg in ("--extra", f"{e.path}" + ("" if e.weight is None else f":{e.weight}"))
        ]
        return extras + (["--frame", str(self.frame)] if self.frame else [])


@dataclass(frozen=True)
class Continuation:
    """The soup trained on from its own weights (`finetune --init`) at a low learning rate, distilled toward
    itself where it was not asked to change (`--keep-init`, training/distill.py)."""

    ingredient: Ingredient
    epochs: int = 1
    lr: float = 2e-5
    keep_init: float = 1.0

    def args(self, init: Path) -> list[str]:
        """`finetune` arguments that continue the model in `init`."""
        schedule = ["--init", str(init), "--epochs", str(self.epochs), "--lr", str(self.lr)]
        return [*schedule, "--keep-init", str(self.keep_init), *self.ingredient.args()]


@dataclass(frozen=True)
class Recipe:
    """Named fine-tunes whose uniform soup is one model, optionally continued, and where each part goes."""

    ingredients: dict[str, Ingredient]
    work: Path
    out: Path
    then: Continuation | None = None


# The fine-tunes of the shipped soup, in the order the greedy soup added them.
SHIPPED: dict[str, Ingredient] = {
    "v9": Ingredient(),
    "v12": Ingredient((Extra(EVERYDAY_CONTRASTS),)),  # the file's own weight, 0.5
    "v13": Ingredient((Extra(EVERYDAY_CONTRASTS, 1.0),)),
    "v14": Ingredient((Extra(EVERYDAY_CONTRASTS, 1.0), Extra(MEANS_CONTRASTS, 1.0))),
}
FRAME = 0.25
# Candidate M (its rule: training/RULES_2026-12-05.md): the soup continued with v14's data and ordinary letters to
# people and chores in physical words set against their harmful twins (v18), a quarter of the rows shown framed.
CONTINUED = Continuation(
    Ingredient((Extra(EVERYDAY_CONTRASTS, 1.0), Extra(MEANS_CONTRASTS, 1.0), Extra(LETTERS_AND_CHORES, 1.0)), FRAME)
)
# Candidate P (its rule: training/RULES_2026-12-05.md): the soup continued without framings, with requests in the
# public benchmarks' forms whose subject sounds harmful set against their harmful twins (v19).
TWINS = Continuation(
    Ingredient(
        (
            Extra(EVERYDAY_CONTRASTS, 1.0),
            Extra(MEANS_CONTRASTS, 1.0),
            Extra(LETTERS_AND_CHORES, 1.0),
            Extra(BENCHMARK_TWINS, 1.0),
        )
    )
)

# Candidate R (its rule: training/RULES_2026-12-05.md): a sixth ingredient reading v19's files and implicit or
# third-party crises and harm in casual wording, each against its ordinary twins (v20).
IMPLICIT = Ingredient((*TWINS.ingredient.extras, Extra(IMPLICIT_CRISIS_AND_PLAIN_HARM, 1.0)))

# Candidate S (its rule: training/RULES_2026-12-05.md; judged, not adopted): a fifth ingredient reading v19's files
# and technical words that double as words of risk ("stash", "kill", "None"), against crisis twins (v21). Its soup
# is the uniform average of the four shipped ingredients and v21: the rule's [shipped soup x4, v21] up to one
# rounding.
DOUBLE_MEANINGS = Ingredient((*TWINS.ingredient.extras, Extra(TECHNICAL_DOUBLE_MEANINGS, 1.0)))

# Candidate U (its rule: training/RULES_2026-12-05.md; stopped untrained, superseded by V): a fifth ingredient
# reading v19's files and casual words of finality or giving up ("I'm so done", "need space") against crisis twins
# in the same words (v22), souped as S was.
CASUAL = Ingredient((*TWINS.ingredient.extras, Extra(CASUAL_EXASPERATION, 1.0)))

# Candidate V (its rule: training/RULES_2026-12-06.md): U's files and plans about a person with a time or a place
# ("I'm meeting her at the station tomorrow morning") against threats, stalking and locating someone to confront
# them in the same words (v23). Its soups: [the shipped soup x3, v23], then [x4, v23]; W: [the shipped soup, v23].
# None adopted (training/RULES_2026-12-06.md).
PLANS = Ingredient((*CASUAL.extras, Extra(PLANS_AND_THREATS, 1.0)))

# Candidate AB (its rule: training/RULES_2026-12-06.md): the threat verifier's fine-tune (services/abi/verifier.py)
# with plans written to someone, family logistics and returns of pets and parcels against threats in the same words
# (v25); v23's README counts 32 rows addressed to someone, all threats. Trained alone, never souped.
MORE_PLANS = Ingredient((*PLANS.extras, Extra(MORE_PLANS_AND_THREATS, 1.0)))

# Candidate X (its rule: training/RULES_2026-12-06.md, written after W's figures): v23 without v22, whose casual
# contrasts may have weakened W's crisis head. Its soup: [the shipped soup, v23x].
PLANS_ONLY = Ingredient((*TWINS.ingredient.extras, Extra(PLANS_AND_THREATS, 1.0)))

# Candidate Y (its rule: training/RULES_2026-12-06.md): X's files and everyday uses of words that are suicide warning
# signs only in context ("I keep a journal every night", "giving away my old books") against crisis twins in the
# same words (v24). Its soup: [the soup shipped at 2026-12-06's start, v24].
WARNING_WORDS = Ingredient((*PLANS_ONLY.extras, Extra(WARNING_SIGN_WORDS, 1.0)))

# Candidate AD (its rule: training/RULES_2026-12-07.md): every shipped ingredient retrained reading, beside its own
# files, the contrast files no shipped ingredient read (v18-v21, v23, v24) and ordinary how-to and sysadmin asks in
# the public benchmarks' forms against harmful twins (v26), each at weight 1.0; v22 (suspected of weakening the crisis
# head, W and X) and v25 (the threat verifier's) are left out. A fifth or a half of a soup did not carry what one
# ingredient learnt (V, W, Y), so every ingredient reads it.
CONTRASTS: tuple[Extra, ...] = tuple(
    Extra(path, 1.0)
    for path in (
        LETTERS_AND_CHORES,
        BENCHMARK_TWINS,
        IMPLICIT_CRISIS_AND_PLAIN_HARM,
        TECHNICAL_DOUBLE_MEANINGS,
        PLANS_AND_THREATS,
        WARNING_SIGN_WORDS,
        HOWTO_FORM_TWINS,
    )
)

RECIPES: dict[str, Recipe] = {
    "shipped": Recipe(SHIPPED, Path("build/abi_ingredients"), MODELS_DIR),
    # Candidate M: the shipped soup rebuilt from the shipped ingredients, then continued; not shipped.
    "continued": Recipe(SHIPPED, Path("build/abi_ingredients"), Path("build/abi_candidateM"), CONTINUED),
    # Candidate P: the same soup continued with v19 and no framings; not shipped unless it passes its rule.
    "twins": Recipe(SHIPPED, Path("build/abi_ingredients"), Path("build/abi_candidateP"), TWINS),
    # Candidate Q: a fifth ingredient reading v18 and v19 beside v14's files, and the soup of the five; not shipped
    # unless it passes its rule.
    "five": Recipe({**SHIPPED, "v19": TWINS.ingredient}, Path("build/abi_ingredients"), Path("build/abi_soupQ")),
    # Candidate R: Q's five and a sixth ingredient reading v20 too; not shipped unless it passes its rule.
    "six": Recipe(
        {**SHIPPED, "v19": TWINS.ingredient, "v20": IMPLICIT}, Path("build/abi_ingredients"), Path("build/abi_soupR")
    ),
    # Candidate S: the four shipped ingredients and v21; not shipped unless it passes its rule.
    "double": Recipe({**SHIPPED, "v21": DOUBLE_MEANINGS}, Path("build/abi_ingredients"), Path("build/abi_soupS")),
    # Candidate U (stopped untrained): the four shipped ingredients and v22.
    "casual": Recipe({**SHIPPED, "v22": CASUAL}, Path("build/abi_ingredients"), Path("build/abi_soupU")),
    # Candidate V: the four shipped ingredients and v23 (uniform: one of five, V4's weights); not shipped unless it
    # passes its rule.
    "plans": Recipe({**SHIPPED, "v23": PLANS}, Path("build/abi_ingredients"), Path("build/abi_soupV4")),
    # Candidate X's ingredient, trained alone: `finetune --out build/abi_ingredients/v23x` with its arguments; the
    # recipe's uniform soup of five is not X's (X is [the shipped soup, v23x]).
    "plans-only": Recipe({**SHIPPED, "v23x": PLANS_ONLY}, Path("build/abi_ingredients"), Path("build/abi_soupX5")),
    # Candidate Y's ingredient, trained alone as X's was: `finetune --out build/abi_ingredients/v24` with its arguments.
    "warning-words": Recipe({**SHIPPED, "v24": WARNING_WORDS}, Path("build/abi_ingredients"), Path("build/abi_soupY5")),
    # Candidate AB's ingredient: the threat verifier's fine-tune with v25, trained alone as the verifier is
    # (`finetune --out build/abi_ingredients/v25v` with its arguments); the recipe's soup of five is not AB, which
    # was never souped and was not adopted (training/RULES_2026-12-06.md).
    "more-plans": Recipe({**SHIPPED, "v25v": MORE_PLANS}, Path("build/abi_ingredients"), Path("build/abi_soupAB5")),
    # Candidate AD: the four shipped ingredients, each also reading `CONTRASTS`; ~6 hours on 2 cores, resumable.
    "contrasts": Recipe(
        {f"{name}c": replace(part, extras=(*part.extras, *CONTRASTS)) for name, part in SHIPPED.items()},
        Path("build/abi_ingredients_contrasts"),
        Path("build/abi_soupAD"),
    ),
    # Candidate F (services/abi/README.md, its rule written before any of it was trained): every shipped
    # ingredient with its rows shown framed with chance 0.25. Not shipped unless it passes that rule.
    "framed": Recipe(
        {f"{name}f": replace(ingredient, frame=FRAME) for name, ingredient in SHIPPED.items()},
        Path("build/abi_ingredients_framed"),
        Path("build/abi_soupF"),
    ),
}


def train(name: str, args: list[str], out: Path, threads: int) -> Path:
    """`finetune` with `args` into `out` unless a finished model is there (a cut-short one resumes)."""
    if (out / MODEL_FILE).exists() and (out / CARD_FILE).exists():
        print(f"{name}: reusing {out}", flush=True)
        return out
    command = [sys.executable, "-m", "services.abi.training.finetune", "--out", str(out), "--threads", str(threads)]
    print(f"{name}: training ({' '.join(command[3:] + args)})", flush=True)
    subprocess.run([*command, *args], check=True)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--recipe", choices=sorted(RECIPES), default="shipped")
    parser.add_argument("--out", type=Path, help="where the soup goes (default: the recipe's)")
    parser.add_argument("--work", type=Path, help="where the fine-tunes go (default: the recipe's)")
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    recipe = RECIPES[args.recipe]
    work, out = args.work or recipe.work, args.out or recipe.out
    folders = [train(name, part.args(), work / name, args.threads) for name, part in recipe.ingredients.items()]
    seconds = [json.loads((f / CARD_FILE).read_text(encoding="utf-8"))["training"]["seconds"] for f in folders]
    about = {
        "method": "uniform average of the ingredients' int8-dequantised weights, re-quantised (training/soup.py)",
        "ingredients": {
            name: [f"data/ingredients/{e.path.name} (weight {e.weight or 'per row'})" for e in part.extras]
            + ([f"rows shown framed with chance {part.frame}"] if part.frame else [])
            for name, part in recipe.ingredients.items()
        },
        "seconds_per_ingredient": dict(zip(recipe.ingredients, seconds, strict=True)),
    }
    soup_dir = work / "soup" if recipe.then else out
    soup_and_calibrate(folders, soup_dir, about)
    if recipe.then:
        train("continued", recipe.then.args(soup_dir), out, args.threads)
        record_continuation(out, recipe.then, about)
    print(f"wrote {out / MODEL_FILE}")
    return 0


def record_continuation(out: Path, then: Continuation, about: dict[str, Any]) -> None:
    """The continued model's card also says what it was continued from (finetune's card knows only its own run)."""
    card_path = out / CARD_FILE
    card = json.loads(card_path.read_text(encoding="utf-8"))
    extras = [f"data/ingredients/{e.path.name} (weight {e.weight or 'per row'})" for e in then.ingredient.extras]
    card["training"]["continued_from"] = {"soup": about, "extras": extras}
    card_path.write_text(json.dumps(card, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    raise SystemExit(main())
