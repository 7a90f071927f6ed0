"""Average the weights of several int8 Abi models into one (a "model soup"; needs `onnx`, in `.venv-train`).

    .venv-train/bin/python -m services.abi.training.soup --out build/abi_soup DIR [DIR ...]

Fine-tunes that start from the same pretrained encoder with the same seed, schedule and heads' initialisation
stay in one basin of the loss, so the average of their weights behaves like an ensemble of them at one model's
cost (Wortsman et al. 2022, "Model soups: averaging weights of multiple fine-tuned models improves accuracy
without increasing inference time"). `finetune` keeps only the int8 export, so each ingredient is dequantised
(MatMul weights: int8, symmetric, one scale per output column; embeddings: uint8, one scale and zero point per
tensor), the float weights are averaged, and the result is quantised again with onnxruntime's own conventions
into the first ingredient's graph. onnxruntime's quantiser works on a float graph, which no longer exists here,
hence this small requantiser. The card is the first ingredient's; `calibrate` then picks every threshold for
the soup on the validation rows, as for any new model.
"""

from __future__ import annotations

import argparse
import json
import shutil
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from services.abi.model import CARD_FILE, MODEL_FILE, TOKENIZER_FILE
from services.abi.training.calibrate import calibrate

if TYPE_CHECKING:
    import onnx

QUANTIZED, SCALE, ZERO_POINT = "_quantized", "_scale", "_zero_point"


def initializers(model: onnx.ModelProto) -> dict[str, np.ndarray]:
    from onnx import numpy_helper

    return {tensor.name: numpy_helper.to_array(tensor) for tensor in model.graph.initializer}


def quantized_names(weights: dict[str, np.ndarray]) -> list[str]:
    """Base names of the quantised weights (`X` for `X_quantized`, `X_scale`, `X_zero_point`)."""
    bases = (name.removesuffix(QUANTIZED) for name in weights if name.endswith(QUANTIZED))
    return [base for base in bases if base + SCALE in weights]


def dequantize(weights: dict[str, np.ndarray], base: str) -> np.ndarray:
    """Float weights of one quantised tensor; a per-column scale broadcasts over the last axis."""
    q = weights[base + QUANTIZED].astype(np.float32)
    return (q - weights[base + ZERO_POINT].astype(np.float32)) * weights[base + SCALE]


def quantize_like(values: np.ndarray, dtype: np.dtype, per_column: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """onnxruntime's weight quantisation: int8 symmetric (scale = max|w| / 127, zero point 0), uint8 asymmetric
    over a range that includes 0 (scale = range / 255)."""
    if dtype == np.int8:
        absmax = np.abs(values).max(axis=0) if per_column else np.abs(values).max()
        scale = np.where(absmax > 0, absmax / 127.0, 1.0).astype(np.float32)
        q = np.clip(np.rint(values / scale), -127, 127).astype(np.int8)
        return q, scale, np.zeros_like(scale, dtype=np.int8)
    assert dtype == np.uint8 and not per_column
    low, high = min(float(values.min()), 0.0), max(float(values.max()), 0.0)
    step = (high - low) / 255.0 if high > low else 1.0
    zero = float(np.clip(np.rint(-low / step), 0, 255))
    q = np.clip(np.rint(values / np.float32(step)) + zero, 0, 255).astype(np.uint8)
    return q, np.asarray(step, dtype=np.float32), np.asarray(zero, dtype=np.uint8)


def soup(ingredients: list[Path], out: Path) -> None:
    """Write the uniform average of the ingredients' weights to `out` (graph, tokenizer and card of the first)."""
    import onnx  # in .venv-train only; the arithmetic above is tested in the service's environment
    from onnx import numpy_helper

    graph = onnx.load(str(ingredients[0] / MODEL_FILE))
    all_weights = [initializers(onnx.load(str(d / MODEL_FILE))) for d in ingredients]
    first = all_weights[0]
    if any(set(w) != set(first) or any(w[k].shape != first[k].shape for k in first) for w in all_weights):
        raise SystemExit("the ingredients' graphs differ: only exports of the same architecture can be averaged")
    averaged: dict[str, np.ndarray] = {}
    bases = quantized_names(first)
    owned = {b + suffix for b in bases for suffix in (QUANTIZED, SCALE, ZERO_POINT)}
    for base in bases:
        mean = np.mean([dequantize(w, base) for w in all_weights], axis=0)
        q, scale, zero = quantize_like(mean, first[base + QUANTIZED].dtype, per_column=first[base + SCALE].ndim == 1)
        averaged |= {base + QUANTIZED: q, base + SCALE: scale, base + ZERO_POINT: zero}
    for name, value in first.items():
        if name not in owned:
            floats = value.dtype == np.float32
            averaged[name] = np.mean([w[name] for w in all_weights], axis=0).astype(value.dtype) if floats else value
    for tensor in graph.graph.initializer:
        tensor.CopyFrom(numpy_helper.from_array(averaged[tensor.name], tensor.name))
    out.mkdir(parents=True, exist_ok=True)
    onnx.save(graph, str(out / MODEL_FILE))
    shutil.copy(ingredients[0] / TOKENIZER_FILE, out / TOKENIZER_FILE)
    card = json.loads((ingredients[0] / CARD_FILE).read_text(encoding="utf-8"))
    card["name"] = "abi-minilm-multitask-soup-int8"
    (out / CARD_FILE).write_text(json.dumps(card, indent=1) + "\n", encoding="utf-8")


def soup_and_calibrate(ingredients: list[Path], out: Path, about: dict[str, Any]) -> None:
    """`soup`, then every threshold picked for the soup; `about` (what it is made of) goes into its card."""
    soup(ingredients, out)
    log: list[str] = []
    card = calibrate(out, log)
    card["training"].pop("log", None)  # each ingredient's training log stays in its own card
    card["training"]["soup"] = {**about, "calibration": log}
    (out / CARD_FILE).write_text(json.dumps(card, indent=1) + "\n", encoding="utf-8")
    print("\n".join(log))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("ingredients", type=Path, nargs="+", help="model dirs (abi_model.int8.onnx + card)")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--no-calibrate", action="store_true", help="keep the first ingredient's thresholds")
    args = parser.parse_args()
    if args.no_calibrate:
        soup(args.ingredients, args.out)
    else:
        soup_and_calibrate(args.ingredients, args.out, {"ingredients": [str(d) for d in args.ingredients]})
    print(f"wrote {args.out / MODEL_FILE}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
