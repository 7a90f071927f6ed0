"""How the shipped Abi model is made (`make train`): four fine-tunes, then their weight soup.

    .venv-train/bin/python -m services.abi.training [--recipe shipped|framed] [--out DIR] [--work DIR]

Each ingredient is `finetune` with the same seed, schedule and base, differing only in extra fixture files
(`data/ingredients/`); each is trained once into `--work/NAME` (~70 minutes on 2 cores, so the whole recipe
takes ~5 hours; an ingredient already there is reused and one cut short resumes from its last
checkpoint, so an interrupted run loses at most a few minutes). Then `soup` averages
their weights and `calibrate` picks the soup's thresholds on the validation rows none of them fitted.

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

from services.abi.model import CARD_FILE, MODEL_FILE, MODELS_DIR
from services.abi.training.data import INGREDIENT_DIR, Extra
from services.abi.training.soup import soup_and_calibrate

EVERYDAY_CONTRASTS = INGREDIENT_DIR / "fixtures_v12_everyday_contrasts.jsonl"
MEANS_CONTRASTS = INGREDIENT_DIR / "fixtures_v14_means_contrasts.jsonl"


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
class Recipe:
    """Named fine-tunes whose uniform soup is one model, and where they and the soup go by default."""

    ingredients: dict[str, Ingredient]
    work: Path
    out: Path


# The fine-tunes of the shipped soup, in the order the greedy soup added them.
SHIPPED: dict[str, Ingredient] = {
    "v9": Ingredient(),
    "v12": Ingredient((Extra(EVERYDAY_CONTRASTS),)),  # the file's own weight, 0.5
    "v13": Ingredient((Extra(EVERYDAY_CONTRASTS, 1.0),)),
    "v14": Ingredient((Extra(EVERYDAY_CONTRASTS, 1.0), Extra(MEANS_CONTRASTS, 1.0))),
}
FRAME = 0.25
RECIPES: dict[str, Recipe] = {
    "shipped": Recipe(SHIPPED, Path("build/abi_ingredients"), MODELS_DIR),
    # Candidate F (services/abi/README.md, its rule written before any of it was trained): every shipped
    # ingredient with its rows shown framed with chance 0.25. Not shipped unless it passes that rule.
    "framed": Recipe(
        {f"{name}f": replace(ingredient, frame=FRAME) for name, ingredient in SHIPPED.items()},
        Path("build/abi_ingredients_framed"),
        Path("build/abi_soupF"),
    ),
}


def train_ingredient(name: str, ingredient: Ingredient, work: Path, threads: int) -> Path:
    """Fine-tune one ingredient into `work/name` unless a finished one is there (a cut-short one resumes)."""
    out = work / name
    if (out / MODEL_FILE).exists() and (out / CARD_FILE).exists():
        print(f"{name}: reusing {out}", flush=True)
        return out
    command = [sys.executable, "-m", "services.abi.training.finetune", "--out", str(out), "--threads", str(threads)]
    print(f"{name}: training ({' '.join(command[3:] + ingredient.args())})", flush=True)
    subprocess.run([*command, *ingredient.args()], check=True)
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
    folders = [train_ingredient(name, part, work, args.threads) for name, part in recipe.ingredients.items()]
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
    soup_and_calibrate(folders, out, about)
    print(f"wrote {out / MODEL_FILE}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
