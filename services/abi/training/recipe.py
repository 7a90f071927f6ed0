"""How the shipped Abi model is made (`make train`): four fine-tunes, then their weight soup.

    .venv-train/bin/python -m services.abi.training [--out services/abi/models] [--work build/abi_ingredients]

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
from pathlib import Path

from services.abi.model import CARD_FILE, MODEL_FILE, MODELS_DIR
from services.abi.training.data import INGREDIENT_DIR, Extra
from services.abi.training.soup import soup_and_calibrate

EVERYDAY_CONTRASTS = INGREDIENT_DIR / "fixtures_v12_everyday_contrasts.jsonl"
MEANS_CONTRASTS = INGREDIENT_DIR / "fixtures_v14_means_contrasts.jsonl"

# The fine-tunes of the shipped soup, in the order the greedy soup added them.
INGREDIENTS: dict[str, tuple[Extra, ...]] = {
    "v9": (),
    "v12": (Extra(EVERYDAY_CONTRASTS),),  # the file's own weight, 0.5
    "v13": (Extra(EVERYDAY_CONTRASTS, 1.0),),
    "v14": (Extra(EVERYDAY_CONTRASTS, 1.0), Extra(MEANS_CONTRASTS, 1.0)),
}


def extra_args(extras: tuple[Extra, ...]) -> list[str]:
    """`finetune --extra FILE[:WEIGHT]` arguments for one ingredient."""
    return [arg for e in extras for arg in ("--extra", f"{e.path}" + ("" if e.weight is None else f":{e.weight}"))]


def train_ingredient(name: str, work: Path, threads: int) -> Path:
    """Fine-tune one ingredient into `work/name` unless a finished one is there."""
    out = work / name
    if (out / MODEL_FILE).exists() and (out / CARD_FILE).exists():
        print(f"{name}: reusing {out}", flush=True)
        return out
    command = [sys.executable, "-m", "services.abi.training.finetune", "--out", str(out), "--threads", str(threads)]
    print(f"{name}: training ({' '.join(command[3:] + extra_args(INGREDIENTS[name]))})", flush=True)
    subprocess.run([*command, *extra_args(INGREDIENTS[name])], check=True)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=MODELS_DIR)
    parser.add_argument("--work", type=Path, default=Path("build/abi_ingredients"))
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    folders = [train_ingredient(name, args.work, args.threads) for name in INGREDIENTS]
    seconds = [json.loads((f / CARD_FILE).read_text(encoding="utf-8"))["training"]["seconds"] for f in folders]
    about = {
        "method": "uniform average of the ingredients' int8-dequantised weights, re-quantised (training/soup.py)",
        "ingredients": {
            name: [f"data/ingredients/{e.path.name} (weight {e.weight or 'per row'})" for e in extras]
            for name, extras in INGREDIENTS.items()
        },
        "seconds_per_ingredient": dict(zip(INGREDIENTS, seconds, strict=True)),
    }
    soup_and_calibrate(folders, args.out, about)
    print(f"wrote {args.out / MODEL_FILE}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
