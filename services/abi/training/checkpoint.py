"""A fine-tune that resumes where it stopped: one run takes 1.5-2 hours on 2 cores, longer than a working
session may last, and an interrupted run had to start again from the first step.

Every few hundred steps `finetune` saves everything the next step depends on (weights, the weight average,
AdamW's moments, the schedule, every random stream, the position in the epoch plan) to `OUT/checkpoint.pt`,
written beside and renamed so an interruption mid-write leaves the previous one whole. A run started with the
same recipe into the same OUT continues from it; a different recipe refuses it rather than mixing the two.
The file is removed once the model is written. torch's own `save`/`load` hold the tensors; what is written
here is only which fields travel together.
"""

from __future__ import annotations

import argparse
import os
import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

CHECKPOINT_FILE = "checkpoint.pt"

# Arguments that do not change what is trained, so a run may resume with other values of them.
NOT_RECIPE = frozenset({"out", "threads", "raw_out", "checkpoint_every"})


def recipe_of(args: argparse.Namespace) -> dict[str, Any]:
    """The arguments that decide the trained weights (a resumed run must have the same)."""
    return {k: (str(v) if isinstance(v, Path) else v) for k, v in sorted(vars(args).items()) if k not in NOT_RECIPE}


@dataclass
class Progress:
    """Where a run stands: the next batch to fit is `plan[epoch][batch]`."""

    epoch: int = 0
    batch: int = 0
    step: int = 0
    running_loss: float = 0.0
    seconds: float = 0.0  # training time before this process started
    log: list[str] = field(default_factory=list)


def save(
    out: Path,
    args: argparse.Namespace,
    progress: Progress,
    modules: dict[str, Any],
    streams: dict[str, random.Random],
) -> None:
    """Write the checkpoint atomically. `modules` are objects with `state_dict()` (model, optimizer...)."""
    out.mkdir(parents=True, exist_ok=True)
    state = {
        "recipe": recipe_of(args),
        "progress": progress.__dict__,
        "modules": {name: module.state_dict() for name, module in modules.items()},
        "streams": {name: stream.getstate() for name, stream in streams.items()},
        "torch_rng": torch.get_rng_state(),
        "python_rng": random.getstate(),
        "numpy_rng": np.random.get_state(),
    }
    partial = out / (CHECKPOINT_FILE + ".partial")
    torch.save(state, partial)
    os.replace(partial, out / CHECKPOINT_FILE)


def resume(
    out: Path,
    args: argparse.Namespace,
    modules: dict[str, Any],
    streams: dict[str, random.Random],
) -> Progress | None:
    """Load `out`'s checkpoint into `modules` and `streams`; None when there is none.

    Raises SystemExit when the checkpoint was written by another recipe."""
    path = out / CHECKPOINT_FILE
    if not path.exists():
        return None
    state = torch.load(path, weights_only=False)
    saved, current = state["recipe"], recipe_of(args)
    # An option added to finetune after the checkpoint was written is the same recipe while it is left off.
    differing = sorted(
        k for k in saved.keys() | current.keys() if saved.get(k) != current.get(k) and (k in saved or current[k])
    )
    if differing:
        raise SystemExit(f"{path} was written by another recipe (differs in {differing}); remove it to start over")
    for name, module in modules.items():
        module.load_state_dict(state["modules"][name])
    for name, stream in streams.items():
        stream.setstate(state["streams"][name])
    torch.set_rng_state(state["torch_rng"])
    random.setstate(state["python_rng"])
    np.random.set_state(state["numpy_rng"])
    return Progress(**state["progress"])


def remove(out: Path) -> None:
    for name in (CHECKPOINT_FILE, CHECKPOINT_FILE + ".partial"):
        (out / name).unlink(missing_ok=True)
